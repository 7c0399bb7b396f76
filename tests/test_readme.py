"""The README's shell examples print what the README says they print.

Every ``$ command`` line in README.md is run with bash (in a fresh folder, with
the installed ``xent`` first on PATH); its stdout, then its stderr, must equal
the lines shown under it, up to the next ``$`` line or the end of the block.
Earlier examples that print nothing (``printf ... > labels.txt``) are the setup
of later ones and run first, so each example stands on its own.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _examples() -> list[tuple[int, str, str, str]]:
    """(line number, setup, command, expected output) for each ``$`` line."""
    lines = README.read_text(encoding="utf-8").splitlines()
    found = []
    setup: list[str] = []  # the silent commands so far
    for i, line in enumerate(lines):
        if not line.startswith("$ "):
            continue
        shown = []
        for after in lines[i + 1:]:
            if after.startswith("$ ") or after.startswith("```"):
                break
            shown.append(after)
        while shown and not shown[-1]:  # the blank line before the next example
            shown.pop()
        found.append((i + 1, "; ".join(setup), line[2:], "".join(f"{t}\n" for t in shown)))
        if not shown:
            setup.append(line[2:])
    return found


EXAMPLES = _examples()


def test_the_readme_has_examples() -> None:
    assert len(EXAMPLES) >= 10


@pytest.mark.parametrize(("line", "setup", "command", "shown"), EXAMPLES,
                         ids=[f"README.md:{example[0]}" for example in EXAMPLES])
def test_readme_example_prints_what_it_shows(
    line: int, setup: str, command: str, shown: str, tmp_path: Path
) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "NO_COLOR": "1", "COLUMNS": "80", "TERM": "dumb"}
    script = f"{{ {setup}; }} >/dev/null 2>&1; {command}" if setup else command
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60)
    printed = done.stdout + done.stderr
    # Text must match exactly; a full-precision number to 1e-13 relative (its last
    # digit can move by one ulp between numpy releases).
    assert _NUMBER.sub("#", printed) == _NUMBER.sub("#", shown), f"README.md:{line}: {command}"
    for got, want in zip(_NUMBER.findall(printed), _NUMBER.findall(shown), strict=True):
        assert math.isclose(float(got), float(want), rel_tol=1e-13), (command, got, want)


_NUMBER = re.compile(r"-?\d+\.\d+(?:e[-+]?\d+)?")


def test_readme_python_examples_give_what_they_show() -> None:
    import doctest

    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert blocks
    for block in blocks:
        names: dict[str, object] = {}
        for example in doctest.DocTestParser().get_examples(block):
            if not example.want:
                exec(example.source, names)  # an import
                continue
            got = eval(example.source, names)
            want = example.want.strip()
            if _NUMBER.fullmatch(want):
                assert math.isclose(float(got), float(want), rel_tol=1e-13), example.source
            else:
                assert repr(got) == want, example.source

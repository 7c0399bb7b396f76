"""The README's shell examples print what the README says they print.

Every ``$ command`` line in README.md is run with bash (in a scratch folder, with
the installed ``xent`` first on PATH); its stdout, then its stderr, must equal
the lines shown under it, up to the next ``$`` line or the end of the block.
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


def _examples() -> list[tuple[int, str, str]]:
    """(line number, command, expected output) for each ``$`` line."""
    lines = README.read_text(encoding="utf-8").splitlines()
    found = []
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
        found.append((i + 1, line[2:], "".join(f"{text}\n" for text in shown)))
    return found


EXAMPLES = _examples()


def test_the_readme_has_examples() -> None:
    assert len(EXAMPLES) >= 10


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("readme")


@pytest.mark.parametrize(("line", "command", "shown"), EXAMPLES,
                         ids=[f"README.md:{line}" for line, _, _ in EXAMPLES])
def test_readme_example_prints_what_it_shows(
    line: int, command: str, shown: str, scratch: Path
) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "NO_COLOR": "1", "COLUMNS": "80", "TERM": "dumb"}
    # Run in order within one folder: an example may use the files an earlier one wrote.
    done = subprocess.run(["bash", "-c", command], cwd=scratch, env=env, capture_output=True,
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

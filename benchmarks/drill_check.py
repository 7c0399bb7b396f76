"""How long `xent drill check` takes, and how far the vectorised test's budget
is from a vectorised and a looped solution.

For each drill: the wall time of a whole check of the reference solution, as a
ratio of a bare child process (Python + numpy start-up, the floor of any check),
and, from the vectorised test, the reference solution's time on 100000 rows as
a ratio of the core's (the budget is 20x, at least 0.3 s). A Python loop over
rows (softmax's ``python-loop`` mistake) is shown against the same budget.
Usage::

    .venv/bin/python benchmarks/drill_check.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from xentcli.drill.ladder import FLOOR, RATIO, check
from xentcli.drill.tasks import list_drills, load_drill


def _bare_child() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import numpy"], check=True)
    return time.perf_counter() - start


def _timed(name: str, code: str, folder: Path) -> tuple[float, str]:
    path = folder / f"{name}.py"
    path.write_text(code, encoding="utf-8")
    start = time.perf_counter()
    report = check(load_drill(name), path)
    seconds = time.perf_counter() - start
    return seconds, report.tests[-1].message


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    floor = statistics.median(_bare_child() for _ in range(rounds))
    print(f"bare child (python -c 'import numpy'): {floor:.3f} s")
    print(f"vectorised budget: {RATIO:g} x the core, at least {FLOOR:g} s\n")
    print(f"{'drill':34} {'check':>7} {'x child':>8} {'user/core':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for drill in list_drills():
            runs = [_timed(drill.name, drill.solution, folder) for _ in range(rounds)]
            wall = statistics.median(s for s, _ in runs)
            ratios = []
            for _, note in runs:
                found = re.match(r"([\d.]+) s for .*the core took ([\d.]+) s", note)
                if found and float(found.group(2)) > 0:
                    ratios.append(float(found.group(1)) / float(found.group(2)))
            ratio = f"{statistics.median(ratios):.1f}x" if ratios else "-"
            print(f"{drill.name:34} {wall:6.2f}s {wall / floor:7.1f}x {ratio:>10}")
        loop = next(m for m in load_drill("softmax").mistakes if m.id == "python-loop")
        _, message = _timed("softmax", loop.code, folder)
        print(f"\nsoftmax as a Python loop: {message.splitlines()[1]}")


if __name__ == "__main__":
    main()

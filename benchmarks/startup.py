"""Start-up time of `xent` against the numpy one-liner it replaces.

Runs, alternating in each round so that machine load hits all alike, each
command below and ``python -c "import numpy as np; p = ...; print(...)"``, and
prints the median (and fastest) wall time of each and its ratio to the
one-liner's, with the target; the verdict uses the medians.

- ``xent quiz`` to its first question (input piped, and empty: the session
  ends there), with the bank cache filled (a random first question, and a
  numeric one, which needs numpy to be drawn), and once more with it emptied
  before each run (what the very first quiz after an install or a bank edit costs);
- ``xent learn entropy`` (its card's numbers cached), and once more with the
  cached card deleted before each run; ``xent stats``, ``xent interview`` (when this xent
  has it): at most 1.5x;
- ``xent calc entropy 0.2,0.3,0.5 -q``: at most 1.3x;
- ``--help`` of the root and of every command: at most 1.0x.

Beside them, with no target, ``python -c "import numpy, typer, rich.console"``:
the imports that every command drawing a question or computing a loss needs
before any of xent's own code runs, a floor that no such command can beat.

Everything runs with its own empty ``XENT_HOME`` (no progress, its own cache),
so nothing of yours is read or written. Byte-code caching is switched on for
the runs (``PYTHONDONTWRITEBYTECODE`` removed), as it is for an installed
package: numpy's ``.pyc`` files exist, so xent's should too. Usage::

    .venv/bin/python benchmarks/startup.py [--rounds 15] [--only quiz,calc]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ONE_LINER = (
    "import numpy as np; p = np.array([0.2, 0.3, 0.5]); print(-(p * np.log(p)).sum())"
)
#: What every command that draws a question or computes a loss imports before
#: xent's own code runs: no such command can start faster than this.
FLOOR = "import numpy, typer, rich.console"
SESSION, CALC, HELP = 1.5, 1.3, 1.0


def _xent() -> list[str]:
    """The installed console script next to this Python, else ``python -m xentcli``."""
    script = Path(sys.executable).with_name("xent")
    return [str(script)] if script.exists() else [sys.executable, "-m", "xentcli"]


def _commands() -> list[str]:
    from xentcli.cli.app import COMMANDS

    return list(COMMANDS)


class Case:
    """One command to time: its argv, its target ratio, what to do before each run."""

    def __init__(self, label: str, argv: list[str], target: float | None,
                 before: Callable[[], None] | None = None) -> None:
        self.label, self.argv, self.target, self.before = label, argv, target, before
        self.times: list[float] = []


def _forget(cache: Path, *patterns: str) -> None:
    """Delete some cache entries (only these: the other cases keep theirs)."""
    for pattern in patterns:
        for entry in cache.glob(pattern):
            entry.unlink()


def _cases(home: Path) -> list[Case]:
    xent = _xent()
    cache = home / "cache"
    cases = [
        Case("numpy one-liner", [sys.executable, "-c", ONE_LINER], None),
        Case("floor: import numpy,typer,rich", [sys.executable, "-c", FLOOR], None),
        Case("xent quiz", [*xent, "quiz"], SESSION),
        Case("xent quiz, numeric first", [*xent, "quiz", "--question", "entropy-two-coins"],
             SESSION),
        Case("xent quiz (no cache)", [*xent, "quiz"], None,
             before=lambda: _forget(cache, "bank-*.json", "index-*.json")),
        Case("xent learn entropy", [*xent, "learn", "entropy"], SESSION),
        Case("xent learn (no cache)", [*xent, "learn", "entropy"], None,
             before=lambda: _forget(cache, "card-*.json")),
        Case("xent stats", [*xent, "stats"], SESSION),
    ]
    commands = _commands()
    if "interview" in commands:
        cases.append(Case("xent interview", [*xent, "interview"], SESSION))
    cases.append(Case("xent calc entropy -q", [*xent, "calc", "entropy", "0.2,0.3,0.5", "-q"],
                      CALC))
    cases.append(Case("xent --help", [*xent, "--help"], HELP))
    for name in commands:
        cases.append(Case(f"xent {name} --help", [*xent, name, "--help"], HELP))
    return cases


def _time(case: Case, env: dict[str, str]) -> float:
    if case.before:
        case.before()
    start = time.perf_counter()
    done = subprocess.run(case.argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, env=env)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):  # 1: a session that ended at the end of its input
        sys.exit(f"failed ({done.returncode}): {' '.join(case.argv)}\n{done.stderr.decode()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--only", default="", help="comma-separated words; a case runs "
                        "when its label contains one (the one-liner always runs)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="xent-startup-") as folder:
        home = Path(folder)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["XENT_HOME"] = str(home)
        env.pop("NO_COLOR", None)
        cases = _cases(home)
        if args.only:
            words = args.only.split(",")
            cases = [c for c in cases if c.label.startswith(("numpy", "floor"))
                     or any(w in c.label for w in words)]
        for case in cases:  # warm the file cache, the .pyc files and the bank cache
            _time(case, env)
        for _ in range(args.rounds):
            for case in cases:
                case.times.append(_time(case, env))
    base = cases[0]
    base_median, base_fastest = statistics.median(base.times), min(base.times)
    print(f"{args.rounds} rounds, alternating; wall time, median (fastest run); "
          f"ratio to the one-liner")
    print(f"  {base.label:30} {base_median * 1000:6.1f} ms ({base_fastest * 1000:6.1f})")
    over = 0
    for case in cases[1:]:
        median, fastest = statistics.median(case.times), min(case.times)
        ratio = median / base_median
        if case.target is None:
            verdict = ""
        elif ratio <= case.target:
            verdict = f"ok (target {case.target:.1f}x)"
        else:
            verdict = f"OVER the {case.target:.1f}x target"
            over += 1
        print(f"  {case.label:30} {median * 1000:6.1f} ms ({fastest * 1000:6.1f})  "
              f"{ratio:4.2f}x ({fastest / base_fastest:4.2f}x)  {verdict}")
    print(f"{over} over target" if over else "all within target")


if __name__ == "__main__":
    main()

"""Start-up time of `xent` against the numpy one-liner it replaces.

Runs, alternating in each round so that machine load hits all alike:

- ``xent calc entropy 0.2,0.3,0.5 -q``   (target: at most 1.5x the one-liner)
- ``xent --help``                        (target: at most 1.0x the one-liner)
- ``python -c "import numpy as np; p = np.array([0.2, 0.3, 0.5]); print(...)"``

and prints the median (and fastest) wall time of each and the ratios; the
verdict uses the medians. Byte-code caching is
switched on for the runs (``PYTHONDONTWRITEBYTECODE`` removed), as it is for an
installed package: numpy's ``.pyc`` files exist, so xent's should too. Usage::

    .venv/bin/python benchmarks/startup.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ONE_LINER = (
    "import numpy as np; p = np.array([0.2, 0.3, 0.5]); print(-(p * np.log(p)).sum())"
)
TARGETS = {"calc": 1.5, "help": 1.0}


def _xent() -> list[str]:
    """The installed console script next to this Python, else ``python -m xentcli``."""
    script = Path(sys.executable).with_name("xent")
    return [str(script)] if script.exists() else [sys.executable, "-m", "xentcli"]


ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _time(cmd: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{done.stderr.decode()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    rounds = parser.parse_args().rounds
    commands = {
        "numpy": [sys.executable, "-c", ONE_LINER],
        "calc": [*_xent(), "calc", "entropy", "0.2,0.3,0.5", "-q"],
        "help": [*_xent(), "--help"],
    }
    for cmd in commands.values():  # warm the file cache and .pyc files
        _time(cmd)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, cmd in commands.items():
            times[name].append(_time(cmd))
    medians = {name: statistics.median(values) for name, values in times.items()}
    fastest = {name: min(values) for name, values in times.items()}
    print(f"{rounds} rounds, alternating; wall time, median (fastest run)")
    numpy_ms = medians["numpy"] * 1000
    print(f"  numpy one-liner      {numpy_ms:6.1f} ms ({fastest['numpy'] * 1000:6.1f})")
    for name, label in (("calc", "xent calc entropy -q"), ("help", "xent --help")):
        ratio = medians[name] / medians["numpy"]
        best = fastest[name] / fastest["numpy"]
        verdict = "ok" if ratio <= TARGETS[name] else f"over the {TARGETS[name]}x target"
        print(
            f"  {label:20} {medians[name] * 1000:6.1f} ms ({fastest[name] * 1000:6.1f})"
            f"  {ratio:4.2f}x ({best:4.2f}x)  {verdict}"
        )

if __name__ == "__main__":
    main()

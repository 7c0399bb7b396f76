"""`xent eval` against `xent calc ce` on the same 1e6-row files (target: within 2x).

Writes ``labels.npy`` (N class indices) and ``logits.npy`` (N x K) into a
scratch folder, then runs, alternating in each round so that machine load
hits both alike::

    xent eval @labels.npy @logits.npy --logits --json
    xent calc ce @labels.npy @logits.npy --logits -q

and prints the median (and fastest) wall time of each and their ratio; the
verdict uses the medians. ``--repeat`` runs the whole comparison several times
(separate medians). Usage::

    .venv/bin/python benchmarks/eval_vs_calc.py [--rows 1000000] [--classes 10]
        [--rounds 5] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = 2.0


def _xent() -> list[str]:
    script = Path(sys.executable).with_name("xent")
    return [str(script)] if script.exists() else [sys.executable, "-m", "xentcli"]


def _time(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    import numpy as np

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        rng = np.random.default_rng(0)
        labels, logits = Path(folder, "labels.npy"), Path(folder, "logits.npy")
        np.save(labels, rng.integers(0, opts.classes, size=opts.rows))
        np.save(logits, rng.normal(size=(opts.rows, opts.classes)) * 3)
        files = [f"@{labels}", f"@{logits}", "--logits"]
        commands = {
            "eval": [*_xent(), "eval", *files, "--json"],
            "calc ce": [*_xent(), "calc", "ce", *files, "-q"],
        }
        print(f"{opts.rows} rows x {opts.classes} classes, .npy (memory-mapped)")
        for repeat in range(1, opts.repeat + 1):
            times: dict[str, list[float]] = {name: [] for name in commands}
            for _ in range(opts.rounds):
                for name, command in commands.items():
                    times[name].append(_time(command))
            medians = {name: statistics.median(t) for name, t in times.items()}
            ratio = medians["eval"] / medians["calc ce"]
            verdict = "ok" if ratio <= TARGET else f"over the {TARGET}x target"
            parts = "   ".join(f"{name}: median {medians[name]:.3f} s "
                               f"(fastest {min(times[name]):.3f} s)" for name in commands)
            print(f"run {repeat}: {parts}   eval/calc = {ratio:.2f}x  {verdict}")


if __name__ == "__main__":
    main()

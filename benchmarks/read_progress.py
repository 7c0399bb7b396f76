"""What the progress bar costs while a large file is read.

Writes a text file of ``--mb`` megabytes of ``0.1,0.2,0.7`` rows in a temporary
folder, then times ``xent calc entropy @file`` with stdout and stderr on a
pseudo-terminal of 80x24, so that the bar is drawn, and the same command with
stderr sent to /dev/null, so that it is not (stdout stays on the terminal in
both). The two alternate in each round so that machine load hits both alike;
the medians and their ratio are printed. The file is deleted afterwards. Usage::

    .venv/bin/python benchmarks/read_progress.py [--mb 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

LINE = b"0.1,0.2,0.7\n"


def _xent() -> list[str]:
    script = Path(sys.executable).with_name("xent")
    return [str(script)] if script.exists() else [sys.executable, "-m", "xentcli"]


def _write(path: Path, megabytes: int) -> None:
    block = LINE * (1 << 16)
    with path.open("wb") as out:
        for _ in range(megabytes * 1_000_000 // len(block)):
            out.write(block)


def _run(argv: list[str], bar: bool) -> tuple[float, bytes]:
    """Seconds taken, and what reached the terminal (drained as it comes)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    stderr = slave if bar else subprocess.DEVNULL
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=slave, stderr=stderr,
                            env=env, close_fds=True)
    os.close(slave)
    seen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 600)
        if not ready:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    status = proc.wait()
    elapsed = time.perf_counter() - start
    os.close(master)
    if status != 0:
        sys.exit(f"failed ({status}): {' '.join(argv)}\n{seen.decode(errors='replace')}")
    return elapsed, seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="xent-progress-") as folder:
        path = Path(folder) / "big.csv"
        _write(path, args.mb)
        argv = [*_xent(), "calc", "entropy", f"@{path}"]
        times: dict[bool, list[float]] = {True: [], False: []}
        drawn = 0
        for _ in range(args.rounds):
            for bar in (False, True):
                elapsed, seen = _run(argv, bar)
                times[bar].append(elapsed)
                if bar:
                    drawn = max(drawn, seen.count(b"\x1b[2K"))
    size = args.mb
    without, with_bar = statistics.median(times[False]), statistics.median(times[True])
    print(f"{size} MB text file, {args.rounds} rounds (medians)")
    print(f"  without a bar (stderr to /dev/null) {without:7.2f} s   "
          f"runs: {', '.join(f'{t:.2f}' for t in times[False])}")
    print(f"  with the bar (stderr a terminal)    {with_bar:7.2f} s   "
          f"runs: {', '.join(f'{t:.2f}' for t in times[True])}")
    print(f"  ratio with/without: {with_bar / without:.3f}   "
          f"(about {drawn} redraws in a run)")


if __name__ == "__main__":
    main()

"""Start-up of `xent stats` and `xent quiz -n 1` with 100,000 saved answers.

Fills a scratch ``XENT_HOME`` with a year of practice (100,000 answers by
default, over the shipped questions, in sessions of 20, about 70% right) and
another with no progress at all, then times, alternating in each round so
that machine load hits all alike:

- ``xent stats`` and ``xent stats --json``
- ``xent quiz -n 1`` (one skipped question; ``--no-save`` is not used, so the
  history is read and planned from as in real use)
- ``xent interview`` where the command exists (one skipped question)

and prints, per command, the median wall time with the full home, with a home
of one answer and with the empty one (a progress file whose answers are deleted
by ``xent stats --reset``'s own code before each run: the quiz saves its skip),
and the ratios (target: about 1, at most 1.2, against the empty home). The
integrity check (``PRAGMA quick_check``) runs only when the file changed since
xent last checked or wrote it (``xentcli.quiz.store_integrity``), which it does
not here; each command is also timed on the full home with its seal removed,
so that the start runs the check as every start once did. Then how long the
check takes on the full file, and, in this process, how long the open and each
aggregate take with it (the running totals of schema v7 read in place of
counting), and an open that runs the check (which also counts the totals
again). Usage::

    .venv/bin/python benchmarks/progress_scale.py [--answers 100000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

TARGET = 1.2


def _xent() -> list[str]:
    """The console script next to this Python, else ``python -m xentcli``."""
    script = Path(sys.executable).with_name("xent")
    return [str(script)] if script.exists() else [sys.executable, "-m", "xentcli"]


def fill(home: Path, answers: int, seed: int = 0) -> None:
    """Write ``answers`` answers over the shipped questions into ``home``'s progress file."""
    from xentcli.quiz.bank import load_banks
    from xentcli.quiz.store import open_store

    questions = [(q.id, t.id) for t in load_banks().topics.values() for q in t.questions]
    rng = random.Random(seed)
    store = open_store(home / "progress.db", create=True)
    assert store is not None
    start = datetime.now(timezone.utc) - timedelta(days=365)
    step = timedelta(days=365) / answers
    rows: list[tuple[object, ...]] = []
    sessions: list[tuple[int, str]] = []
    for n in range(answers):
        if n % 20 == 0:
            sessions.append((len(sessions) + 1, (start + n * step).isoformat(
                timespec="microseconds")))
        qid, topic = rng.choice(questions)
        right = rng.random() < 0.7
        skipped = not right and rng.random() < 0.2
        at = (start + n * step).isoformat(timespec="microseconds")
        rows.append((qid, topic, "numeric", n, '{"p": [0.2, 0.3, 0.5]}',
                     None if skipped else "1.03", "1.0297", int(right), int(skipped),
                     12.5, at, len(sessions), 0, None))
    with store:
        conn = store.conn
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO sessions (id, started_at) VALUES (?, ?)", sessions)
        conn.executemany(
            "INSERT INTO answers (question_id, topic, kind, seed, params, given, expected, "
            "correct, skipped, seconds, answered_at, session_id, hints, diagnosis) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        conn.execute("COMMIT")


def _has_interview() -> bool:
    done = subprocess.run([*_xent(), "interview", "--help"], capture_output=True)
    return done.returncode == 0


def _clear(home: Path) -> None:
    """No saved answers in ``home``'s progress file (deleted as xent deletes them)."""
    from xentcli.quiz.store import open_store

    store = open_store(home / "progress.db", create=True)
    assert store is not None
    with store:
        store.reset()


def _unseal(home: Path) -> None:
    """Remove the seal: the next start runs the integrity check, as every start once did."""
    (home / "progress.db-checked").unlink(missing_ok=True)


def _time(cmd: list[str], home: Path, stdin: bytes,
          prepare: Callable[[Path], None] | None = None) -> float:
    if prepare is not None:
        prepare(home)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["XENT_HOME"] = str(home)
    start = time.perf_counter()
    done = subprocess.run(cmd, input=stdin, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, env=env)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr.decode()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    xent = _xent()
    commands: dict[str, tuple[list[str], bytes]] = {
        "xent stats": ([*xent, "stats"], b""),
        "xent stats --json": ([*xent, "stats", "--json"], b""),
        "xent quiz -n 1": ([*xent, "quiz", "-n", "1"], b"skip\n"),
    }
    if _has_interview():
        commands["xent interview"] = ([*xent, "interview", "--minutes", "1"], b"quit\n")
    with tempfile.TemporaryDirectory() as scratch:
        full, one, empty = Path(scratch, "full"), Path(scratch, "one"), Path(scratch, "empty")
        for home in (full, one, empty):
            home.mkdir()
        begin = time.perf_counter()
        fill(full, args.answers)
        fill(one, 1)
        size = (full / "progress.db").stat().st_size / 1e6
        print(f"filled {args.answers} answers ({size:.1f} MB) in "
              f"{time.perf_counter() - begin:.1f} s")
        # "checked": the full home again, its seal removed before each run.
        homes: dict[str, tuple[Path, Callable[[Path], None] | None]] = {
            "full": (full, None), "one": (one, None), "empty": (empty, _clear),
            "checked": (full, _unseal),
        }
        # The quiz saves its one skip: each run adds an answer, as real use does.
        for cmd, stdin in commands.values():  # warm the file cache and .pyc files
            for home, prepare in homes.values():
                _time(cmd, home, stdin, prepare)
        times: dict[tuple[str, str], list[float]] = {(n, h): [] for n in commands for h in homes}
        for _ in range(args.rounds):
            for name, (cmd, stdin) in commands.items():
                for h, (home, prepare) in homes.items():
                    times[name, h].append(_time(cmd, home, stdin, prepare))
        check = statistics.median(_quick_check(full / "progress.db")
                                  for _ in range(args.rounds))
        parts = _breakdown(full / "progress.db", args.rounds)
    print(f"{args.rounds} rounds, alternating; median wall time with {args.answers} "
          "answers, with 1, with none;\nbelow, with the answers again, the seal removed so "
          "the start runs the check (as before)")
    for name in commands:
        median = {h: statistics.median(times[name, h]) for h in homes}
        ratio = median["full"] / median["empty"]
        verdict = "ok" if ratio <= TARGET else f"over the {TARGET}x target"
        print(f"  {name:18} {median['full'] * 1000:6.1f} / {median['one'] * 1000:6.1f} / "
              f"{median['empty'] * 1000:6.1f} ms  {ratio:4.2f}x none, "
              f"{median['full'] / median['one']:4.2f}x one  {verdict}")
        print(f"  {'':18} {median['checked'] * 1000:6.1f} ms checked at the start  "
              f"{median['checked'] / median['empty']:4.2f}x none")
    print(f"  integrity check of the {args.answers}-answer file: {check * 1000:.1f} ms "
          "(run only when it changed behind xent's back)")
    print("  in-process, medians: " + ", ".join(f"{k} {v * 1000:.1f} ms"
                                               for k, v in parts.items()))


def _breakdown(path: Path, rounds: int) -> dict[str, float]:
    """Where a start's time goes with this file: the open and each aggregate."""
    from xentcli.quiz.store import open_store
    from xentcli.quiz.store_summary import planning, sql_ready, sql_summary

    now = datetime.now(timezone.utc)
    steps: dict[str, list[float]] = {"open": [], "sql_ready": [], "planning (quiz)": [],
                                     "summary (stats)": [], "open, checked": []}
    for _ in range(rounds):
        _unseal(path.parent)  # the check runs, and counts the totals again
        start = time.perf_counter()
        checked = open_store(path)
        steps["open, checked"].append(time.perf_counter() - start)
        assert checked is not None
        checked.close()  # seals the file again
        start = time.perf_counter()
        store = open_store(path)
        assert store is not None
        steps["open"].append(time.perf_counter() - start)
        with store:
            for name, step in (("sql_ready", sql_ready), ("planning (quiz)", planning),
                               ("summary (stats)", lambda s: sql_summary(s, now=now,
                                                                         tz=timezone.utc))):
                start = time.perf_counter()
                step(store)
                steps[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in steps.items()}


def _quick_check(path: Path) -> float:
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        start = time.perf_counter()
        conn.execute("PRAGMA quick_check").fetchall()
        return time.perf_counter() - start
    finally:
        conn.close()


if __name__ == "__main__":
    main()

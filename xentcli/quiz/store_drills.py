"""Coding drills in the progress store: one row per `xent drill check` (schema v5).

Everything about `xent drill` progress is here (and in its migration); the
quiz's tables are untouched.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from xentcli.quiz.store_open import _open
from xentcli.quiz.store_queries import Store
from xentcli.quiz.store_schema import DRILLS_VERSION
from xentcli.quiz.store_sqlite import _failure, _timestamp, _Unwritable, default_path

__all__ = ["DrillAttempt", "DrillProgress", "drill_progress", "record_drill_attempt"]


@dataclass(frozen=True)
class DrillAttempt:
    """One `xent drill check` of a file."""

    drill: str
    passed: bool
    failed_test: str | None
    tests_passed: int
    tests_total: int
    seconds: float
    attempted_at: datetime


@dataclass(frozen=True)
class DrillProgress:
    """One drill's history: how often it was checked, and whether it ever passed."""

    drill: str
    attempts: int
    passes: int
    last_attempt: datetime

    @property
    def passed(self) -> bool:
        return self.passes > 0


def record_drill_attempt(attempt: DrillAttempt, path: Path | None = None) -> str | None:
    """Save one check; return a warning instead when the store cannot be written.

    Raises:
        StoreError: the file is damaged, not SQLite or from a newer xent.
    """
    where = path if path is not None else default_path()
    try:
        store = _open(where, create=True)
    except _Unwritable as exc:
        return f"{exc}; this check was not saved"
    assert store is not None  # create=True never gives None
    with store:
        if not store.writable:
            return f"{store.note}; this check was not saved"
        try:
            store.conn.execute(
                "INSERT INTO drill_attempts (drill, passed, failed_test, tests_passed, "
                "tests_total, seconds, attempted_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (attempt.drill, int(attempt.passed), attempt.failed_test, attempt.tests_passed,
                 attempt.tests_total, float(attempt.seconds), _timestamp(attempt.attempted_at)),
            )
        except sqlite3.Error as exc:
            raise _failure(where, exc, "saving a drill check") from None
    return None


#: The schema version that brought the drills' table (found, not written down,

def drill_progress(store: Store) -> list[DrillProgress]:
    """Every drill that was ever checked, by name (none in older files)."""
    if store.version < DRILLS_VERSION:
        return []
    rows = store._read(
        "SELECT drill, count(*), sum(passed), max(attempted_at) FROM drill_attempts "
        "GROUP BY drill ORDER BY drill",
        "reading drill progress",
    )
    return [DrillProgress(drill, int(n), int(passes or 0), datetime.fromisoformat(str(last)))
            for drill, n, passes, last in rows]

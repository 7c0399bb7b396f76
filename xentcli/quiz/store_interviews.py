"""Mock interviews and the interview date in the progress store (schema v3).

Kept apart from the answers in :mod:`xentcli.quiz.store`: an interview's
answers are ordinary rows of ``answers`` (so spaced repetition counts them), in
the session that the interview's own row points to; the row keeps the report
(per question and per topic) as JSON. The interview date of ``xent plan`` is a
row of the ``settings`` table.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from xentcli.errors import StoreError
from xentcli.quiz.records import AnswerRecord, InterviewRecord
from xentcli.quiz.store import StoreRecorder
from xentcli.quiz.store_integrity import Trust
from xentcli.quiz.store_queries import Store
from xentcli.quiz.store_schema import INTERVIEW_SCHEMA
from xentcli.quiz.store_sqlite import _connect, _failure, _jsonable, _timestamp

__all__ = [
    "InterviewRow",
    "StoreInterviewRecorder",
    "read_exam_date",
    "read_interviews",
    "write_exam_date",
]

_EXAM_DATE = "exam_date"


@dataclass(frozen=True)
class InterviewRow:
    """One saved mock interview."""

    id: int
    started_at: datetime
    minutes: float
    seed: int | None
    planned: int
    asked: int
    correct: int
    timed_out: int
    readiness: float
    finished: bool
    report: dict[str, Any]


def read_interviews(store: Store) -> list[InterviewRow]:
    """Every saved interview, oldest first (none in a file older than v3)."""
    if store.version < INTERVIEW_SCHEMA:
        return []
    rows = store._read(
        "SELECT id, started_at, minutes, seed, planned, asked, correct, timed_out, readiness, "
        "finished, report FROM interviews ORDER BY started_at, id",
        "reading the interviews",
    )
    out = []
    for row_id, at, minutes, seed, planned, asked, correct, timed_out, ready, done, text in rows:
        try:
            report = json.loads(text)
        except ValueError:
            report = {}
        out.append(InterviewRow(
            int(row_id), store._when(at, row_id), float(minutes), seed, int(planned),
            int(asked), int(correct), int(timed_out), float(ready), bool(done),
            report if isinstance(report, dict) else {},
        ))
    return out


def read_exam_date(store: Store) -> date | None:
    """The interview date set by ``xent plan --date`` (None when unset)."""
    if store.version < INTERVIEW_SCHEMA:
        return None
    rows = store._read(f"SELECT value FROM settings WHERE key = '{_EXAM_DATE}'",
                       "reading the interview date")
    if not rows:
        return None
    try:
        return date.fromisoformat(str(rows[0][0]))
    except ValueError:
        raise StoreError(f"the progress file {store.path} has the interview date "
                         f"{rows[0][0]!r}, which is not a date (YYYY-MM-DD); set it again "
                         "with xent plan --date") from None


def write_exam_date(store: Store, when: date | None) -> None:
    """Set (or with None, clear) the interview date."""
    if not store.writable:
        raise StoreError(f"cannot save the plan: {store.note or 'the file is read-only'}")
    try:
        if when is None:
            store.conn.execute("DELETE FROM settings WHERE key = ?", (_EXAM_DATE,))
        else:
            store.conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (_EXAM_DATE, when.isoformat()),
            )
    except sqlite3.Error as exc:
        raise _failure(store.path, exc, "saving the plan") from None


@dataclass
class StoreInterviewRecorder:
    """Saves an interview's answers as a quiz does, and its report after each one.

    The report row is written after every answer, so an interview ended by
    Ctrl-C or a crash keeps its report as far as it went.
    """

    path: Path
    trust: Trust | None = field(default=None, repr=False, compare=False)
    answers: StoreRecorder = field(init=False)
    interview_id: int | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.answers = StoreRecorder(self.path, trust=self.trust)  # one chain for both

    def record(self, rec: AnswerRecord) -> None:
        self.answers.record(rec)

    def save(self, interview: InterviewRecord) -> None:
        report = json.dumps(dict(interview.report), ensure_ascii=False, allow_nan=False,
                            default=_jsonable)
        values = (
            float(interview.minutes), interview.seed, interview.planned, interview.asked,
            interview.correct, interview.timed_out, float(interview.readiness),
            int(interview.finished), report,
        )
        before = self.trust.before() if self.trust is not None else None
        try:
            conn = _connect(self.path, "mode=rw")
        except sqlite3.Error as exc:
            raise _failure(self.path, exc, "saving the interview") from None
        saved = False
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                interview_id = self.interview_id
                if interview_id is not None and not conn.execute(
                    "UPDATE interviews SET minutes = ?, seed = ?, planned = ?, asked = ?, "
                    "correct = ?, timed_out = ?, readiness = ?, finished = ?, report = ?, "
                    "session_id = ? WHERE id = ? AND started_at = ?",
                    (*values, self.answers.session_id, interview_id,
                     _timestamp(interview.started_at)),
                ).rowcount:
                    # `xent stats --reset` deleted it meanwhile (its id may even be
                    # another interview's by now): this one gets a new row.
                    interview_id = None
                if interview_id is None:
                    cursor = conn.execute(
                        "INSERT INTO interviews (minutes, seed, planned, asked, correct, "
                        "timed_out, readiness, finished, report, session_id, started_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (*values, self.answers.session_id, _timestamp(interview.started_at)),
                    )
                    interview_id = cursor.lastrowid
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            self.interview_id = interview_id
            saved = True
        except sqlite3.Error as exc:
            raise _failure(self.path, exc, "saving the interview") from None
        finally:
            conn.close()
            if self.trust is not None:
                self.trust.renew(before, ok=saved)

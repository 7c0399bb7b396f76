"""Interviews and the interview date in the progress store: the v3 migration keeps
every row of a file made with the schema before it, and what is saved reads back."""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from xentcli.errors import StoreError
from xentcli.quiz.records import AnswerRecord, InterviewRecord
from xentcli.quiz.store import (
    INTERVIEW_SCHEMA,
    MIGRATIONS,
    SCHEMA_VERSION,
    open_progress,
    open_store,
)
from xentcli.quiz.store_interviews import (
    read_exam_date,
    read_interviews,
    write_exam_date,
)

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def db() -> Path:
    return Path(os.environ["XENT_HOME"]) / "progress.db"


def _make_v2(path: Path, sessions: int, per_session: int) -> tuple[list[object], list[object]]:
    """A database exactly as schema v2 (the one before interviews) writes it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    try:
        for step in MIGRATIONS[:INTERVIEW_SCHEMA - 1]:
            for statement in step:
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {INTERVIEW_SCHEMA - 1}")
        for s in range(sessions):
            conn.execute("INSERT INTO sessions (started_at) VALUES (?)",
                         ((T0 + timedelta(days=s)).isoformat(timespec="microseconds"),))
            conn.executemany(
                "INSERT INTO answers (question_id, topic, kind, seed, params, given, expected, "
                "correct, skipped, seconds, answered_at, session_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (f"q{i % 4}", ("entropy", "kl")[i % 2], "numeric", i,
                     json.dumps({"p": [i, 1]}), None if i % 3 == 0 else str(i), "1.5", i % 2,
                     int(i % 3 == 0), i / 4,
                     (T0 + timedelta(days=s, minutes=i)).isoformat(timespec="microseconds"),
                     s + 1)
                    for i in range(per_session)
                ],
            )
        conn.commit()
        return (conn.execute("SELECT * FROM answers ORDER BY id").fetchall(),
                conn.execute("SELECT * FROM sessions ORDER BY id").fetchall())
    finally:
        conn.close()


def test_the_interview_migration_keeps_every_row_of_a_file_from_the_schema_before(
    db: Path,
) -> None:
    answers, sessions = _make_v2(db, sessions=3, per_session=40)
    with open_store() as store:  # type: ignore[union-attr]
        assert store.version == SCHEMA_VERSION >= INTERVIEW_SCHEMA
        assert store.count() == 120
        assert store.session_count() == 3
        assert read_interviews(store) == []
        assert read_exam_date(store) is None
    conn = sqlite3.connect(db)
    try:
        columns = [r[1] for r in conn.execute("PRAGMA table_info(answers)")]
        after = conn.execute(f"SELECT {', '.join(columns[:13])} FROM answers "
                             "ORDER BY id").fetchall()
        after_sessions = conn.execute("SELECT id, started_at FROM sessions "
                                      "ORDER BY id").fetchall()
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master "
                                             "WHERE type = 'table'")}
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()
    assert after == answers
    assert after_sessions == sessions
    assert {"interviews", "settings"} <= tables
    assert version == SCHEMA_VERSION
    # The upgraded file takes an interview and a date at once.
    progress = open_progress()
    recorder = progress.interview_recorder()
    recorder.record(AnswerRecord("q9", "entropy", "numeric", 7, {}, "1", "1.0", True))
    recorder.save(_interview(asked=1, correct=1))
    with open_store() as store:  # type: ignore[union-attr]
        write_exam_date(store, date(2026, 12, 4))
        assert store.count() == 121
        [saved] = read_interviews(store)
        assert read_exam_date(store) == date(2026, 12, 4)
    assert saved.report["questions"][0]["id"] == "q9"
    with open_store() as store:  # type: ignore[union-attr]
        newest = max(store.history(), key=lambda r: r["id"])
    assert newest["session_id"] == 4  # after the three old sessions


def _interview(**changes: object) -> InterviewRecord:
    fields: dict[str, object] = {
        "started_at": T0, "minutes": 10.0, "seed": 4, "planned": 6, "asked": 0,
        "correct": 0, "timed_out": 0, "readiness": 0.0, "finished": False,
        "report": {"questions": [{"id": "q9", "seconds": 12.5}]},
    }
    fields.update(changes)
    return InterviewRecord(**fields)  # type: ignore[arg-type]


def test_an_interview_row_is_written_once_and_updated_after_each_answer(db: Path) -> None:
    recorder = open_progress().interview_recorder()
    for i in range(3):
        recorder.record(AnswerRecord(f"q{i}", "kl", "numeric", i, {}, "1", "1.0", i != 1))
        recorder.save(_interview(asked=i + 1, correct=i + 1 - (i >= 1), readiness=0.5 + i / 10,
                                 finished=i == 2))
    with open_store() as store:  # type: ignore[union-attr]
        [row] = read_interviews(store)
        answers = list(store.history())
    assert (row.asked, row.correct, row.finished, row.seed, row.minutes) == (3, 2, True, 4, 10.0)
    assert row.readiness == pytest.approx(0.7)
    assert row.started_at == T0
    assert {a["session_id"] for a in answers} == {1}
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT session_id FROM interviews").fetchall() == [(1,)]
    finally:
        conn.close()


def test_no_save_saves_no_interview(db: Path) -> None:
    recorder = open_progress(no_save=True).interview_recorder()
    recorder.record(AnswerRecord("q1", "kl", "numeric", 1, {}, "1", "1.0", True))
    recorder.save(_interview())
    assert not db.exists()


def test_the_date_is_cleared_and_a_hand_edited_one_is_named(db: Path) -> None:
    open_progress()
    with open_store() as store:  # type: ignore[union-attr]
        write_exam_date(store, date(2026, 12, 4))
        write_exam_date(store, date(2026, 12, 5))  # replaces, not a second row
        assert read_exam_date(store) == date(2026, 12, 5)
        assert open_progress().exam_date == date(2026, 12, 5)
        write_exam_date(store, None)
        assert read_exam_date(store) is None
        store.conn.execute("INSERT INTO settings VALUES ('exam_date', 'next friday')")
        with pytest.raises(StoreError, match=r"has the interview date 'next friday', which is "
                                             r"not a date \(YYYY-MM-DD\); set it again with "
                                             r"xent plan --date$"):
            read_exam_date(store)


def test_reset_deletes_the_interviews_and_keeps_the_date(db: Path) -> None:
    recorder = open_progress().interview_recorder()
    recorder.record(AnswerRecord("q1", "kl", "numeric", 1, {}, "1", "1.0", True))
    recorder.save(_interview(asked=1, correct=1))
    with open_store() as store:  # type: ignore[union-attr]
        write_exam_date(store, date(2026, 12, 4))
        assert store.reset() == 1
        assert read_interviews(store) == []
        assert read_exam_date(store) == date(2026, 12, 4)

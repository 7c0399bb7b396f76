"""The running totals of schema v7 (xentcli.quiz.store_totals).

The migration counts them from the answers already there, all or nothing;
triggers keep them for any program's writes; a write that went around the
triggers is found when the file is checked and mended; a file whose seal says
it is unchanged is trusted without counting.
"""

from __future__ import annotations

import os
import random
import sqlite3
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from test_store import _without_write_rights, needs_linux

from xentcli.quiz import store_open
from xentcli.quiz.records import AnswerRecord
from xentcli.quiz.schedule import summarize
from xentcli.quiz.store import open_progress, open_store
from xentcli.quiz.store_integrity import seal_path
from xentcli.quiz.store_schema import (
    CARD_TOTALS,
    MIGRATIONS,
    ODD_ANSWERS,
    SCHEMA_VERSION,
    TOPIC_TOTALS,
    TOTALS_SCHEMA,
)
from xentcli.quiz.store_sqlite import _timestamp
from xentcli.quiz.store_summary import summary
from xentcli.quiz.store_totals import check_totals

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=timezone.utc)
_INSERT = ("INSERT INTO answers (question_id, topic, kind, seed, params, given, expected, "
           "correct, skipped, seconds, answered_at, session_id, hints) "
           "VALUES (?, ?, 'numeric', 1, '{}', '1', '1', ?, ?, 1.0, ?, NULL, 0)")


def _db() -> Path:
    return Path(os.environ["XENT_HOME"]) / "progress.db"


def _row(rng: random.Random) -> tuple[Any, ...]:
    right = rng.random() < 0.7
    when: Any = _timestamp(T0 + timedelta(minutes=rng.randint(0, 10_000)))
    if rng.random() < 0.05:
        when = when[:19]  # not xent's format: an odd answer
    topic: Any = rng.choice(["kl", "ce", "entropy"])
    if rng.random() < 0.03:
        topic = topic.encode()  # a BLOB: odd too
    return (f"q{rng.randint(0, 9)}", topic, int(right), int(not right and rng.random() < 0.3),
            when)


def _make_v6(path: Path, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """A file exactly as schema v6 left it, with these answers."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    try:
        for step in MIGRATIONS[:TOTALS_SCHEMA - 1]:
            for statement in step:
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {TOTALS_SCHEMA - 1}")
        conn.executemany(_INSERT, rows)
        conn.commit()
        return conn.execute("SELECT * FROM answers ORDER BY id").fetchall()
    finally:
        conn.close()


def _kept(conn: sqlite3.Connection) -> tuple[set[Any], set[Any], list[Any]]:
    return (set(conn.execute("SELECT * FROM card_totals").fetchall()),
            set(conn.execute("SELECT * FROM topic_totals").fetchall()),
            conn.execute("SELECT odd FROM answer_totals").fetchall())


def _counted(conn: sqlite3.Connection) -> tuple[set[Any], set[Any], list[Any]]:
    return (set(conn.execute(CARD_TOTALS).fetchall()),
            set(conn.execute(TOPIC_TOTALS).fetchall()), conn.execute(ODD_ANSWERS).fetchall())


def _connect() -> sqlite3.Connection:
    return sqlite3.connect(_db(), isolation_level=None)


def test_the_migration_counts_every_answer_already_there() -> None:
    rng = random.Random(1)
    before = _make_v6(_db(), [_row(rng) for _ in range(500)])
    with open_store() as store:  # type: ignore[union-attr]
        assert store.version == SCHEMA_VERSION >= TOTALS_SCHEMA
        assert store.totals
    conn = _connect()
    try:
        assert conn.execute("SELECT * FROM answers ORDER BY id").fetchall() == before
        kept = _kept(conn)
        assert kept == _counted(conn)
        assert sum(n for _, n, _ in kept[0]) == 500 and kept[2][0][0] > 0
    finally:
        conn.close()
    with open_store() as store:  # type: ignore[union-attr]
        pass  # opened again: nothing counted twice
    conn = _connect()
    try:
        assert _kept(conn) == kept
    finally:
        conn.close()


def test_a_migration_that_fails_halfway_leaves_the_file_as_it_was(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = random.Random(2)
    before = _make_v6(_db(), [_row(rng) for _ in range(50)])
    broken = (*MIGRATIONS[:-1], (*MIGRATIONS[-1], "SELECT no_such_function()"))
    with monkeypatch.context() as patched:
        patched.setattr(store_open, "MIGRATIONS", broken)
        with pytest.raises(Exception, match="no_such_function"):
            open_store()
    conn = _connect()
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == TOTALS_SCHEMA - 1
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name IN "
                            "('card_totals', 'answers_add')").fetchone()[0] == 0
        assert conn.execute("SELECT * FROM answers ORDER BY id").fetchall() == before
    finally:
        conn.close()
    with open_store() as store:  # type: ignore[union-attr]
        assert store.version == SCHEMA_VERSION
    conn = _connect()
    try:
        assert _kept(conn) == _counted(conn)
    finally:
        conn.close()


def test_the_triggers_keep_the_totals_through_any_programs_writes() -> None:
    rng = random.Random(3)
    open_store(create=True).close()  # type: ignore[union-attr]
    conn = _connect()
    try:
        for _ in range(40):
            action = rng.random()
            ids = [r[0] for r in conn.execute("SELECT id FROM answers")]
            if action < 0.5 or not ids:
                conn.executemany(_INSERT, [_row(rng) for _ in range(rng.randint(1, 5))])
            elif action < 0.8:
                column, value = rng.choice([
                    ("question_id", f"q{rng.randint(0, 9)}"), ("topic", b"blob"),
                    ("topic", "kl"), ("correct", rng.randint(0, 1)),
                    ("skipped", rng.randint(0, 1)), ("answered_at", "yesterday"),
                    ("answered_at", _timestamp(T0)), ("seconds", 3.0),
                ])
                conn.execute(f"UPDATE answers SET {column} = ? WHERE id = ?",
                             (value, rng.choice(ids)))
            else:
                conn.execute("DELETE FROM answers WHERE id = ?", (rng.choice(ids),))
            assert _kept(conn) == _counted(conn)
            assert check_totals(conn, SCHEMA_VERSION)
        conn.execute("DELETE FROM answers")
        assert _kept(conn) == (set(), set(), [(0,)])
    finally:
        conn.close()


def _answer(minutes: int, correct: bool = True) -> AnswerRecord:
    return AnswerRecord(
        question_id="entropy-three-bits", topic="entropy", kind="numeric", seed=7,
        params={"p": [0.5, 0.5]}, given="1", expected="0.693147", correct=correct,
        skipped=False, seconds=2.5, answered_at=T0 + timedelta(minutes=minutes))


def _summary_agrees() -> None:
    now = T0 + timedelta(days=3)
    with open_store() as store:  # type: ignore[union-attr]
        assert summary(store, now=now, tz=timezone.utc) == summarize(
            store.reviews(), now=now, tz=timezone.utc)


@pytest.mark.parametrize("edit", [
    # REPLACE deletes the old row without its delete trigger: counted twice.
    "INSERT OR REPLACE INTO answers (id, question_id, topic, kind, seed, params, given, "
    "expected, correct, skipped, seconds, answered_at) SELECT id, question_id, 'kl', kind, "
    "seed, params, given, expected, 0, 1, seconds, answered_at FROM answers WHERE id = 1",
    "DROP TRIGGER answers_add",
    "UPDATE card_totals SET answers = 99",
    "DELETE FROM answer_totals",
    "CREATE TRIGGER sneaky AFTER INSERT ON sessions BEGIN "
    "UPDATE topic_totals SET correct = 0; END",
])
def test_a_write_around_the_triggers_is_found_when_the_file_is_checked(edit: str) -> None:
    recorder = open_progress().recorder()
    for minutes in range(3):
        recorder.record(_answer(minutes, correct=minutes != 1))
    assert seal_path(_db()).exists()
    conn = _connect()
    conn.execute(edit)
    conn.close()
    with open_store() as store:  # type: ignore[union-attr]
        assert store.totals
    conn = _connect()
    try:
        assert _kept(conn) == _counted(conn)
        assert check_totals(conn, SCHEMA_VERSION)  # the triggers, as xent wrote them
    finally:
        conn.close()
    _summary_agrees()
    open_progress().recorder().record(_answer(10))  # and they count again
    _summary_agrees()


@needs_linux
def test_a_read_only_file_with_wrong_totals_is_replayed() -> None:
    recorder = open_progress().recorder()
    for minutes in range(3):
        recorder.record(_answer(minutes))
    conn = _connect()
    conn.execute("UPDATE topic_totals SET correct = 0")
    conn.close()
    home = _db().parent
    home.chmod(stat.S_IRUSR | stat.S_IXUSR)
    _db().chmod(stat.S_IRUSR)
    try:
        done = _without_write_rights("""
            from datetime import datetime, timezone
            from xentcli.quiz.store import open_store
            from xentcli.quiz.store_summary import summary
            with open_store() as store:
                print(store.writable, store.totals,
                      summary(store, now=datetime.now(timezone.utc), tz=timezone.utc))
        """, home)
    finally:
        home.chmod(stat.S_IRWXU)
        _db().chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert (done.returncode, done.stdout) == (0, "False False None\n"), done.stderr


def test_a_sealed_file_is_trusted_without_counting(monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = open_progress().recorder()
    recorder.record(_answer(0))
    calls: list[int] = []

    def counting(conn: sqlite3.Connection, version: int) -> bool:
        calls.append(version)
        return check_totals(conn, version)

    monkeypatch.setattr(store_open, "check_totals", counting)
    with open_store() as store:  # type: ignore[union-attr]
        assert store.totals
    assert calls == []
    seal_path(_db()).unlink()
    with open_store() as store:  # type: ignore[union-attr]
        assert store.totals
    assert calls == [SCHEMA_VERSION]


def test_a_reset_deletes_the_totals_and_the_triggers_count_again() -> None:
    recorder = open_progress().recorder()
    for minutes in range(4):
        recorder.record(_answer(minutes, correct=minutes % 2 == 0))
    with open_store() as store:  # type: ignore[union-attr]
        assert store.reset() == 4
    conn = _connect()
    try:
        assert _kept(conn) == (set(), set(), [(0,)])
        assert check_totals(conn, SCHEMA_VERSION)  # the triggers are back, as written
    finally:
        conn.close()
    open_progress().recorder().record(_answer(9, correct=False))
    conn = _connect()
    try:
        assert _kept(conn) == _counted(conn) == (
            {("entropy-three-bits", 1, 1)}, {("entropy", 1, 0, 0)}, [(0,)])
    finally:
        conn.close()

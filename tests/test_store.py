"""The progress store: what it saves, migrations, concurrency, damaged and read-only files."""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from xentcli.errors import StoreError
from xentcli.quiz.records import AnswerRecord, NullRecorder
from xentcli.quiz.store import (
    HINTS_SCHEMA,
    MIGRATIONS,
    SCHEMA_VERSION,
    SaveStatus,
    StoreRecorder,
    default_path,
    open_progress,
    open_store,
)

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=timezone.utc)


def _answer(i: int, **changes: object) -> AnswerRecord:
    fields: dict[str, object] = {
        "question_id": f"q{i % 7}",
        "topic": ("entropy", "surprisal", "ce")[i % 3],
        "kind": ("numeric", "choice", "open")[i % 3],
        "seed": 1000 + i,
        "params": {"k": i, "q": [0.25, 0.75], "name": "dog"},
        "given": f"-ln({i})" if i % 4 else None,
        "expected": "0.356675",
        "correct": i % 2 == 0,
        "skipped": i % 4 == 0,
        "seconds": i / 10,
        "answered_at": T0 + timedelta(minutes=i),
    }
    fields.update(changes)
    return AnswerRecord(**fields)  # type: ignore[arg-type]


def _fill(path: Path, count: int) -> None:
    recorder = open_progress(path).recorder()
    for i in range(count):
        recorder.record(_answer(i))


# ------------------------------------------------------------------ where and what


def test_xent_home_decides_where_the_file_lives(xent_home_path: Path) -> None:
    assert default_path() == xent_home_path / "progress.db"


def test_without_xent_home_the_user_data_folder_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    import platformdirs

    monkeypatch.delenv("XENT_HOME")
    assert default_path() == platformdirs.user_data_path("xent", appauthor=False) / "progress.db"


@pytest.fixture
def xent_home_path() -> Path:
    return Path(os.environ["XENT_HOME"])


def test_every_field_is_saved_as_given(xent_home_path: Path) -> None:
    progress = open_progress()
    assert progress.status is SaveStatus.SAVING
    assert progress.path == xent_home_path / "progress.db"
    assert progress.warning is None
    recorder = progress.recorder()
    recorder.record(dataclasses.replace(_answer(1), hints=2, diagnosis="That is H(q, p)."))
    recorder.record(_answer(4))
    with open_store() as store:  # type: ignore[union-attr]
        rows = list(store.history())
        reviews = store.reviews()
    assert rows == [
        {"id": 1, "session_id": 1, "answered_at": "2024-05-01T09:01:00.000000+00:00",
         "question_id": "q1", "topic": "surprisal", "kind": "choice", "seed": 1001,
         "params": {"k": 1, "q": [0.25, 0.75], "name": "dog"}, "given": "-ln(1)",
         "expected": "0.356675", "correct": False, "skipped": False, "seconds": 0.1,
         "hints": 2, "diagnosis": "That is H(q, p)."},
        {"id": 2, "session_id": 1, "answered_at": "2024-05-01T09:04:00.000000+00:00",
         "question_id": "q4", "topic": "surprisal", "kind": "choice", "seed": 1004,
         "params": {"k": 4, "q": [0.25, 0.75], "name": "dog"}, "given": None,
         "expected": "0.356675", "correct": True, "skipped": True, "seconds": 0.4,
         "hints": 0, "diagnosis": None},
    ]
    assert [r.hinted for r in reviews] == [True, False]


def test_times_are_stored_in_utc_whatever_zone_they_come_in() -> None:
    paris = timezone(timedelta(hours=2))
    _fill_one = open_progress().recorder()
    _fill_one.record(_answer(0, answered_at=datetime(2024, 5, 1, 11, 0, tzinfo=paris)))
    with open_store() as store:  # type: ignore[union-attr]
        assert next(store.history())["answered_at"] == "2024-05-01T09:00:00.000000+00:00"
        assert store.reviews()[0].answered_at == T0


def test_each_recorder_is_one_session() -> None:
    first, second = open_progress().recorder(), open_progress().recorder()
    first.record(_answer(0))
    second.record(_answer(1))
    first.record(_answer(2))
    with open_store() as store:  # type: ignore[union-attr]
        assert [row["session_id"] for row in store.history()] == [1, 2, 1]
        assert store.session_count() == 2


def test_odd_characters_in_the_folder_name_are_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "my progress #1?mode=ro%20 ünï"
    monkeypatch.setenv("XENT_HOME", str(home))
    _fill(home / "progress.db", 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == [home.name]
    assert (home / "progress.db").is_file()
    with open_store() as store:  # type: ignore[union-attr]
        assert (store.path, store.count(), store.writable) == (home / "progress.db", 2, True)


def test_no_save_opens_nothing(xent_home_path: Path) -> None:
    progress = open_progress(no_save=True)
    assert progress.status is SaveStatus.OFF
    assert isinstance(progress.recorder(), NullRecorder)
    assert progress.reviews == ()
    assert not xent_home_path.exists()


def test_a_missing_file_is_no_store_when_not_creating(xent_home_path: Path) -> None:
    assert open_store() is None
    assert not xent_home_path.exists()


def test_an_empty_file_is_an_empty_database(xent_home_path: Path) -> None:
    xent_home_path.mkdir()
    (xent_home_path / "progress.db").write_bytes(b"")
    _fill(xent_home_path / "progress.db", 3)
    with open_store() as store:  # type: ignore[union-attr]
        assert store.count() == 3


def test_the_file_is_in_wal_mode_at_the_current_version(xent_home_path: Path) -> None:
    _fill(xent_home_path / "progress.db", 1)
    conn = sqlite3.connect(xent_home_path / "progress.db")
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        conn.close()


# ------------------------------------------------------------------ migrations


def _make_v1(path: Path, rows: int) -> list[tuple[object, ...]]:
    """A database exactly as the first schema wrote it, with ``rows`` answers."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    try:
        for statement in MIGRATIONS[0]:
            conn.execute(statement)
        conn.execute("PRAGMA user_version = 1")
        conn.executemany(
            "INSERT INTO answers (question_id, topic, kind, seed, params, given, expected, "
            "correct, skipped, seconds, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (f"q{i % 5}", "entropy", "numeric", i, json.dumps({"p": [i, 1]}),
                 None if i % 3 == 0 else str(i), "1.5", i % 2, int(i % 3 == 0), i / 4,
                 (T0 + timedelta(hours=i)).isoformat(timespec="microseconds"))
                for i in range(rows)
            ],
        )
        conn.commit()
        return conn.execute("SELECT * FROM answers ORDER BY id").fetchall()
    finally:
        conn.close()


def test_migration_from_v3_keeps_every_row_with_no_hint_and_no_diagnosis(
    xent_home_path: Path,
) -> None:
    path = xent_home_path / "progress.db"
    _make_v1(path, 0)
    conn = sqlite3.connect(path)
    try:
        for step in MIGRATIONS[1:HINTS_SCHEMA - 1]:
            for statement in step:
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {HINTS_SCHEMA - 1}")
        conn.executemany(
            "INSERT INTO answers (question_id, topic, kind, seed, params, given, expected, "
            "correct, skipped, seconds, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(f"q{i}", "kl", "numeric", i, "{}", "1", "1.5", 1, 0, 1.0,
              (T0 + timedelta(hours=i)).isoformat(timespec="microseconds")) for i in range(30)],
        )
        conn.commit()
        before = conn.execute("SELECT * FROM answers ORDER BY id").fetchall()
    finally:
        conn.close()
    with open_store() as store:  # type: ignore[union-attr]
        assert store.version == SCHEMA_VERSION >= HINTS_SCHEMA
        rows = list(store.history())
        assert not any(r.hinted for r in store.reviews())
    assert [(r["hints"], r["diagnosis"]) for r in rows] == [(0, None)] * 30
    conn = sqlite3.connect(path)
    try:
        after = conn.execute("SELECT * FROM answers ORDER BY id").fetchall()
    finally:
        conn.close()
    assert [row[:-2] for row in after] == before


def test_migration_from_v1_keeps_every_row(xent_home_path: Path) -> None:
    path = xent_home_path / "progress.db"
    before = _make_v1(path, 120)
    with open_store() as store:  # type: ignore[union-attr]
        assert store.version == SCHEMA_VERSION
        assert store.count() == 120
        assert store.session_count() == 0
        assert len(store.reviews()) == 120
    conn = sqlite3.connect(path)
    try:
        after = conn.execute(
            "SELECT id, question_id, topic, kind, seed, params, given, expected, correct, "
            "skipped, seconds, answered_at FROM answers ORDER BY id"
        ).fetchall()
        sessions = conn.execute("SELECT DISTINCT session_id FROM answers").fetchall()
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master "
                                              "WHERE type = 'index'")}
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()
    assert after == before
    assert sessions == [(None,)]
    assert "answers_by_question" in indexes
    assert version == SCHEMA_VERSION
    # New answers go on after the old ones, in a session of their own.
    open_progress().recorder().record(_answer(1))
    with open_store() as store:  # type: ignore[union-attr]
        rows = list(store.history())
    assert len(rows) == 121
    newest = max(rows, key=lambda r: r["id"])
    assert (newest["id"], newest["session_id"]) == (121, 1)


def test_an_old_file_exports_with_empty_sessions(xent_home_path: Path) -> None:
    _make_v1(xent_home_path / "progress.db", 2)
    with open_store() as store:  # type: ignore[union-attr]
        assert [row["session_id"] for row in store.history()] == [None, None]


def test_stats_of_an_old_file_does_not_claim_zero_sessions(xent_home_path: Path) -> None:
    from typer.testing import CliRunner

    from xentcli.cli.app import app

    _make_v1(xent_home_path / "progress.db", 2)
    first = CliRunner().invoke(app, ["stats"]).stdout.splitlines()[0]
    assert first.startswith("2 answers, 1 right (50%). Streak: ")


# ------------------------------------------------------------------ two writers

WRITER = textwrap.dedent("""
    import sys, time
    from datetime import datetime, timezone
    from pathlib import Path
    from xentcli.quiz.records import AnswerRecord
    from xentcli.quiz.store import open_progress

    name, count, go = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    recorder = open_progress().recorder()
    print("ready", flush=True)
    while not go.exists():
        time.sleep(0.001)
    for i in range(count):
        recorder.record(AnswerRecord(f"{name}-{i}", name, "numeric", i, {"i": i}, str(i),
                                     str(i), True))
""")


def test_two_processes_saving_at_once_lose_nothing(tmp_path: Path) -> None:
    # Both also create the (missing) store at the same moment: the first-run race.
    count = 200
    go = tmp_path / "go"
    with ExitStack() as stack:
        writers = [
            stack.enter_context(subprocess.Popen(
                [sys.executable, "-c", WRITER, name, str(count), str(go)],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
            for name in ("left", "right")
        ]
        stack.callback(lambda: [p.kill() for p in writers if p.poll() is None])  # runs first
        for proc in writers:  # both have opened the store before either writes
            assert proc.stdout is not None
            if proc.stdout.readline() != "ready\n":
                pytest.fail(f"a writer could not open the store: {proc.communicate()[1]}")
        go.touch()
        for proc in writers:
            _, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, err
    with open_store() as store:  # type: ignore[union-attr]
        rows = list(store.history())
    assert len(rows) == 2 * count
    for name in ("left", "right"):
        mine = [r for r in rows if r["topic"] == name]
        assert sorted(r["seed"] for r in mine) == list(range(count))
        assert len({r["session_id"] for r in mine}) == 1
    assert len({r["id"] for r in rows}) == 2 * count


# ------------------------------------------------------------------ damaged files


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _damaged_files() -> list[tuple[str, bytes, str]]:
    return [
        ("text", b"these are my notes, not a database\n" * 20, "is not an SQLite database"),
        ("zeros", b"\0" * 4096, "is not an SQLite database"),
    ]


@pytest.mark.parametrize(("case", "content", "why"), _damaged_files())
def test_a_file_that_is_not_sqlite_is_refused_and_untouched(
    xent_home_path: Path, case: str, content: bytes, why: str
) -> None:
    xent_home_path.mkdir()
    path = xent_home_path / "progress.db"
    path.write_bytes(content)
    before = _snapshot(xent_home_path)
    for opener in (lambda: open_progress(), lambda: open_store()):
        with pytest.raises(StoreError) as caught:
            opener()
        assert str(caught.value) == (
            f"the progress file {path} {why}; it was left untouched. Move it aside to "
            "start afresh, or quiz with --no-save"
        )
    assert _snapshot(xent_home_path) == before


def test_a_truncated_database_is_refused_and_untouched(xent_home_path: Path) -> None:
    path = xent_home_path / "progress.db"
    _fill(path, 1)
    conn = sqlite3.connect(path)  # many rows at once: several pages to cut through
    with conn:
        conn.executemany("INSERT INTO answers SELECT NULL, question_id, topic, kind, seed, "
                         "params, given, expected, correct, skipped, seconds, answered_at, "
                         "session_id, hints, diagnosis FROM answers WHERE id = 1", [()] * 300)
    conn.close()
    whole = path.read_bytes()
    assert len(whole) > 4 * 4096
    path.write_bytes(whole[: len(whole) // 2])
    before = _snapshot(xent_home_path)
    with pytest.raises(StoreError) as caught:
        open_progress()
    message = str(caught.value)
    assert message.startswith(f"the progress file {path} is damaged (")
    assert message.endswith("); it was left untouched. Move it aside to start afresh, "
                            "or quiz with --no-save")
    assert _snapshot(xent_home_path) == before


def test_a_file_from_a_newer_xent_is_refused_and_untouched(xent_home_path: Path) -> None:
    path = xent_home_path / "progress.db"
    _fill(path, 2)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    before = _snapshot(xent_home_path)
    with pytest.raises(StoreError, match=rf"was written by a newer xent \(schema 99, this one "
                                         rf"reads up to {SCHEMA_VERSION}\); it was left "
                                         r"untouched"):
        open_progress()
    assert _snapshot(xent_home_path) == before


def test_a_hand_edited_date_is_named_and_the_file_untouched(xent_home_path: Path) -> None:
    path = xent_home_path / "progress.db"
    _fill(path, 3)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE answers SET answered_at = 'yesterday' WHERE id = 2")
    conn.close()
    before = path.read_bytes()
    with open_store() as store:  # type: ignore[union-attr]
        with pytest.raises(StoreError, match=r"has answer 2 dated 'yesterday', which is not a "
                                             r"date and time .*left untouched$"):
            store.reviews()
    # The file is sound (only a value is wrong): its integrity seal may be renewed beside it.
    assert path.read_bytes() == before
    assert sorted(p.name for p in xent_home_path.iterdir()) == [
        "progress.db", "progress.db-checked"]


def test_another_programs_database_is_refused_and_untouched(xent_home_path: Path) -> None:
    xent_home_path.mkdir()
    path = xent_home_path / "progress.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE answers (x)")
    conn.commit()
    conn.close()
    before = _snapshot(xent_home_path)
    with pytest.raises(StoreError, match="is an SQLite database that xent did not make; it "
                                         "was left untouched"):
        open_progress()
    assert _snapshot(xent_home_path) == before


def test_a_folder_in_place_of_the_file_is_refused(xent_home_path: Path) -> None:
    (xent_home_path / "progress.db").mkdir(parents=True)
    with pytest.raises(StoreError, match="is a folder; it was left untouched"):
        open_progress()


# ------------------------------------------------------------------ read-only places


def test_a_location_that_cannot_be_created_saves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("XENT_HOME", str(blocker / "home"))
    progress = open_progress()
    assert progress.status is SaveStatus.READ_ONLY
    assert progress.reviews == ()
    assert isinstance(progress.recorder(), NullRecorder)
    assert progress.warning == (
        f"cannot create the folder {blocker / 'home'} (Not a directory); "
        "answers will not be saved"
    )
    with pytest.raises(StoreError, match="^cannot open the progress store: cannot create the folder"):
        open_store(create=True)


def _without_write_rights(code: str, home: Path) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a child that file permissions apply to, even under root."""

    def drop_override() -> None:  # pragma: no cover - runs in the child
        if os.geteuid() == 0:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            for capability in (1, 2, 3):  # DAC_OVERRIDE, DAC_READ_SEARCH, FOWNER
                if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
                    raise OSError(ctypes.get_errno(), "cannot drop root's file rights")

    env = {**os.environ, "XENT_HOME": str(home)}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=120,
                          preexec_fn=drop_override)


needs_linux = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                 reason="drops root's file rights with Linux prctl")


@needs_linux
def test_a_read_only_folder_keeps_the_history_and_saves_nothing(xent_home_path: Path) -> None:
    path = xent_home_path / "progress.db"
    _fill(path, 5)
    xent_home_path.chmod(stat.S_IRUSR | stat.S_IXUSR)
    path.chmod(stat.S_IRUSR)
    try:
        before = _snapshot(xent_home_path)
        done = _without_write_rights("""
            from xentcli.quiz.records import AnswerRecord
            from xentcli.quiz.store import open_progress
            p = open_progress()
            print(p.status.value, len(p.reviews), type(p.recorder()).__name__)
            print(p.warning)
            p.recorder().record(AnswerRecord("q", "t", "numeric", 1, {}, "1", "1", True))
        """, xent_home_path)
        after = _snapshot(xent_home_path)
    finally:
        xent_home_path.chmod(stat.S_IRWXU)
        path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert done.returncode == 0, done.stderr
    status, warning = done.stdout.splitlines()
    assert status == "read-only 5 NullRecorder"
    assert warning.startswith(f"{path} cannot be written (")
    assert warning.endswith("); answers will not be saved")
    assert after == before


@needs_linux
def test_a_read_only_empty_folder_runs_without_history(xent_home_path: Path) -> None:
    xent_home_path.mkdir()
    xent_home_path.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        done = _without_write_rights("""
            from xentcli.quiz.store import open_progress
            p = open_progress()
            print(p.status.value, len(p.reviews))
            print(p.warning)
        """, xent_home_path)
        left = list(xent_home_path.iterdir())
    finally:
        xent_home_path.chmod(stat.S_IRWXU)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "read-only 0",
        f"cannot create {xent_home_path / 'progress.db'} (unable to open database file); "
        "answers will not be saved",
    ]
    assert left == []


def test_a_recorder_on_a_vanished_store_raises_a_store_error(xent_home_path: Path) -> None:
    recorder = StoreRecorder(xent_home_path / "progress.db")
    with pytest.raises(StoreError, match="^could not use the progress file .* while saving an "
                                         "answer: unable to open database file$"):
        recorder.record(_answer(0))

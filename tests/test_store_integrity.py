"""The integrity check runs only when the progress file may have changed behind xent's back.

Whether it ran is seen through its seam (``store_open._quick_check``), never
through timing: an unchanged file, or one only xent wrote to since, opens
without it; every way another program can change the file brings it back, and
damage is still found and reported as before.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from dataclasses import asdict
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from xentcli.cli.app import app
from xentcli.errors import StoreError
from xentcli.quiz import store_integrity, store_open
from xentcli.quiz.records import AnswerRecord, InterviewRecord
from xentcli.quiz.store import (
    DrillAttempt,
    open_progress,
    open_store,
    record_drill_attempt,
)
from xentcli.quiz.store_interviews import write_exam_date

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)


def _db() -> Path:
    return Path(os.environ["XENT_HOME"]) / "progress.db"


def _seal() -> Path:
    return _db().with_name("progress.db-checked")


def _answer(i: int = 0) -> AnswerRecord:
    return AnswerRecord(
        question_id=f"q{i % 5}", topic="entropy", kind="numeric", seed=i, params={"p": [0.5]},
        given="1", expected="1", correct=i % 3 != 0, skipped=False, seconds=2.0,
        answered_at=T0,
    )


def _saved(count: int = 3) -> None:
    """A file as a quiz leaves it: checked at the start, then written answer by answer."""
    recorder = open_progress().recorder()
    for i in range(count):
        recorder.record(_answer(i))


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files the integrity check runs on, in order."""
    ran: list[Path] = []
    real = store_open._quick_check

    def counting(conn: sqlite3.Connection) -> list[str]:
        ran.append(Path(conn.execute("PRAGMA database_list").fetchone()[2]))
        return real(conn)

    monkeypatch.setattr(store_open, "_quick_check", counting)
    return ran


def _opened_and_checked(checks: list[Path]) -> bool:
    """Open the store as a start does; whether its full check ran."""
    del checks[:]
    open_progress()
    return checks == [_db()]


# ------------------------------------------------------------------ nothing changed


def test_a_file_only_xent_wrote_opens_without_the_check(checks: list[Path]) -> None:
    _saved(3)
    assert _seal().is_file()
    assert not _opened_and_checked(checks)
    assert checks == []
    with open_store() as store:  # type: ignore[union-attr]
        assert store.count() == 3
    assert checks == []
    result = CliRunner().invoke(app, ["stats", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["answered"] == 3
    assert checks == []


def test_a_new_file_is_checked_when_created_then_sealed(checks: list[Path]) -> None:
    open_progress()  # created here: the check of the empty file, then its tables
    assert checks == [_db()]
    assert _seal().is_file()
    assert not _opened_and_checked(checks)


def _drill() -> None:
    attempt = DrillAttempt("entropy", True, None, 8, 8, 1.5, T0)
    assert record_drill_attempt(attempt) is None


def _exam_date() -> None:
    with open_store() as store:  # type: ignore[union-attr]
        write_exam_date(store, date(2026, 12, 24))


def _reset() -> None:
    with open_store() as store:  # type: ignore[union-attr]
        assert store.reset() == 3


def _interview() -> None:
    recorder = open_progress().interview_recorder()
    recorder.record(_answer(9))
    recorder.save(InterviewRecord(started_at=T0, minutes=10.0, seed=1, planned=3, asked=1,
                                  correct=1, timed_out=0, readiness=0.5, finished=False,
                                  report={"questions": []}))


def _more_answers() -> None:
    _saved(2)


@pytest.mark.parametrize("write", [_more_answers, _interview, _drill, _exam_date, _reset])
def test_xents_own_writes_renew_the_seal(checks: list[Path], write: object) -> None:
    _saved(3)
    before = _seal().read_bytes()
    assert callable(write)
    write()
    assert _seal().read_bytes() != before  # renewed for the file as written
    assert not _opened_and_checked(checks)


def test_a_seal_is_not_rewritten_when_nothing_changed(checks: list[Path]) -> None:
    _saved(1)
    seal = os.stat(_seal())
    open_progress()
    with open_store() as store:  # type: ignore[union-attr]
        store.count()
    after = os.stat(_seal())
    assert (after.st_ino, after.st_mtime_ns) == (seal.st_ino, seal.st_mtime_ns)


# --------------------------------------------------- changed behind xent's back


def _sql_edit() -> None:  # another SQLite program (a browser, the sqlite3 shell)
    conn = sqlite3.connect(_db())
    with conn:
        conn.execute("UPDATE answers SET given = '2' WHERE id = 1")
    conn.close()


def _same_bytes_old_times() -> None:  # rewritten as it was, times set back (cp -p, rsync)
    info = os.stat(_db())
    data = _db().read_bytes()
    with _db().open("r+b") as handle:
        handle.write(data)
    os.utime(_db(), ns=(info.st_atime_ns, info.st_mtime_ns))


def _replaced_by_a_copy() -> None:  # a restored backup: another file under the name
    copy = _db().with_name("backup.db")
    shutil.copy2(_db(), copy)
    os.replace(copy, _db())


def _grown() -> None:  # bytes appended by something that is not SQLite
    with _db().open("ab") as handle:
        handle.write(b"\0" * 4096)


def _hot_log() -> None:  # a writer killed with its changes still in the write-ahead log
    code = f"""
        import os, signal, sqlite3
        conn = sqlite3.connect({str(_db())!r})
        conn.execute("UPDATE answers SET given = '3' WHERE id = 1")
        conn.commit()
        os.kill(os.getpid(), signal.SIGKILL)
    """
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], timeout=60)
    assert done.returncode == -9
    assert os.stat(str(_db()) + "-wal").st_size > 0


def _seal_garbled() -> None:
    _seal().write_text('{"file": {"size": "everything is fine"}}')


def _seal_a_day_old() -> None:
    data = json.loads(_seal().read_text())
    data["checked_at"] -= store_integrity.RECHECK_SECONDS + 1
    _seal().write_text(json.dumps(data))


CHANGES = [_sql_edit, _same_bytes_old_times, _replaced_by_a_copy, _grown, _hot_log,
           _seal_garbled, _seal_a_day_old]


@pytest.mark.parametrize("change", CHANGES, ids=[c.__name__.strip("_") for c in CHANGES])
def test_any_change_by_another_program_brings_the_check_back(
    checks: list[Path], change: object
) -> None:
    _saved(3)
    assert not _opened_and_checked(checks)
    assert callable(change)
    change()
    assert _opened_and_checked(checks)
    assert not _opened_and_checked(checks)  # found sound: sealed again


def test_a_file_another_xent_has_open_is_checked(checks: list[Path]) -> None:
    _saved(2)
    with open_store() as other:  # type: ignore[union-attr]
        other.conn.execute("INSERT INTO settings (key, value) VALUES ('x', 'y')")
        assert _opened_and_checked(checks)  # its log holds what no check has seen
    assert not _opened_and_checked(checks)  # the last to close sealed it


def test_a_change_during_a_session_stops_the_renewal(checks: list[Path]) -> None:
    recorder = open_progress().recorder()
    recorder.record(_answer(1))
    open_progress()
    _sql_edit()  # between two answers
    recorder.record(_answer(2))  # xent's write over a file it did not check
    assert _opened_and_checked(checks)


# ------------------------------------------------------------- damage is still found


def _damage_a_page() -> bytes:
    """Overwrite the start of the answers' first page in place, size and times kept."""
    conn = sqlite3.connect(_db())
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'answers'").fetchone()[0]
    conn.close()
    info = os.stat(_db())
    with _db().open("r+b") as handle:
        handle.seek((root - 1) * page_size)
        handle.write(b"\xee" * 64)  # not a page type: every read of an answer fails
    os.utime(_db(), ns=(info.st_atime_ns, info.st_mtime_ns))
    assert os.stat(_db()).st_size == info.st_size
    return _db().read_bytes()


def _damaged_message() -> str:
    with pytest.raises(StoreError) as caught:
        open_progress()
    return str(caught.value)


def test_damage_after_a_clean_close_is_found_and_reported_as_before(
    checks: list[Path],
) -> None:
    _saved(300)  # several pages
    assert not _opened_and_checked(checks)
    damaged = _damage_a_page()
    del checks[:]
    message = _damaged_message()
    assert checks == [_db()]  # found by the check, before anything reads an answer
    assert message.startswith(f"the progress file {_db()} is damaged (")
    assert message.endswith("); it was left untouched. Move it aside to start afresh, "
                            "or quiz with --no-save")
    assert _db().read_bytes() == damaged
    # As without any seal, and every time.
    _seal().unlink()
    assert _damaged_message() == message
    assert _damaged_message() == message
    assert not _seal().exists()


def test_damage_no_metadata_shows_is_met_by_a_read_and_withdraws_the_seal(
    checks: list[Path],
) -> None:
    _saved(300)
    _damage_a_page()
    # As a failing disk would do it: the file's metadata still match its seal.
    data = json.loads(_seal().read_text())
    data["file"] = asdict(store_integrity.fingerprint(_db()))
    _seal().write_text(json.dumps(data))
    del checks[:]
    with open_store() as store:  # type: ignore[union-attr]
        with pytest.raises(StoreError, match=r"is damaged \(database disk image is malformed"):
            list(store.history())
    assert checks == []  # opened on the seal
    assert not _seal().exists()  # withdrawn: it vouched for a damaged file
    message = _damaged_message()
    assert checks == [_db()]
    assert message.startswith(f"the progress file {_db()} is damaged (")


def test_a_file_stamped_after_the_filesystems_clock_is_not_sealed(checks: list[Path]) -> None:
    # A write in the tick of the seal's own stat would keep the ctime: a seal is
    # only written once the clock has moved past the file's times (here it never does).
    _saved(2)
    later = os.stat(_db()).st_mtime_ns + 3600 * 10**9
    os.utime(_db(), ns=(later, later))
    assert _opened_and_checked(checks)
    assert _opened_and_checked(checks)

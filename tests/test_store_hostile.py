"""The progress store and answer reading against hostile or extreme conditions.

A 500 MB answer line, a hand-edited progress file, a named pipe in its place,
a reset while a quiz runs, a disk that fills up, --json on export and reset.
Each test reproduces the failure first (the command, as a user would run it)
and pins the behaviour.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from messages import squash, wrapped
from typer.testing import CliRunner, Result

from xentcli.cli import answers as answers_module
from xentcli.cli.app import app
from xentcli.quiz import store as store_module
from xentcli.quiz import store_interviews, store_open, store_sqlite
from xentcli.quiz.records import AnswerRecord
from xentcli.quiz.store import SaveStatus, StoreRecorder, open_progress, open_store


def _db() -> Path:
    return Path(os.environ["XENT_HOME"]) / "progress.db"


def _run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(app, list(args), input=input)


def _strict_json(text: str) -> Any:
    def refuse(name: str) -> None:
        raise ValueError(f"not strict JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def _answer(qid: str = "entropy-three-bits", topic: str = "entropy") -> AnswerRecord:
    return AnswerRecord(
        question_id=qid, topic=topic, kind="numeric", seed=7, params={"p": [0.5, 0.5]},
        given="1", expected="0.693147", correct=True, skipped=False, seconds=2.5,
        answered_at=datetime(2024, 5, 15, 12, tzinfo=timezone.utc),
    )


def _saved(count: int = 2) -> None:
    recorder = open_progress().recorder()
    for _ in range(count):
        recorder.record(_answer())


# ------------------------------------------------------------ D8: a huge answer line


class _CountingInput(io.StringIO):
    """Standard input that remembers the most it was asked to read at once."""

    largest: int = 0

    def readline(self, size: int | None = -1) -> str:
        asked = sys.maxsize if size is None or size < 0 else size
        self.largest = max(self.largest, asked)
        return super().readline(size)


def test_a_huge_answer_line_is_read_in_bounded_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    stdin = _CountingInput("7" * 1_000_000 + "\n0.5\n")
    monkeypatch.setattr(sys, "stdin", stdin)
    first = answers_module.read_bounded_line()
    assert first == "7" * answers_module.READ_LIMIT + "…"
    assert answers_module.read_bounded_line() == "0.5"  # the next line is whole
    assert answers_module.read_bounded_line() is None
    assert stdin.largest == answers_module.READ_LIMIT


def test_a_last_line_without_newline_and_crlf_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("1\r\n2"))
    assert answers_module.read_bounded_line() == "1"
    assert answers_module.read_bounded_line() == "2"
    assert answers_module.read_bounded_line() is None


def test_quiz_grades_a_huge_answer_and_goes_on() -> None:
    result = _run("quiz", "--no-save", "--question", "entropy-three-bits",
                  "--question", "entropy-three-bits", "--seed", "1",
                  input="9" * 200_000 + "\nskip\n")
    assert result.exit_code == 0, result.output
    assert "Score: 0/2" in result.stdout
    assert result.stderr == ""


# ------------------------------------------------- D11: hand-edited rows are named


def _edit(sql: str, *args: object) -> None:
    conn = sqlite3.connect(_db())
    conn.execute(sql, args)
    conn.commit()
    conn.close()


@pytest.mark.parametrize("args", [["stats"], ["stats", "--json"]])
def test_a_blob_topic_is_named_by_its_row(args: list[str]) -> None:
    _saved()
    _edit("UPDATE answers SET topic = ? WHERE id = 2", b"\x00\xff")
    result = _run(*args)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == wrapped(
        f"Error: the progress file {_db()} has answer 2 with the topic b'\\x00\\xff', "
        "which is not text; the file was left untouched\n"
    )


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_params_that_are_not_json_are_named_on_export(tmp_path: Path, suffix: str) -> None:
    _saved()
    _edit("UPDATE answers SET params = '{oops' WHERE id = 1")
    target = tmp_path / f"out{suffix}"
    result = _run("stats", "--export", str(target))
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == wrapped(
        f"Error: the progress file {_db()} has answer 1 with the params '{{oops', which "
        "is not JSON; the file was left untouched\n"
    )
    assert not target.exists()


@pytest.mark.parametrize(("sql", "value", "what", "expected"), [
    ("UPDATE answers SET params = ? WHERE id = 2", '{"p": NaN}', "params", "JSON"),
    ("UPDATE answers SET given = ? WHERE id = 2", b"\x01", "given", "text or a number"),
])
def test_other_hand_edits_are_named_on_export(tmp_path: Path, sql: str, value: object,
                                              what: str, expected: str) -> None:
    _saved()
    _edit(sql, value)
    result = _run("stats", "--export", str(tmp_path / "out.json"))
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == wrapped(
        f"Error: the progress file {_db()} has answer 2 with the {what} {value!r}, which "
        f"is not {expected}; the file was left untouched\n"
    )


# --------------------------------------------- D12: a named pipe at the file's path


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.parametrize("args", [["stats"], ["quiz", "-n", "1"]])
def test_a_named_pipe_in_place_of_the_file_is_refused_at_once(args: list[str]) -> None:
    _db().parent.mkdir(parents=True)
    os.mkfifo(_db())
    done = subprocess.run([sys.executable, "-m", "xentcli", *args], input="skip\n",
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == wrapped(
        f"Error: the progress file {_db()} is a named pipe, not a file; it was left "
        "untouched. Move it aside, or quiz with --no-save\n"
    )


# ------------------------------------------- D14: a reset while a session is running


def test_a_reset_during_a_session_leaves_no_orphan_and_no_shared_id() -> None:
    running = open_progress().recorder()
    running.record(_answer())
    assert _run("stats", "--reset", "--yes").exit_code == 0
    later = open_progress().recorder()
    later.record(_answer())  # a new session after the reset
    running.record(_answer())  # the one started before it goes on
    with open_store() as store:  # type: ignore[union-attr]
        orphans = store.conn.execute(
            "SELECT count(*) FROM answers WHERE session_id NOT IN (SELECT id FROM sessions)"
        ).fetchone()[0]
        assert orphans == 0
        assert store.session_count() == 2
    stats = _strict_json(_run("stats", "--json").stdout)
    assert (stats["answered"], stats["sessions"]) == (2, 2)


def test_a_session_keeps_its_row_when_nothing_was_reset() -> None:
    recorder = open_progress().recorder()
    assert isinstance(recorder, StoreRecorder)
    recorder.record(_answer())
    first = recorder.session_id
    recorder.record(_answer())
    assert recorder.session_id == first
    with open_store() as store:  # type: ignore[union-attr]
        assert store.conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 1


# ------------------------------------------------------------- D15: a full disk


class _FillingConnection(sqlite3.Connection):
    """A connection on a disk that fills up after ``room`` more answers."""

    room = 1

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:  # type: ignore[override]
        if sql.startswith("INSERT INTO answers"):
            _FillingConnection.room -= 1
        if _FillingConnection.room < 0 and sql.startswith(("INSERT", "UPDATE")):
            raise sqlite3.OperationalError("database or disk is full")
        return super().execute(sql, *args)


def _filling_disk(monkeypatch: pytest.MonkeyPatch, room: int) -> None:
    _FillingConnection.room = room

    def connect(path: Path, mode: str) -> sqlite3.Connection:
        uri = f"{path.absolute().as_uri()}?{mode}"
        return sqlite3.connect(uri, uri=True, timeout=1, isolation_level=None,
                               factory=_FillingConnection)

    monkeypatch.setattr(store_module, "_connect", connect)
    monkeypatch.setattr(store_interviews, "_connect", connect)  # it holds its own name


def test_a_disk_that_fills_up_warns_once_and_keeps_the_summary(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _filling_disk(monkeypatch, room=1)
    result = _run("quiz", "--seed", "1", "--json", "--question", "entropy-three-bits",
                  "--question", "entropy-three-bits", "--question", "entropy-three-bits",
                  input="1\nskip\n2\n")
    assert result.exit_code == 0
    report = _strict_json(result.stdout)
    # Every typed answer is in the report, the two that could not be saved too.
    assert [q["given"] for q in report["questions"]] == ["1", None, "2"]
    assert result.stderr.count("Warning:") == 1
    assert (
        f"Warning: the disk is full: could not write {_db()} while saving an answer; "
        "answers from here on will not be saved.\n"
    ) in result.stderr
    assert "Score: 0/3" in result.stderr
    with open_store() as store:  # type: ignore[union-attr]
        assert store.count() == 1


def test_a_full_disk_at_the_start_is_like_a_read_only_folder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _saved(1)

    def no_room(conn: sqlite3.Connection) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(store_open, "_use_wal", no_room)
    for module in (store_open, store_sqlite):  # each holds its own name
        monkeypatch.setattr(module, "_disk_full", lambda path: True)
    progress = open_progress()
    assert progress.status is SaveStatus.READ_ONLY
    assert progress.warning == (
        f"{_db()} cannot be written (the disk is full); answers will not be saved"
    )
    assert len(progress.reviews) == 1  # the history is still read
    result = _run("quiz", "--seed", "1", "--question", "entropy-three-bits", input="1\n")
    assert result.exit_code == 0
    assert result.stderr == (
        f"Warning: {_db()} cannot be written (the disk is full); answers will not be "
        "saved.\n"
    )
    assert "Score: 0/1" in result.stdout


def test_an_io_error_with_room_on_the_disk_is_still_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _saved(1)

    def broken(conn: sqlite3.Connection) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(store_open, "_use_wal", broken)
    for module in (store_open, store_sqlite):  # each holds its own name
        monkeypatch.setattr(module, "_disk_full", lambda path: False)
    result = _run("stats")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == wrapped(
        f"Error: could not use the progress file {_db()} while opening it: disk I/O error\n"
    )


# -------------------------------------------------- D17: --json on export and reset


def test_export_with_json_prints_one_object(tmp_path: Path) -> None:
    _saved(3)
    target = tmp_path / "all.csv"
    result = _run("stats", "--export", str(target), "--json")
    assert result.exit_code == 0
    assert _strict_json(result.stdout) == {
        "database": str(_db()), "exported": 3, "export": str(target),
    }
    assert result.stderr == f"Wrote 3 answers to {target}.\n"


def test_reset_with_json_prints_one_object() -> None:
    _saved(2)
    result = _run("stats", "--reset", "--yes", "--json")
    assert result.exit_code == 0
    assert _strict_json(result.stdout) == {"database": str(_db()), "deleted": 2}
    again = _run("stats", "--reset", "--yes", "--json")
    assert _strict_json(again.stdout) == {"database": str(_db()), "deleted": 0}


def test_a_declined_reset_with_json_deletes_nothing(tmp_path: Path) -> None:
    _saved(2)
    target = tmp_path / "keep.json"
    result = _run("stats", "--reset", "--export", str(target), "--json", input="n\n")
    assert result.exit_code == 0
    assert _strict_json(result.stdout) == {
        "database": str(_db()), "exported": 2, "export": str(target), "deleted": 0,
    }
    assert result.stderr.endswith("This cannot be undone. [y/N] \n")


# ------------------------------------- Scale: the SQL path gives the replay's result

_T0 = datetime(2024, 5, 1, 9, tzinfo=timezone.utc)
_ROW = st.tuples(
    st.sampled_from(["q1", "q2", "q3", "q4"]),  # question
    st.sampled_from(["entropy", "kl", "ce"]),  # topic
    st.booleans(),  # right
    st.booleans(),  # a skip, when not right
    st.integers(0, 1),  # hints
    st.integers(0, 24 * 60),  # hours after _T0: ties happen
)


def _history(rows: list[tuple[str, str, bool, bool, int, int]]) -> None:
    """Answers as xent writes them, ids in a shuffled time order (a concurrent session)."""
    with open_store(create=True) as store:  # type: ignore[union-attr]
        store.conn.execute("DELETE FROM answers")
        for qid, topic, right, skip, hints, hours in rows:
            at = store_module._timestamp(_T0 + timedelta(hours=hours))
            store.conn.execute(
                "INSERT INTO answers (question_id, topic, kind, seed, params, given, "
                "expected, correct, skipped, seconds, answered_at, session_id, hints) "
                "VALUES (?, ?, 'numeric', 1, '{}', '1', '1', ?, ?, 1.0, ?, 1, ?)",
                (qid, topic, int(right), int(skip and not right), at, hints),
            )


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(_ROW, max_size=40), days_later=st.integers(0, 70),
       offset=st.sampled_from([0, -7, 5.5, 13]))
def test_the_sql_summary_and_plan_are_the_replays(rows: list[Any], days_later: int,
                                                  offset: float) -> None:
    from xentcli.quiz.schedule import card_states, summarize, topic_accuracy
    from xentcli.quiz.store_summary import planning, summary

    _history(rows)
    now = _T0 + timedelta(days=days_later, hours=5)
    tz = timezone(timedelta(hours=offset))
    with open_store() as store:  # type: ignore[union-attr]
        reviews = store.reviews()
        assert summary(store, now=now, tz=tz) == summarize(reviews, now=now, tz=tz)
        assert planning(store) == (card_states(reviews), topic_accuracy(reviews))


def test_a_hand_edited_timestamp_is_replayed_not_misread() -> None:
    from xentcli.quiz.store_summary import planning, summary

    _history([("q1", "kl", True, False, 0, 0), ("q1", "kl", True, False, 0, 30)])
    # Valid, but not as xent writes it (no offset): text order is no longer time order.
    _edit("UPDATE answers SET answered_at = '2024-05-01T08:00:00' WHERE id = 2")
    with open_store() as store:  # type: ignore[union-attr]
        assert planning(store) is None
        assert summary(store, now=_T0, tz=timezone.utc) is None
    stats = _strict_json(_run("stats", "--json").stdout)
    assert stats["answered"] == 2
    # Same shape, not a date: the replay names it.
    _edit("UPDATE answers SET answered_at = 'abcd-ef-ghTij:kl:mn.opqrst+00:00' WHERE id = 2")
    result = _run("stats")
    assert (result.exit_code, result.stdout) == (2, "")
    assert squash(result.stderr).startswith(squash(
        f"Error: the progress file {_db()} has answer 2 dated "
        "'abcd-ef-ghTij:kl:mn.opqrst+00:00', which is not a date"))


def test_the_quiz_plans_from_sql_and_reads_the_answers_only_when_asked() -> None:
    _history([("entropy-three-bits", "entropy", False, False, 0, 0)])
    progress = open_progress()
    assert progress.states is not None and progress.loaded is None
    assert progress.states["entropy-three-bits"].box == 1
    assert [r.question_id for r in progress.reviews] == ["entropy-three-bits"]


def test_stats_and_the_quiz_start_without_reading_every_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _history([("entropy-three-bits", "entropy", True, False, 0, 0),
              ("kl-basic", "kl", False, True, 1, 3)])

    def every_answer(self: object) -> None:
        raise AssertionError("read every answer")

    monkeypatch.setattr(store_module.Store, "reviews", every_answer)
    stats = _strict_json(_run("stats", "--json").stdout)
    assert (stats["answered"], stats["correct"], stats["skipped"]) == (2, 1, 1)
    assert stats["topics"]["kl"]["due_now"] == 1
    result = _run("quiz", "-n", "1", "--review", input="skip\n")
    assert result.exit_code == 0, result.output


# ------------------------------------------- the same for a running mock interview


def _interview_record(started: datetime, asked: int) -> Any:
    from xentcli.quiz.records import InterviewRecord

    return InterviewRecord(started_at=started, minutes=10.0, seed=1, planned=3, asked=asked,
                           correct=asked, timed_out=0, readiness=0.5, finished=False,
                           report={"questions": []})


def test_a_reset_during_an_interview_keeps_its_report_apart() -> None:
    from xentcli.quiz.store_interviews import read_interviews

    t1, t2 = _T0, _T0 + timedelta(minutes=3)
    running = open_progress().interview_recorder()
    running.record(_answer())
    running.save(_interview_record(t1, 1))
    assert _run("stats", "--reset", "--yes").exit_code == 0
    later = open_progress().interview_recorder()  # a new interview takes id 1
    later.record(_answer())
    later.save(_interview_record(t2, 1))
    running.record(_answer())
    running.save(_interview_record(t1, 2))  # the first one goes on
    with open_store() as store:  # type: ignore[union-attr]
        rows = read_interviews(store)
    assert sorted((r.started_at, r.asked) for r in rows) == [(t1, 2), (t2, 1)]


def test_a_disk_that_fills_up_during_an_interview_warns_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _filling_disk(monkeypatch, room=1)
    bank = Path(__file__).parent / "fixtures" / "interview"
    result = _run("interview", "--bank", str(bank), "--seed", "1", "--minutes", "30",
                  input="1\n2\n3\nn\n")
    assert result.exit_code == 0, result.output
    assert result.stderr.count("Warning:") == 1
    assert (
        f"Warning: the disk is full: could not write {_db()} while saving an answer; "
        "answers from here on will not be saved.\n"
    ) in result.stderr
    with open_store() as store:  # type: ignore[union-attr]
        assert store.count() == 1

"""`xent quiz` and `xent stats` together: answers saved as given, review, damaged and
read-only stores, Ctrl-C in a real process."""

from __future__ import annotations

import json
import os
import re
import select
import signal
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from messages import squash
from typer.testing import CliRunner, Result

from xentcli.cli.app import app
from xentcli.quiz.store import open_store

ROOT = Path(__file__).resolve().parents[1]
GOOD = ROOT / "tests" / "fixtures" / "banks" / "good"
NUMERIC = ["--bank", str(GOOD), "--kind", "numeric"]  # three numeric questions


def _run(*args: str, input: str = "") -> Result:
    return CliRunner().invoke(app, list(args), input=input)


def _db() -> Path:
    return Path(os.environ["XENT_HOME"]) / "progress.db"


def _saved() -> list[dict[str, Any]]:
    store = open_store()
    if store is None:
        return []
    with store:
        return list(store.history())


def _asked(result: Result) -> list[str]:
    return [q["id"] for q in json.loads(result.stdout)["questions"]]


# ------------------------------------------------------------------ saving


def test_every_answer_of_a_session_is_saved_and_counted_by_stats() -> None:
    result = _run("quiz", *NUMERIC, "-n", "3", "--seed", "4", "--json",
                  input="-ln(0.7)\nskip\n2\n")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    saved = _saved()
    assert [(r["question_id"], r["given"], r["correct"], r["skipped"]) for r in saved] == [
        (q["id"], q["given"], q["correct"], q["given"] is None) for q in report["questions"]
    ]
    assert [r["skipped"] for r in saved] == [False, True, False]
    assert {r["session_id"] for r in saved} == {1}
    assert all(r["kind"] == "numeric" and r["seed"] is not None for r in saved)
    stats = json.loads(_run("stats", "--json").stdout)
    assert stats["answered"] == 3
    assert stats["sessions"] == 1
    assert sum(t["answered"] for t in stats["topics"].values()) == 3


def test_quitting_early_keeps_what_was_answered() -> None:
    result = _run("quiz", *NUMERIC, "-n", "3", "--seed", "4", input="1\nquit\n")
    assert result.exit_code == 0
    assert [r["given"] for r in _saved()] == ["1"]


def test_no_save_writes_nothing_at_all() -> None:
    result = _run("quiz", *NUMERIC, "-n", "2", "--no-save", input="1\n2\n")
    assert result.exit_code == 0
    assert not _db().parent.exists()


def test_the_same_seed_asks_the_same_questions_whatever_was_saved() -> None:
    first = _run("quiz", *NUMERIC, "-n", "2", "--seed", "11", "--json", input="0\n0\n")
    second = _run("quiz", *NUMERIC, "-n", "2", "--seed", "11", "--json", input="0\n0\n")
    def asked(result: Any) -> list[dict[str, Any]]:
        # Everything but the time taken, which differs from run to run.
        return [{k: v for k, v in q.items() if k != "seconds"}
                for q in json.loads(result.stdout)["questions"]]

    assert asked(first) == asked(second)
    assert len(_saved()) == 4


def test_review_brings_back_the_question_answered_wrong() -> None:
    first = _run("quiz", *NUMERIC, "-n", "1", "--seed", "2", "--json", input="1000\n")
    missed = _asked(first)
    assert json.loads(first.stdout)["questions"][0]["correct"] is False
    for seed in ("1", "2", "3"):
        again = _run("quiz", *NUMERIC, "-n", "1", "--review", "--seed", seed, "--json",
                      input="skip\n")
        assert _asked(again) == missed


def test_the_quiz_plans_from_the_saved_history() -> None:
    from xentcli.cli.quiz import _open_progress
    from xentcli.quiz.records import NullRecorder
    from xentcli.quiz.schedule import SpacedPlanner
    from xentcli.quiz.session import RandomPlanner
    from xentcli.quiz.store import StoreRecorder

    result = _run("quiz", *NUMERIC, "-n", "2", "--seed", "5", "--json", input="1000\n0\n")
    missed, other = _asked(result)
    recorder, planner = _open_progress(no_save=False, review=False, seeded=False)
    assert isinstance(recorder, StoreRecorder)
    assert isinstance(planner, SpacedPlanner)
    assert planner.states[missed].box == 1
    assert set(planner.states) == {missed, other}
    # A seed without --review replays the same draw, whatever the history says.
    recorder, planner = _open_progress(no_save=False, review=False, seeded=True)
    assert isinstance(recorder, StoreRecorder)
    assert isinstance(planner, RandomPlanner)
    recorder, planner = _open_progress(no_save=True, review=True, seeded=False)
    assert isinstance(recorder, NullRecorder)
    assert isinstance(planner, RandomPlanner)


# ------------------------------------------------------------------ damaged or read-only


def test_a_damaged_store_stops_the_quiz_and_is_left_untouched() -> None:
    _db().parent.mkdir(parents=True)
    content = b"SQLite format 3\x00" + b"\xff" * 5000
    _db().write_bytes(content)
    result = _run("quiz", *NUMERIC, "-n", "1", input="1\n")
    assert (result.exit_code, result.stdout) == (2, "")
    assert max(len(line) for line in result.stderr.splitlines()) <= 80
    assert squash(result.stderr).startswith(squash(f"Error: the progress file {_db()} is "
                                                   "damaged ("))
    assert squash(result.stderr).endswith(squash("); it was left untouched. Move it aside to "
                                                 "start afresh, or quiz with --no-save\n"))
    assert _db().read_bytes() == content
    # (the bank cache keeps its own folder there)
    assert sorted(p.name for p in _db().parent.iterdir() if p.is_file()) == ["progress.db"]
    # --no-save does not look at the file at all.
    assert _run("quiz", *NUMERIC, "-n", "1", "--no-save", input="1\n").exit_code == 0


def test_an_answer_that_cannot_be_saved_is_a_warning_not_an_unreadable_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Like a read-only folder (a full disk, say): the quiz goes on and keeps its summary.
    from xentcli.errors import StoreError
    from xentcli.quiz.store import StoreRecorder

    calls: list[str] = []

    def fail(self: StoreRecorder, rec: object) -> None:
        calls.append("record")
        raise StoreError("could not use the progress file while saving an answer: disk I/O")

    monkeypatch.setattr(StoreRecorder, "record", fail)
    result = _run("quiz", *NUMERIC, "-n", "2", input="1\n1\n")
    assert result.exit_code == 0
    assert "Could not read that" not in result.stdout
    # Both answers were graded (a random draw may make "1" right: 0.69 nats in bits).
    assert re.search(r"Score: [0-2]/2 ", result.stdout)
    assert result.stderr == (
        "Warning: could not use the progress file while saving an answer: disk I/O; "
        "answers from here on will not be saved.\n"
    )
    assert calls == ["record"]  # not saved again as a wrong answer, nor tried again


def _drop_file_rights() -> None:  # pragma: no cover - runs in the child
    """Make file permissions apply to this child even under root (Linux)."""
    if os.geteuid() == 0:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        for capability in (1, 2, 3):  # DAC_OVERRIDE, DAC_READ_SEARCH, FOWNER
            if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
                raise OSError(ctypes.get_errno(), "cannot drop root's file rights")


def _env() -> dict[str, str]:
    return {**os.environ, "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "80",
            "PYTHONUNBUFFERED": "1"}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses Linux prctl")
def test_a_read_only_store_warns_and_the_quiz_runs_without_saving() -> None:
    _run("quiz", *NUMERIC, "-n", "1", "--seed", "1", input="1\n")
    home = _db().parent
    before = {p.name: p.read_bytes() for p in home.iterdir() if p.is_file()}  # not cache/
    home.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "xentcli", "quiz", *NUMERIC, "-n", "2", "--seed", "3"],
            input="0\n0\n", capture_output=True, text=True, env=_env(), cwd=ROOT,
            timeout=120, preexec_fn=_drop_file_rights,
        )
        after = {p.name: p.read_bytes() for p in home.iterdir() if p.is_file()}
    finally:
        home.chmod(stat.S_IRWXU)
    assert done.returncode == 0, done.stderr
    warning = done.stderr
    assert warning.startswith(f"Warning: {_db()} cannot be written (")
    assert warning.endswith("); answers will not be saved.\n")
    assert warning.count("\n") == 1
    assert "Score: " in done.stdout
    assert after == before
    assert len(_saved()) == 1


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses Linux prctl")
def test_stats_reads_a_read_only_store_and_says_so() -> None:
    _run("quiz", *NUMERIC, "-n", "2", "--seed", "1", input="1\n2\n")
    home = _db().parent
    home.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "xentcli", "stats", "--json"], capture_output=True,
            text=True, env=_env(), cwd=ROOT, timeout=120, preexec_fn=_drop_file_rights,
        )
        reset = subprocess.run(
            [sys.executable, "-m", "xentcli", "stats", "--reset", "--yes"],
            capture_output=True, text=True, env=_env(), cwd=ROOT, timeout=120,
            preexec_fn=_drop_file_rights,
        )
    finally:
        home.chmod(stat.S_IRWXU)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["answered"] == 2
    assert done.stderr.startswith(f"Note: {_db()} cannot be written (")
    assert done.stderr.endswith("; showing it read-only.\n")
    assert reset.returncode == 2
    assert max(len(line) for line in reset.stderr.splitlines()) <= 80
    assert squash(reset.stderr).startswith(
        squash(f"Error: cannot delete progress: {_db()} cannot be written ("))
    assert reset.stderr.count("Error:") == 1
    assert len(_saved()) == 2


# ------------------------------------------------------------------ Ctrl-C, for real


class _Quiz:
    """A real `xent quiz` reading answers from a pipe that stays open."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "xentcli", "quiz", *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=_env(), cwd=ROOT,
        )
        self.seen = b""

    def expect(self, text: str) -> None:
        """Read the transcript until ``text`` shows (a hang fails, not a timing)."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while text.encode() not in self.seen:
            ready, _, _ = select.select([fd], [], [], 60)
            assert ready, f"no {text!r} in {self.seen.decode(errors='replace')!r}"
            chunk = os.read(fd, 4096)
            assert chunk, f"ended without {text!r}: {self.seen.decode(errors='replace')!r}"
            self.seen += chunk

    def type(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def interrupt(self) -> tuple[int, str, str]:
        self.proc.send_signal(signal.SIGINT)
        out, err = self.proc.communicate(timeout=60)
        return self.proc.returncode, (self.seen + out).decode(), err.decode()


@pytest.mark.parametrize("answered", [1, 2])
def test_ctrl_c_in_a_real_session_keeps_the_answers_given(answered: int) -> None:
    quiz = _Quiz(*NUMERIC, "-n", "3", "--seed", "8")
    for number in range(1, answered + 1):
        quiz.expect(f"Question {number}/3")
        quiz.type(f"{number}/10")
    quiz.expect(f"Question {answered + 1}/3")
    code, transcript, errors = quiz.interrupt()
    assert code == 130, errors
    assert f"Interrupted after {answered} of 3 questions." in " ".join(transcript.split())
    saved = _saved()
    assert [r["given"] for r in saved] == [f"{n}/10" for n in range(1, answered + 1)]
    assert len({r["question_id"] for r in saved}) == answered
    stats = json.loads(_run("stats", "--json").stdout)
    assert stats["answered"] == answered

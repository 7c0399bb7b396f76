"""`xent interview` end to end: piped answers on a fake clock (each answer arrives
after the seconds the test says), time-outs, rising levels, the readiness report,
the retry with new numbers, Ctrl-C, and what is saved."""

from __future__ import annotations

import io
import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from messages import wrapped
from typer.testing import CliRunner, Result

from xentcli.cli.app import app
from xentcli.quiz.bank import Instance, load_banks
from xentcli.quiz.interview import build_script, redraw
from xentcli.quiz.store import open_store
from xentcli.quiz.store_interviews import read_interviews

BANK = Path(__file__).parent / "fixtures" / "interview"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class PacedInput(io.RawIOBase):
    """Standard input that hands over one line per read, each after its delay on the
    fake clock; ``None`` as a line stands for Ctrl-C at that point."""

    def __init__(self, clock: FakeClock, script: list[tuple[float, str | None]]) -> None:
        self.clock = clock
        self.script = list(script)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not len(buffer) or not self.script:
            return 0
        delay, line = self.script.pop(0)
        self.clock.now += delay
        if line is None:
            raise KeyboardInterrupt
        data = (line + "\n").encode()
        buffer[: len(data)] = data
        return len(data)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    import typer.testing

    fake = FakeClock()
    monkeypatch.setattr("xentcli.cli.interview.clock", fake)
    usual = typer.testing.make_input_stream

    def paced_or_usual(input: Any, charset: str) -> Any:
        return input if isinstance(input, PacedInput) else usual(input, charset)

    # CliRunner copies its input into memory; a paced input must stay itself.
    monkeypatch.setattr(typer.testing, "make_input_stream", paced_or_usual)
    return fake


def _script(seed: int, minutes: float = 10) -> Sequence[Instance]:
    return build_script(load_banks([BANK]), minutes=minutes, seed=seed)


def _run(clock: FakeClock, script: list[tuple[float, str | None]], *args: str) -> Result:
    return CliRunner().invoke(app, ["interview", "--bank", str(BANK), *args],
                              input=PacedInput(clock, script))  # type: ignore[arg-type]


def _right(inst: Instance) -> str:
    return inst.expected_text() if inst.kind != "open" else "log K, all equally likely"


# What the candidate does with each question of the seed-4 script, by id:
# (seconds taken, answer lines). Par and limit (twice par) come from the bank.
PLAN: dict[str, tuple[float, str]] = {
    "mock-uniform": (12, "right"),  # par 30: right within par -> 1
    "mock-pick": (40, "right"),  # par 20, limit 40: right at the very limit, slow -> 0.75
    "mock-kl-zero": (61, "right"),  # par 30, limit 60: past the limit -> timed out, 0
    "mock-three": (50, "wrong"),  # wrong -> 0
    "mock-explain": (40, "open-yes"),  # self-graded right within par 60 -> 1
    "mock-kl-pair": (5, "skip"),  # skipped -> 0
    "mock-stretch": (100, "right"),  # par 90: slow -> 0.75
    "mock-kl-trap": (45, "right"),  # par 45: at par exactly -> 1
}


def _lines(script: list[Instance]) -> list[tuple[float, str | None]]:
    lines: list[tuple[float, str | None]] = []
    for inst in script:
        seconds, what = PLAN[inst.id]
        if what == "right":
            lines.append((seconds, _right(inst)))
        elif what == "wrong":
            lines.append((seconds, "0.5"))
        elif what == "skip":
            lines.append((seconds, "skip"))
        else:
            lines += [(seconds, "all outcomes equally likely, log K"), (5, "y")]
    return lines


def test_a_whole_interview_on_a_fake_clock(clock: FakeClock) -> None:
    script = _script(4)
    assert sorted(i.id for i in script) == sorted(PLAN)
    lines = _lines(script)
    # The retry: yes, then the three missed questions with new numbers, all right.
    missed = [i for i in script if i.id in ("mock-kl-zero", "mock-three", "mock-kl-pair")]
    fresh = redraw(missed, 5)
    lines += [(3, "y")] + [(10, _right(i)) for i in fresh]
    result = _run(clock, lines, "--minutes", "10", "--seed", "4", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    questions = report["questions"]
    # Rising levels: warm-up, core, stretch.
    assert [q["level"] for q in questions] == [1, 1, 1, 2, 2, 2, 3, 3]
    by_id = {q["id"]: q for q in questions}
    assert by_id["mock-kl-zero"]["timed_out"] is True
    assert by_id["mock-kl-zero"]["correct"] is False  # a right answer, but too late
    assert [q["id"] for q in questions if q["timed_out"]] == ["mock-kl-zero"]
    assert {q["id"]: q["seconds"] for q in questions} == {k: v[0] for k, v in PLAN.items()}
    assert {q["id"]: q["par_seconds"] for q in questions} == {
        "mock-uniform": 30, "mock-pick": 20, "mock-kl-zero": 30, "mock-three": 60,
        "mock-explain": 60, "mock-kl-pair": 60, "mock-stretch": 90, "mock-kl-trap": 45}
    assert by_id["mock-kl-pair"]["skipped"] is True
    assert report["score"] == 5 and report["total"] == 8 and report["timed_out"] == 1
    # Readiness: credits 1, .75, 0, 0, 1, 0 (entropy: uniform, pick, three, explain,
    # stretch = 1 + .75 + 0 + 1 + .75) and (kl: zero, pair, trap = 0 + 0 + 1).
    ready = report["readiness"]
    assert ready["mock-entropy"]["readiness"] == pytest.approx(3.5 / 5)
    assert ready["mock-kl"]["readiness"] == pytest.approx(1 / 3)
    assert ready["mock-entropy"]["verdict"] == "nearly"
    assert ready["mock-kl"]["verdict"] == "not yet"
    assert (ready["mock-kl"]["asked"], ready["mock-kl"]["right"],
            ready["mock-kl"]["timed_out"]) == (3, 1, 1)
    assert ready["mock-entropy"]["seconds"] == 12 + 40 + 50 + 40 + 100
    assert ready["mock-entropy"]["par_seconds"] == 30 + 20 + 60 + 60 + 90
    assert report["overall"]["readiness"] == pytest.approx(4.5 / 8)
    assert report["missed"] == [i.id for i in missed]
    assert report["finished"] is True and report["out_of_time"] is False
    # The retry asked the missed questions again with other numbers, and all were right.
    retry = report["retry"]
    assert [q["id"] for q in retry["questions"]] == [i.id for i in missed]
    assert retry["score"] == 3
    three_before = next(q for q in questions if q["id"] == "mock-three")
    three_after = next(q for q in retry["questions"] if q["id"] == "mock-three")
    assert three_before["expected"] != three_after["expected"]
    # The transcript (on stderr with --json) shows the time-out and its solution.
    text = result.stderr
    assert "Time's up (limit 1:00): counted as not answered.\nExpected 0.\n" in text
    assert "Solution:\nA distribution does not diverge from itself.\n" in text
    assert "Readiness: 56% (nearly). 5 of 8 right, 1 timed out, in 5:58 of 10:00." in text
    assert "Missed:\n  - mock-kl-zero (warm-up): timed out\n" in text
    assert "Retry: 3/3 right with new numbers." in text


def test_the_interview_is_saved_and_stats_shows_it(clock: FakeClock) -> None:
    script = _script(4)
    result = _run(clock, _lines(script) + [(1, "n")], "--minutes", "10", "--seed", "4")
    assert result.exit_code == 0, result.stderr
    with open_store() as store:  # type: ignore[union-attr]
        [row] = read_interviews(store)
        assert store.count() == 8
    assert (row.asked, row.correct, row.timed_out, row.planned, row.finished) == (8, 5, 1, 8,
                                                                                 True)
    assert row.readiness == pytest.approx(4.5 / 8)
    assert row.report["readiness"]["mock-kl"]["timed_out"] == 1
    stats = CliRunner().invoke(app, ["stats", "--json"])
    assert stats.exit_code == 0, stats.stderr
    saved = json.loads(stats.stdout)["interviews"]
    assert len(saved) == 1
    assert saved[0]["readiness"] == pytest.approx(4.5 / 8)
    assert saved[0]["topics"]["mock-entropy"] == pytest.approx(3.5 / 5)
    text = CliRunner().invoke(app, ["stats"]).stdout
    [line] = [t for t in text.splitlines() if t.startswith("Mock interviews:")]
    assert line.startswith("Mock interviews: 1. Readiness ▅ 56% (nearly); last ")
    assert line.endswith(", 5 of 8 right.")


def test_the_interviews_clock_running_out_ends_it(clock: FakeClock) -> None:
    script = _script(4, minutes=3)
    assert len(script) == 3
    # No question's own limit matters here (200 s each): the second answer arrives
    # at 190 s of a 180 s interview, and the third question is never asked.
    lines: list[tuple[float, str | None]] = [(100, "0.5"), (90, "skip"), (10, "0.5")]
    result = _run(clock, lines, "--minutes", "3", "--limit", "200", "--seed", "4", "--json",
                  "--no-save")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert [q["timed_out"] for q in report["questions"]] == [False, True]
    assert report["finished"] is False and report["out_of_time"] is True
    assert report["planned"] == 3
    assert "The interview's 3:00 are over: 1 question not reached." in result.stderr
    assert "The interview's time ran out after 2 of 3 questions." in result.stderr


def test_ctrl_c_keeps_what_was_answered(clock: FakeClock) -> None:
    script = _script(4)
    lines = _lines(script)[:2] + [(5, None)]
    result = _run(clock, lines, "--minutes", "10", "--seed", "4", "--json")
    assert result.exit_code == 130
    report = json.loads(result.stdout)
    assert [q["id"] for q in report["questions"]] == [i.id for i in script[:2]]
    assert report["finished"] is False
    assert "Interrupted after 2 of 8 questions." in result.stderr
    with open_store() as store:  # type: ignore[union-attr]
        [row] = read_interviews(store)
        assert store.count() == 2
    assert (row.asked, row.finished) == (2, False)


def test_no_save_saves_nothing(clock: FakeClock) -> None:
    result = _run(clock, [(1, "quit")], "--no-save", "--seed", "4")
    assert result.exit_code == 0
    assert open_store() is None
    assert not Path(os.environ["XENT_HOME"]).exists()  # not even the bank cache


def test_a_limit_for_every_question(clock: FakeClock) -> None:
    script = _script(4)
    lines: list[tuple[float, str | None]] = [(6, _right(script[0])), (4, "quit")]
    result = _run(clock, lines, "--seed", "4", "--limit", "5", "--json", "--no-save")
    report = json.loads(result.stdout)
    assert report["questions"][0]["timed_out"] is True
    assert report["questions"][0]["limit_seconds"] == 5
    assert "Missed:\n  - " in result.stderr
    assert "Retry" not in result.stderr  # `quit` ends the interview: no retry is offered


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--level", "4"], "Error: Invalid value for '--level': must be between 1 and 3, not 4. "
                           "See 'xent interview --help'."),
        (["-t", "nope"], "Error: unknown topic 'nope' (topics: mock-entropy, mock-kl)"),
        (["--minutes", "0.5"], "Error: Invalid value for '--minutes' / '-m': must be between 1 "
                               "and 240, not 0.5. See 'xent interview --help'."),
    ],
)
def test_bad_options_are_one_line(clock: FakeClock, args: list[str], message: str) -> None:
    result = _run(clock, [], *args, "--no-save")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == wrapped(message + "\n")


def test_an_open_answer_in_time_is_graded_even_if_the_self_grade_comes_later(
    clock: FakeClock,
) -> None:
    script = build_script(load_banks([BANK]), minutes=2, levels=[2], topics=["mock-entropy"],
                          seed=4)
    assert sorted(i.id for i in script) == ["mock-explain", "mock-three"]
    lines: list[tuple[float, str | None]] = []
    for inst in script:  # the open answer is in at 110 s of 120, its self-grade at 140 s
        spent = sum(delay for delay, _ in lines)
        if inst.kind == "open":
            lines += [(110 - spent, "uniform: log K"), (30, "y")]
        else:
            lines.append((5, "0.5"))
    result = _run(clock, lines, "--minutes", "2", "--level", "2", "-t", "mock-entropy",
                  "--limit", "200", "--seed", "4", "--json", "--no-save")
    assert result.exit_code == 0, result.stderr
    rows = {q["id"]: q for q in json.loads(result.stdout)["questions"]}
    assert (rows["mock-explain"]["correct"], rows["mock-explain"]["timed_out"]) == (True, False)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_at_a_terminal_the_clock_ticks_and_time_running_out_interrupts_the_prompt() -> None:
    import os
    import pty
    import select
    import subprocess

    master, slave = pty.openpty()
    env = {**os.environ, "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "80"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "xentcli", "interview", "--bank", str(BANK), "--no-save",
         "--seed", "4", "--limit", "2"],
        stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True,
    )
    os.close(slave)
    seen = b""
    try:
        for token in (b"Clock 0:01 of 0:02", b"Time's up (limit 0:02)", b"Question 2/8"):
            while token not in seen:
                ready, _, _ = select.select([master], [], [], 30)
                assert ready, f"no {token!r} in {seen!r}"
                chunk = os.read(master, 4096)
                assert chunk, seen
                seen += chunk
        os.write(master, b"quit\n")
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    text = seen.decode()
    # The clock line is rewritten in place (save cursor, up one line, restore).
    assert re.search(r"\x1b7\x1b\[1A\rClock 0:01 of 0:02 · interview 19:5\d left\x1b\[K\x1b8",
                     text)
    assert "counted as not answered." in text


def test_ctrl_c_at_the_retry_offer_keeps_the_report_once(clock: FakeClock) -> None:
    script = _script(4)
    result = _run(clock, _lines(script) + [(2, None)], "--minutes", "10", "--seed", "4",
                  "--json", "--no-save")
    assert result.exit_code == 130
    assert result.stderr.count("Readiness report") == 1
    report = json.loads(result.stdout)
    assert (report["total"], report["finished"], report["retry"]) == (8, True, None)


def test_the_script_draws_each_question_when_it_is_reached(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from xentcli.quiz.question import Question

    script = _script(seed=8)
    usual = Question.instantiate
    drawn: list[tuple[str, int]] = []

    def counted(self: Question, seed: int, **kwargs: Any) -> Instance:
        drawn.append((self.id, seed))
        return usual(self, seed, **kwargs)

    monkeypatch.setattr(Question, "instantiate", counted)
    fresh = _script(seed=8)
    assert drawn == [] and len(fresh) == len(script) >= 3
    second = fresh[1]
    assert drawn == [(second.id, second.seed)]
    assert fresh[1] is second and len(drawn) == 1  # drawn once
    assert list(fresh) == list(script)  # the same numbers as drawing them all at once
    assert fresh[-1] == script[len(script) - 1] and fresh[:2] == [script[0], script[1]]
    with pytest.raises(IndexError):
        fresh[len(fresh)]

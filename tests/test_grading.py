"""Grading: tolerance rule, choices by letter or number, self-grades; and the session
logic that uses them (selection, recording, report)."""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from xentcli.errors import ExpressionError, QuizError
from xentcli.quiz.bank import Bank, Instance, load_banks
from xentcli.quiz.grading import (
    grade_choice,
    grade_numeric,
    parse_choice,
    parse_self_grade,
    within_tolerance,
)
from xentcli.quiz.records import AnswerRecord
from xentcli.quiz.session import RandomPlanner, Session, is_quit, is_skip, select_questions

FIXTURES = Path(__file__).parent / "fixtures" / "banks"


# ------------------------------------------------------------------ tolerance


@pytest.mark.parametrize(
    ("given", "expected", "ok"),
    [
        (0.357, 0.35667494393873245, True),  # rounded to 3 digits
        (0.36, 0.35667494393873245, True),  # within 1 % (0.0036)
        (0.361, 0.35667494393873245, False),
        (1.0099, 1.0, True),
        (1.0101, 1.0, False),
        (0.0009, 0.0, True),  # the absolute floor near zero
        (0.0011, 0.0, False),
        (-0.995, -1.0, True),
    ],
)
def test_within_tolerance_defaults(given: float, expected: float, ok: bool) -> None:
    assert within_tolerance(given, expected) is ok


def test_the_tolerance_bound_itself_is_accepted() -> None:
    # |a - b| <= tol, not <: exactly on the bound counts (all three numbers are exact
    # in binary, so no rounding decides it).
    assert within_tolerance(1.25, 1.0, rtol=0.25, atol=0.0)
    assert within_tolerance(0.5, 0.0, rtol=0.0, atol=0.5)


def test_tolerance_is_per_question() -> None:
    assert within_tolerance(1.04, 1.0, rtol=0.05, atol=0.0)
    assert not within_tolerance(1.04, 1.0, rtol=0.0, atol=0.01)


def test_grade_numeric_evaluates_expressions() -> None:
    grade = grade_numeric("-ln(0.7)", 0.35667494393873245)
    assert grade.correct and grade.value == pytest.approx(0.35667494393873245)
    assert not grade_numeric("0.5", 0.35667494393873245).correct
    with pytest.raises(ExpressionError, match="unknown name 'abc'"):
        grade_numeric("abc", 1.0)


# ------------------------------------------------------------------- choices


@pytest.mark.parametrize(
    ("text", "letter"),
    [("a", "A"), ("B", "B"), (" c ", "C"), ("(b)", "B"), ("b)", "B"), ("b.", "B"),
     ("1", "A"), ("3", "C")],
)
def test_parse_choice(text: str, letter: str) -> None:
    assert parse_choice(text, 3) == letter


# "²" is a digit to str.isdigit but not to int(), and int() refuses 5000 digits: both
# were a ValueError (an internal error) instead of "not a choice".
@pytest.mark.parametrize("text", ["d", "4", "0", "ab", "yes", "-1", "\u00b2", "1" * 5000])
def test_parse_choice_refuses_what_was_not_shown(text: str) -> None:
    with pytest.raises(QuizError) as info:
        parse_choice(text, 3)
    assert str(info.value) == (
        f"'{text}' is not a choice: answer with a letter A-C or a number 1-3"
    )


def test_grade_choice() -> None:
    assert grade_choice("2", "B", 3).correct
    assert not grade_choice("a", "B", 3).correct
    assert grade_choice("a", "B", 3).letter == "A"


@pytest.mark.parametrize(
    ("text", "verdict"),
    [("y", True), ("Yes", True), (" YES ", True), ("n", False), ("no", False),
     ("maybe", None), ("", None)],
)
def test_parse_self_grade(text: str, verdict: bool | None) -> None:
    assert parse_self_grade(text) is verdict


def test_skip_and_quit_words() -> None:
    assert is_skip("") and is_skip("  ") and is_skip("skip") and is_skip("SKIP")
    assert not is_skip("0")
    assert is_quit("quit") and is_quit("exit") and not is_quit("q1")


# ------------------------------------------------------------------- sessions


class ListRecorder:
    def __init__(self) -> None:
        self.records: list[AnswerRecord] = []

    def record(self, rec: AnswerRecord) -> None:
        self.records.append(rec)


def _bank() -> Bank:
    return load_banks([FIXTURES / "good"])


def _ids(instances: Sequence[Instance]) -> list[tuple[str, str]]:
    return [(i.id, json.dumps(i.params)) for i in instances]


def test_same_seed_same_questions_and_numbers() -> None:
    bank = _bank()
    first = select_questions(bank, count=4, seed=11)
    again = select_questions(bank, count=4, seed=11)
    assert _ids(first) == _ids(again)
    assert [i.prompt for i in first] == [i.prompt for i in again]
    others = {tuple(_ids(select_questions(bank, count=4, seed=s))) for s in range(12)}
    assert len(others) > 1


def test_no_seed_gives_random_sessions() -> None:
    bank = _bank()
    sessions = {tuple(_ids(select_questions(bank, count=6))) for _ in range(10)}
    assert len(sessions) > 1


def test_filters_and_count() -> None:
    bank = _bank()
    assert {i.topic for i in select_questions(bank, count=10, topics=["units"])} == {"units"}
    numeric = select_questions(bank, count=10, kinds=["numeric"])
    assert {i.kind for i in numeric} == {"numeric"} and len(numeric) == 3
    assert len(select_questions(bank, count=2)) == 2
    assert len(select_questions(bank, count=100)) == 6  # everything, each once


def test_unknown_topic_and_empty_selection_are_quiz_errors() -> None:
    bank = _bank()
    with pytest.raises(QuizError) as info:
        select_questions(bank, count=3, topics=["entropy"])
    assert str(info.value) == "unknown topic 'entropy' (topics: basics, units)"
    with pytest.raises(QuizError) as info:
        select_questions(bank, count=3, topics=["units"], kinds=["open"])
    assert str(info.value) == "no questions for topic units and kind open"


def test_random_planner_spreads_over_topics() -> None:
    ids = [f"a{i}" for i in range(10)] + ["b1", "b2", "c1"]
    topics = {q: q[0] for q in ids}
    for seed in range(20):
        plan = RandomPlanner().plan(ids, topics, 3, False, random.Random(seed))
        assert sorted(q[0] for q in plan) == ["a", "b", "c"]
        assert len(set(plan)) == 3


class FixedPlanner:
    def __init__(self, order: list[str]) -> None:
        self.order = order
        self.calls: list[tuple[int, bool]] = []

    def plan(self, question_ids: Sequence[str], topics: Mapping[str, str], count: int,
             review: bool, rng: random.Random) -> list[str]:
        self.calls.append((count, review))
        return self.order


def test_a_planner_decides_the_order() -> None:
    planner = FixedPlanner(["units-base-of-bits", "basics-dog"])
    chosen = select_questions(_bank(), count=2, planner=planner, review=True, seed=1)
    assert [i.id for i in chosen] == ["units-base-of-bits", "basics-dog"]
    assert planner.calls == [(2, True)]


def _session(ticks: list[float] | None = None) -> tuple[Session, ListRecorder]:
    bank = _bank()
    order = ["basics-dog", "units-base-of-bits", "basics-one-minute", "units-nats-to-bits"]
    instances = select_questions(bank, count=4, planner=FixedPlanner(order), seed=3)
    recorder = ListRecorder()
    clock = iter(ticks or [0.0] * 20)
    return Session(instances, recorder, clock=lambda: next(clock)), recorder


def test_feeding_back_the_expected_answers_scores_everything() -> None:
    for seed in range(10):
        instances = select_questions(_bank(), count=6, seed=seed)
        session = Session(instances, ListRecorder())
        for inst in instances:
            if inst.kind == "open":
                session.self_grade(inst, "my answer", True)
            else:
                session.answer(inst, repr(inst.expected) if inst.kind == "numeric"
                               else str(inst.expected))
        report = session.report()
        assert (report.score, report.total) == (6, 6)


def test_answers_off_by_five_percent_score_nothing() -> None:
    checked = 0
    for seed in range(10):
        for inst in select_questions(_bank(), count=6, seed=seed, kinds=["numeric"]):
            assert isinstance(inst.expected, float)
            if abs(inst.expected) <= 20 * inst.atol:
                continue
            session = Session([inst], ListRecorder())
            for off in (1.05, 0.95):
                assert not session.answer(inst, repr(inst.expected * off)).correct
                checked += 1
    assert checked >= 20


def test_every_answer_is_recorded_at_once() -> None:
    session, recorder = _session(ticks=[0.0, 2.5, 10.0, 11.0, 20.0, 24.0, 30.0, 30.5])
    dog, choice, open_q, nats = session.instances
    session.start()
    session.answer(dog, "-ln(0.7)")
    assert len(recorder.records) == 1
    rec = recorder.records[0]
    assert (rec.question_id, rec.topic, rec.kind, rec.given, rec.correct, rec.skipped) == (
        "basics-dog", "basics", "numeric", "-ln(0.7)", True, False)
    assert rec.seconds == 2.5 and rec.seed == dog.seed
    assert float(rec.expected) == dog.expected
    session.start()
    session.skip(choice)
    session.start()
    session.self_grade(open_q, "It compares distributions.", False)
    session.start()
    with pytest.raises(ExpressionError):
        session.answer(nats, "two")
    assert len(recorder.records) == 3  # an unreadable answer is not recorded
    session.mark_wrong(nats, "two")
    assert [(r.given, r.correct, r.skipped, r.expected) for r in recorder.records[1:]] == [
        (None, False, True, choice.expected),
        ("It compares distributions.", False, False, "self-graded"),
        ("two", False, False, repr(nats.expected)),
    ]
    assert json.dumps([r.params for r in recorder.records])


def test_report_json_and_topics() -> None:
    session, _ = _session()
    dog, choice, open_q, _nats = session.instances
    session.answer(dog, "0.3567")
    session.answer(choice, str(choice.expected))
    session.self_grade(open_q, "text", False)
    report = session.report()
    assert (report.score, report.total, report.finished, report.planned) == (2, 3, False, 4)
    data = json.loads(json.dumps(report.to_json(), allow_nan=False))
    assert data["score"] == 2 and data["total"] == 3
    first = data["questions"][0]
    assert set(first) == {"id", "topic", "kind", "prompt", "given", "expected", "correct",
                          "level", "seed", "params", "skipped", "diagnosis", "hints", "seconds",
                          "expected_text", "unit", "tolerance", "mistakes"}
    assert set(data["questions"][1]) == set(first) - {"expected_text", "unit", "tolerance",
                                                       "mistakes"}
    assert first["expected"] == dog.expected and isinstance(first["expected"], float)
    assert [row.topic for row in report.by_topic()] == ["basics", "units"]
    assert [(r.asked, r.correct, r.skipped) for r in report.by_topic()] == [(2, 1, 0),
                                                                            (1, 1, 0)]
    assert report.weakest_topic() == "basics"

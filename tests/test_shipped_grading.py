"""Grading properties of every shipped numeric question over many draws.

Each question is drawn once per seed and the draws are shared by every check:
the value shown as expected, typed back, is graded right; no declared mistake
lies within the tolerance of the answer (nor is graded right); and a mistake's
value typed back is graded wrong with that mistake's message. Then each declared
mistake goes through the piped quiz itself. ``benchmarks/`` has no part here:
the whole file runs in a few seconds.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from xentcli.cli.app import app
from xentcli.quiz.bank import Bank, Instance, Question, load_banks
from xentcli.quiz.grading import grade_numeric, within_tolerance

SEEDS = 200


@pytest.fixture(scope="module")
def bank() -> Bank:
    return load_banks()


@pytest.fixture(scope="module")
def draws(bank: Bank) -> dict[str, list[Instance]]:
    """Every numeric question drawn for seeds 0..SEEDS-1, once for all the checks."""
    return {q.id: [q.instantiate(seed, texts=False) for seed in range(SEEDS)]
            for q in bank.questions if q.kind == "numeric"}


def _numeric(draws: dict[str, list[Instance]]) -> Iterator[Instance]:
    for instances in draws.values():
        yield from instances


def _expected(inst: Instance) -> float:
    assert isinstance(inst.expected, float)
    return inst.expected


def test_every_shipped_numeric_question_is_drawn(draws: dict[str, list[Instance]]) -> None:
    assert len(draws) >= 50
    assert all(len(v) == SEEDS for v in draws.values())


def test_the_value_shown_typed_back_is_graded_right(draws: dict[str, list[Instance]]) -> None:
    failures = []
    for inst in _numeric(draws):
        expected = _expected(inst)
        shown = inst.expected_text()  # what the feedback and the JSON show
        unit = f" {inst.unit}" if inst.unit else ""
        for text in (shown, shown + unit, repr(expected)):  # terminal, with unit, --json
            grade = grade_numeric(text, expected, inst.rtol, inst.atol, unit=inst.unit,
                                  mistakes=inst.mistakes)
            if not grade.correct:
                failures.append((inst.id, inst.seed, text))
    assert failures == []


def test_no_declared_mistake_is_within_tolerance(draws: dict[str, list[Instance]]) -> None:
    failures = []
    for inst in _numeric(draws):
        expected = _expected(inst)
        for mistake in inst.mistakes:
            if within_tolerance(mistake.value, expected, inst.rtol, inst.atol):
                failures.append((inst.id, inst.seed, mistake.id))
    assert failures == []


def test_a_mistake_typed_back_is_wrong_with_its_message(
    draws: dict[str, list[Instance]],
) -> None:
    failures = []
    for inst in _numeric(draws):
        expected = _expected(inst)
        for mistake in inst.mistakes:
            for text in (f"{mistake.value:.6g}",):  # as shown; the exact value goes by pipe
                grade = grade_numeric(text, expected, inst.rtol, inst.atol, unit=inst.unit,
                                      mistakes=inst.mistakes)
                # Two mistakes may share a value in a draw: either message is right.
                same = {m.message for m in inst.mistakes
                        if within_tolerance(grade.value or 0.0, m.value, inst.rtol, inst.atol)}
                if grade.correct or grade.diagnosis not in same or mistake.message not in same:
                    failures.append((inst.id, inst.seed, mistake.id, text))
    assert failures == []


def test_each_declared_mistake_through_the_piped_quiz(bank: Bank) -> None:
    """One session asks every numeric question once per declared mistake (seeds 0, 1,
    ... per question) and answers each with that mistake's value."""
    args: list[str] = []
    answers: list[str] = []
    expected: list[tuple[str, set[str]]] = []
    numeric: list[Question] = [q for q in bank.questions if q.kind == "numeric"]
    for question in numeric:
        for number, mistake in enumerate(question.mistakes):
            inst = question.instantiate(number)
            value = next(m for m in inst.mistakes if m.id == mistake.id)
            args += ["--question", question.id]
            answers.append(repr(value.value))
            # Two mistakes of one draw may give the same value: either message is right.
            expected.append((question.id, {m.message for m in inst.mistakes
                                           if m.value == value.value}))
    assert len(expected) >= 2 * len(numeric)  # at least two mistakes per question on average
    result = CliRunner().invoke(app, ["quiz", "--no-save", *args, "--seed", "0", "--json"],
                                input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.stderr[-2000:]
    rows = json.loads(result.stdout)["questions"]
    assert [r["id"] for r in rows] == [qid for qid, _ in expected]
    wrong = [(r["id"], r["diagnosis"]) for r, (_, messages) in zip(rows, expected, strict=True)
             if r["diagnosis"] not in messages]
    assert wrong == []
    assert [r["correct"] for r in rows] == [False] * len(rows)


def test_every_shipped_question_has_the_required_keys(bank: Bank) -> None:
    """level and hint on every question; par_seconds and mistakes on numeric ones; a
    why for every wrong choice."""
    missing = []
    for q in bank.questions:
        needed = ["level", "hint"] + (["par_seconds", "mistakes"] if q.kind == "numeric" else [])
        missing += [(q.id, key) for key in needed if key not in q.lines]
        if q.kind == "choice":
            assert isinstance(q.answer, int)
            missing += [(q.id, f"why of choice {i + 1}") for i, why in enumerate(q.whys)
                        if why is None and i != q.answer - 1]
    assert missing == []

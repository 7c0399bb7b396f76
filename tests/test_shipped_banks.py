"""The shipped question banks: every question draws, renders and grades for 50 seeds,
and `xent bank check` passes on them."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from xentcli.cli.app import app
from xentcli.quiz.bank import DEFAULT_ATOL, DEFAULT_RTOL, LETTERS, load_banks, shipped_bank_dir
from xentcli.quiz.cards import list_cards
from xentcli.quiz.grading import grade_choice, grade_numeric

SEEDS = range(50)
TOPICS = {
    "surprisal", "entropy", "cross-entropy", "ce-loss", "bce", "kl", "likelihood", "stability",
    "gradient", "weighted", "focal", "smoothing", "units", "activations",
}
FILES = sorted(shipped_bank_dir().glob("*.yaml"))


def test_the_shipped_banks_are_exactly_the_topics_with_a_card() -> None:
    stems = {p.stem for p in FILES}
    assert stems == {card.topic for card in list_cards()}
    assert TOPICS <= stems  # the first topics are all still there


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_question_renders_and_its_answer_evaluates(path: Path) -> None:
    bank = load_banks([path])
    assert list(bank.topics) == [path.stem]
    for question in bank.questions:
        for seed in SEEDS:
            inst = question.instantiate(seed)
            json.dumps(inst.params, allow_nan=False)
            assert inst.prompt.strip(), question.id
            if inst.kind == "numeric":
                assert isinstance(inst.expected, float) and math.isfinite(inst.expected)
                assert inst.explanation.strip(), question.id
            elif inst.kind == "choice":
                assert len(set(inst.choices)) == len(inst.choices), (question.id, seed)
                assert inst.expected in LETTERS[: len(inst.choices)]
            else:
                assert str(inst.expected).strip() and len(inst.key_points) >= 2


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_expected_answers_score_and_five_percent_off_does_not(path: Path) -> None:
    for question in load_banks([path]).questions:
        if question.kind == "open":
            continue
        default = (question.rtol, question.atol) == (DEFAULT_RTOL, DEFAULT_ATOL)
        for seed in SEEDS:
            inst = question.instantiate(seed)
            if isinstance(inst.expected, float):
                assert grade_numeric(repr(inst.expected), inst.expected, inst.rtol,
                                     inst.atol).correct, (question.id, seed)
                if default and abs(inst.expected) > 20 * inst.atol:
                    for off in (1.05, 0.95):
                        assert not grade_numeric(repr(inst.expected * off),
                                                 inst.expected).correct, (question.id, seed)
            else:
                count = len(inst.choices)
                for letter in LETTERS[:count]:
                    assert grade_choice(letter, inst.expected, count).correct is (
                        letter == inst.expected)


def test_bank_check_passes_on_the_shipped_banks() -> None:
    result = CliRunner().invoke(app, ["bank", "check", *map(str, FILES)])
    assert result.exit_code == 0, result.stdout
    assert result.stdout.startswith("OK: ")


def test_ids_are_unique_across_the_shipped_banks() -> None:
    bank = load_banks(FILES)
    ids = [q.id for q in bank.questions]
    assert len(ids) == len(set(ids))

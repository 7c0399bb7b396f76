"""The classic interview questions and worked examples are in the shipped banks (tagged
``classic``), and their fixed-number versions expect the classic numbers (worked by hand
here)."""

from __future__ import annotations

import math

import pytest

from xentcli.quiz.bank import load_banks

BANK = load_banks()

# Each classic interview question, by the id that asks it.
PRACTICE = {
    "What are entropy and cross-entropy, and how do they relate?": "cross-entropy-vs-entropy",
    "Where is cross-entropy loss used, and why?": "ce-loss-where-used",
    "What is the loss's mathematical character, and its training advantage?": "gradient-why-ce",
    "CE of [0.7, 0.2, 0.1] on the target [1, 0, 0]": "ce-loss-one-hot-calc",
    "Multi-label cross-entropy versus multi-class single-label": "bce-multilabel-vs-multiclass",
}

# The classic worked numbers, computed here with the math module only.
WORKED = {
    "ce-loss-one-hot-calc": -math.log(0.7),
    "surprisal-panda": -math.log(0.001),
    "entropy-animals": -(0.2 * math.log(0.2) + 0.3 * math.log(0.3) + 0.5 * math.log(0.5)),
    "ce-loss-dog": -math.log2(0.7),
    "cross-entropy-loaded-coin": -(0.99 * math.log(0.01) + 0.01 * math.log(0.99)),
    "kl-loaded-coin": 0.99 * math.log(99) + 0.01 * math.log(1 / 99),
}


@pytest.mark.parametrize("question_id", PRACTICE.values(), ids=list(PRACTICE))
def test_every_practice_question_is_asked_and_tagged(question_id: str) -> None:
    assert "classic" in BANK.question(question_id).tags


@pytest.mark.parametrize("question_id", WORKED)
def test_worked_examples_expect_the_articles_numbers(question_id: str) -> None:
    for seed in (0, 1, 7):
        expected = BANK.question(question_id).instantiate(seed).expected
        assert expected == pytest.approx(WORKED[question_id], rel=1e-12)


def test_the_practice_calculation_is_0_356675_nats() -> None:
    inst = BANK.question("ce-loss-one-hot-calc").instantiate(0)
    assert round(inst.expected, 6) == 0.356675
    assert "0.356675" in inst.explanation

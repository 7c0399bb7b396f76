"""Grading answers: numbers within a tolerance, choices by letter or number, self-grades.

>>> within_tolerance(0.357, 0.35667494393873245)
True
>>> grade_numeric("-ln(0.7)", 0.35667494393873245).correct
True
>>> parse_choice("b", 3), parse_choice("3", 3)
('B', 'C')
"""

from __future__ import annotations

from dataclasses import dataclass

from xentcli.errors import QuizError
from xentcli.quiz.bank import DEFAULT_ATOL, DEFAULT_RTOL, LETTERS
from xentcli.quiz.expr import evaluate_answer

__all__ = [
    "Grade",
    "grade_choice",
    "grade_numeric",
    "parse_choice",
    "parse_self_grade",
    "within_tolerance",
]


@dataclass(frozen=True)
class Grade:
    """The verdict on one answer, with what was understood from it."""

    correct: bool
    value: float | None = None  # numeric answers: the number the text evaluated to
    letter: str | None = None  # choice answers: the letter chosen


def within_tolerance(
    given: float, expected: float, rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL
) -> bool:
    """``|given - expected| <= max(atol, rtol * |expected|)``.

    The absolute part keeps answers near zero gradable by hand; the relative
    part accepts rounding to about three significant digits by default.
    """
    return abs(given - expected) <= max(atol, rtol * abs(expected))


def grade_numeric(
    answer: str, expected: float, rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL
) -> Grade:
    """Evaluate a typed answer (``0.36``, ``1/6``, ``-ln(0.7)``) and compare it.

    Raises:
        ExpressionError: the answer is not a number or a safe expression.
    """
    value = evaluate_answer(answer)
    return Grade(within_tolerance(value, expected, rtol, atol), value=value)


def parse_choice(answer: str, count: int) -> str:
    """The letter meant by ``answer`` (``b``, ``B``, ``(b)``, ``2``) among ``count`` choices.

    Numbers count in the order the choices were shown: 1 is A.

    Raises:
        QuizError: the answer names no shown choice.
    """
    text = answer.strip().strip("().").strip().upper()
    letters = LETTERS[:count]
    if len(text) == 1 and text in letters:
        return text
    # isdecimal, not isdigit: int() cannot read "²"; and a short text, for int()'s sake.
    if text.isdecimal() and len(text) <= 3 and 1 <= int(text) <= count:
        return letters[int(text) - 1]
    raise QuizError(
        f"'{answer.strip()}' is not a choice: answer with a letter A-{letters[-1]} "
        f"or a number 1-{count}"
    )


def grade_choice(answer: str, expected: str, count: int) -> Grade:
    """Grade a choice answer against the expected letter (of the shown order).

    Raises:
        QuizError: the answer names no shown choice.
    """
    letter = parse_choice(answer, count)
    return Grade(letter == expected, letter=letter)


def parse_self_grade(answer: str) -> bool | None:
    """``y``/``yes`` -> True, ``n``/``no`` -> False, anything else -> None."""
    text = answer.strip().lower()
    if text in ("y", "yes"):
        return True
    if text in ("n", "no"):
        return False
    return None

"""Grading answers: numbers within a tolerance, choices by letter or number, self-grades.

A numeric answer is read in the question's unit (another unit word is refused,
:class:`~xentcli.quiz.units.UnitError`), compared with the expected value, and
when it is wrong, compared with the question's declared mistakes so that the
feedback can say which slip it was.

>>> within_tolerance(0.357, 0.35667494393873245)
True
>>> grade_numeric("-ln(0.7)", 0.35667494393873245).correct
True
>>> shown_value(1000.0713, rtol=0, atol=0.0005)
'1000.0713'
>>> parse_choice("b", 3), parse_choice("3", 3)
('B', 'C')
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from xentcli.errors import QuizError
from xentcli.quiz.expr import evaluate_answer
from xentcli.quiz.question import (
    DEFAULT_ATOL,
    DEFAULT_RTOL,
    LETTERS,
    SHOWN_MARGIN,
    MistakeValue,
    shown_number,
)
from xentcli.quiz.units import UnitError, check_unit, known_unit, split_unit, unit_factor

__all__ = [
    "SHOWN_MARGIN",
    "Grade",
    "UnitError",
    "grade_choice",
    "grade_numeric",
    "parse_choice",
    "parse_self_grade",
    "shown_value",
    "within_tolerance",
]

@dataclass(frozen=True)
class Grade:
    """The verdict on one answer, with what was understood from it."""

    correct: bool
    value: float | None = None  # numeric answers: the number the text evaluated to
    letter: str | None = None  # choice answers: the letter chosen
    diagnosis: str | None = None  # the mistake recognised in a wrong answer, in a line
    mistake: str | None = None  # the id of the declared mistake it matched


def within_tolerance(
    given: float, expected: float, rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL
) -> bool:
    """``|given - expected| <= max(atol, rtol * |expected|)``.

    The absolute part keeps answers near zero gradable by hand; the relative
    part accepts rounding to about three significant digits by default.
    """
    return abs(given - expected) <= max(atol, rtol * abs(expected))


def shown_value(expected: float, rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL) -> str:
    """The expected value as feedback shows it: 6 significant digits, more when the
    tolerance needs them, so that the text typed back is always graded right.

    >>> shown_value(0.35667494393873245), shown_value(1000.0713, rtol=0, atol=0.0005)
    ('0.356675', '1000.0713')
    """
    return shown_number(expected, rtol, atol)


def grade_numeric(
    answer: str,
    expected: float,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
    *,
    unit: str | None = None,
    mistakes: Sequence[MistakeValue] = (),
) -> Grade:
    """Evaluate a typed answer (``0.36``, ``1/6``, ``-ln(0.7) nats``) and compare it.

    ``unit`` is the question's ("" for a plain number): a trailing unit word
    must name it. None leaves unit words unchecked (nats, bits, bans ignored).
    A wrong answer that matches one of ``mistakes`` within the tolerance gets
    that mistake's message as its diagnosis (the closest one if several do).

    Raises:
        ExpressionError: the answer is not a number or a safe expression.
        UnitError: the answer names another unit than the question's.
    """
    factor = 1.0
    if unit is not None:
        answer, word = split_unit(answer)
        reason = check_unit(word, unit)
        if reason is not None:
            raise UnitError(reason)
        factor = unit_factor(word, unit)
    value = evaluate_answer(answer) * factor
    if within_tolerance(value, expected, rtol, atol):
        return Grade(True, value=value)
    matching = [m for m in mistakes if within_tolerance(value, m.value, rtol, atol)]
    if matching:
        best = min(matching, key=lambda m: abs(value - m.value))
        return Grade(False, value=value, diagnosis=best.message, mistake=best.id)
    return Grade(False, value=value, diagnosis=_slip(value, expected, rtol, atol, unit))


_LOG_UNITS = {"nats": math.e, "bits": 2.0, "bans": 10.0}


def _slip(value: float, expected: float, rtol: float, atol: float, unit: str | None) -> str | None:
    """A diagnosis for slips every question shares: the sign, another log base."""
    if expected != 0 and within_tolerance(-value, expected, rtol, atol):
        return "The sign is flipped: check the minus in front of the sum or the log."
    asked = known_unit(unit or "")
    if asked is None:
        return None
    for other, base in _LOG_UNITS.items():
        if other == asked:
            continue
        # x in `asked` is x * ln(base asked) / ln(base other) in `other`.
        converted = expected * math.log(_LOG_UNITS[asked]) / math.log(base)
        if within_tolerance(value, converted, rtol, atol):
            return f"That is the value in {other}: the question asks for {asked}."
    return None


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

"""Unit words in answers: the question's own unit is accepted, any other refused.

A numeric question knows its unit (``nats``, ``bits``, ``bans``, a word of the
bank's such as ``tokens``, or none for a plain number). An answer may end with
a unit word; :func:`split_unit` takes it off and :func:`check_unit` says
whether it fits, so a value in bits is never graded as if it were in nats.

>>> split_unit("-ln(0.7) nats")
('-ln(0.7)', 'nats')
>>> check_unit("bit", "bits") is None, check_unit("bits", "nats")
(True, 'this question asks for nats, not bits: convert, or give the number alone')
"""

from __future__ import annotations

import re

from xentcli.errors import QuizError

__all__ = [
    "PERCENT",
    "UnitError",
    "check_unit",
    "known_unit",
    "split_unit",
    "unit_factor",
]

# The logarithmic units and the words that name them.
_FAMILIES: dict[str, frozenset[str]] = {
    "nats": frozenset({"nat", "nats", "nit", "nits", "nepit", "nepits"}),
    "bits": frozenset({"bit", "bits", "shannon", "shannons", "sh"}),
    "bans": frozenset({"ban", "bans", "hartley", "hartleys", "dit", "dits", "hart"}),
}
#: The words that mean "per cent".
PERCENT = frozenset({"%", "percent", "per cent", "pct"})

# A trailing word: letters (a bank's unit may be "tokens/s"), or a percent sign.
_TRAILING = re.compile(r"^(?P<number>.*?[0-9.)\s])\s*(?P<word>%|[^\W\d_][\w/]*(?: cent)?)\s*$")
# Names an answer may end with that are part of the expression, not a unit.
_EXPRESSION_NAMES = frozenset({"e", "pi", "π"})


class UnitError(QuizError):
    """An answer whose unit word is not the question's: the message says why."""


def split_unit(text: str) -> tuple[str, str | None]:
    """``"0.36 nats"`` -> ``("0.36", "nats")``; no trailing word -> ``(text, None)``.

    >>> split_unit("1/8 bits"), split_unit("2 * pi"), split_unit("45%")
    (('1/8', 'bits'), ('2 * pi', None), ('45', '%'))
    """
    stripped = text.strip()
    if len(stripped) > 600:  # longer than any answer the evaluator takes
        return stripped, None
    match = _TRAILING.match(stripped)
    if match is None or match["word"].lower() in _EXPRESSION_NAMES:
        return stripped, None
    number = match["number"].strip()
    if not number:
        return stripped, None
    return number, match["word"]


def known_unit(word: str) -> str | None:
    """The logarithmic unit a word names (``bit`` -> ``bits``), else None."""
    lowered = word.lower()
    for unit, words in _FAMILIES.items():
        if lowered in words:
            return unit
    return None


def _same_word(word: str, unit: str) -> bool:
    a, b = word.lower(), unit.lower()
    return a == b or a + "s" == b or a == b + "s"


def check_unit(word: str | None, unit: str) -> str | None:
    """None when ``word`` may follow an answer in ``unit``; else the reason it may not.

    ``unit`` is the question's unit ("" for a plain number). No word always fits:
    a bare number is read in the question's unit.
    """
    if word is None:
        return None
    family = known_unit(word)
    asked = known_unit(unit) or unit
    if unit and (family == asked or (family is None and _same_word(word, unit))):
        return None
    if word.lower() in PERCENT and (not unit or unit.lower() in PERCENT):
        return None
    named = family or word
    if not unit:
        if family:
            return f"this question asks for a plain number, not {family}"
        return f"'{word}' is not a unit this question knows: give the number alone"
    if family is None and word.lower() not in PERCENT:
        return f"'{word}' is not a unit this question knows: it asks for {unit}"
    return f"this question asks for {asked}, not {named}: convert, or give the number alone"


def unit_factor(word: str | None, unit: str) -> float:
    """What to multiply the number by: 1/100 for a percentage of a plain number."""
    if word is not None and word.lower() in PERCENT and unit.lower() not in PERCENT:
        return 0.01
    return 1.0

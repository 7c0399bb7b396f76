"""Numbers as typed: one token (``0.2``, ``1/6``, ``-inf``) and one row of tokens.

Shared by inline vectors (:mod:`~xentcli.cli.calc.inputs`) and files
(:mod:`~xentcli.cli.calc.reader`), so both name a bad token the same way.
"""

from __future__ import annotations

import math
import re

from xentcli.errors import InputError

__all__ = ["MINUS", "SPECIAL", "count_values", "parse_number", "parse_row", "row_tokens"]

NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
SPECIAL = re.compile(r"[+-]?(?:inf|infinity|nan)", re.IGNORECASE)
# Typographic minus signs, as pasted from papers and slides.
MINUS = str.maketrans({"\u2212": "-", "\u2013": "-", "\ufe63": "-", "\uff0d": "-"})
_SLASH = re.compile(r"\s*/\s*")  # "1 / 6" is one fraction, not three tokens


def parse_number(token: str, name: str, where: str = "") -> float:
    """One number: decimal, scientific, ``inf``/``nan`` or a fraction ``a/b``.

    ``where`` says where the token sits, for the error message.

    >>> parse_number("1/6", "P")
    0.16666666666666666
    >>> parse_number("-2.5e-3", "Z")
    -0.0025
    """
    text = token.strip().translate(MINUS)
    if SPECIAL.fullmatch(text):
        return float(text)
    if NUMBER.fullmatch(text):
        return _finite(float(text), token, name, where)
    numerator, slash, denominator = text.partition("/")
    if slash and NUMBER.fullmatch(numerator.strip()) and NUMBER.fullmatch(denominator.strip()):
        bottom = float(denominator)
        if bottom == 0:
            raise InputError(f"{name}: {_quote(token)} divides by zero{where}")
        top = _finite(float(numerator), token, name, where)
        return _finite(top / _finite(bottom, token, name, where), token, name, where)
    raise InputError(f"{name}: {_quote(token)} is not a number{where}")


def _finite(value: float, token: str, name: str, where: str) -> float:
    """``value``, unless a written-out number overflowed (1e309 reads as inf).

    >>> _finite(1e308, "1e308", "P", "")
    1e+308
    """
    if math.isinf(value):
        raise InputError(
            f"{name}: {_quote(token)} is too large for a number{where}: "
            "the largest is about 1.8e308"
        )
    return value


def _quote(token: str) -> str:
    shown = token if len(token) <= 40 else token[:37] + "..."
    return repr(shown)


def row_tokens(row: str) -> list[str]:
    """Split one row on commas and whitespace; a trailing comma is allowed."""
    row = _SLASH.sub("/", row.strip())
    if row.endswith(","):
        row = row[:-1]
    if not row:
        return []
    tokens: list[str] = []
    for piece in row.split(","):
        parts = piece.split()
        # An empty piece between two commas is a missing value, not a separator.
        tokens.extend(parts if parts else [""])
    return tokens


def parse_row(tokens: list[str], name: str, where: str) -> list[float]:
    """Numbers of one row; ``where`` locates the row (``row 1, `` or ``@f.csv line 3, ``)."""
    out = []
    for i, token in enumerate(tokens):
        if token == "":
            raise InputError(f"{name}: empty value ({where}index {i}): two commas in a row?")
        out.append(parse_number(token, name, f" ({where}index {i})"))
    return out


def count_values(n: int) -> str:
    return f"{n} value" if n == 1 else f"{n} values"

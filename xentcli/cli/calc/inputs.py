"""Reading the calculator's vectors, in one place.

A vector argument (P, Q, TARGET, PRED, Z, and the per-class options) may be:

- typed inline: ``0.2,0.3,0.5``, ``"0.2 0.3 0.5"``, ``"[0.2, 0.3, 0.5]"``,
  with fractions (``1/6``), scientific notation (``1e-3``), signs and
  ``inf``/``-inf`` (the core decides where an infinity is allowed: only as a
  logit ``-inf``). Several rows: ``"0.2,0.8; 0.5,0.5"`` or
  ``"[[0.2, 0.8], [0.5, 0.5]]"``;
- ``@path``: a CSV, TSV or whitespace-separated text file (``#`` starts a
  comment, blank lines and a header line of names are skipped), or a ``.npy``
  array;
- ``-``: the same text format on standard input.

Rows are samples, columns are classes. A file with a single row reads as one
vector, like the same numbers typed inline. Files and streams are read by
:mod:`~xentcli.cli.calc.reader` (once, in blocks of rows).

Every problem raises :class:`InputError` naming the argument and the culprit,
e.g. ``PRED: 'abc' is not a number (index 1)``. Rows and positions count
from 0, as in the core's messages and ``--explain``; lines of a file from 1.

numpy is imported inside the functions: importing this module is free.

>>> parse_vector("1/4, 0.75", "P").values.tolist()
[0.25, 0.75]
>>> parse_vector("[[0.2, 0.8], [0.5, 0.5]]", "P").values.shape
(2, 2)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from xentcli.cli.calc.tokens import MINUS, count_values, parse_number, parse_row, row_tokens
from xentcli.errors import InputError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]

__all__ = [
    "Vector",
    "parse_number",
    "parse_vector",
    "target_for",
]

#: Inputs up to this many numbers are echoed back in ``--json`` output.
ECHO_LIMIT = 1000

_ROW_BREAK = re.compile(r"\]\s*,?\s*\[")


@dataclass(frozen=True)
class Vector:
    """A parsed vector argument.

    Attributes:
        name: the argument as the user knows it (``PRED``, ``--weights``).
        source: the text as typed (``0.2,0.3,0.5``, ``@data.csv``, ``-``).
        values: float64 array: 1-D for one vector, 2-D (rows, classes) for a batch,
            0-d for a lone number.
        lone: the input was a single number (a class index candidate).
        whole: the shape of the whole source when ``values`` holds one block of
            its rows (a large file computed block by block), else None.
    """

    name: str
    source: str
    values: FloatArray
    lone: bool = False
    whole: tuple[int, ...] | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of the whole input (not only of the block in hand)."""
        return self.whole if self.whole is not None else tuple(self.values.shape)

    @property
    def from_text(self) -> bool:
        """True when the numbers were typed on the command line."""
        return not (self.source.startswith("@") or self.source == "-")

    def echo(self) -> Any:
        """The input for ``--json``: its numbers, or its source and shape when large."""
        from xentcli.cli.calc.format import json_numbers

        if self.whole is None and (self.from_text or self.values.size <= ECHO_LIMIT):
            return json_numbers(self.values)
        return {"source": self.source, "shape": list(self.shape)}


# ------------------------------------------------------------------------- inline


def _inline_rows(text: str, name: str) -> list[str]:
    text = text.translate(MINUS).strip()
    if len(text) > 1 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]  # quotes that reached us literally (a script, another shell)
    _check_brackets(text, name)
    if text.startswith("[") or text.startswith("("):
        text = _ROW_BREAK.sub(";", text)
        text = text.replace("[", " ").replace("]", " ").replace("(", " ").replace(")", " ")
    # Blank lines and a leading or trailing ';' are layout; ';;' between rows is a typo.
    rows: list[str] = []
    for line in text.split("\n"):
        pieces = line.strip().strip(";").split(";")
        if len(pieces) > 1 and not all(piece.strip() for piece in pieces):
            raise InputError(f"{name}: empty row in {line.strip()!r}: two semicolons in a row?")
        rows.extend(piece for piece in pieces if piece.strip())
    return rows


def _check_brackets(text: str, name: str) -> None:
    """Brackets pair up and nest at most two deep (a row, or rows of a batch):
    '[0.5,0.5' or '[[[0.5]]]' would otherwise be read as something not typed.

    >>> _check_brackets("[[0.2, 0.8], [0.5, 0.5]]", "P")
    >>> _check_brackets("[0.5,0.5", "P")
    Traceback (most recent call last):
    xentcli.errors.InputError: P: a '[' is never closed: write ] after the numbers
    """
    closing = {"[": "]", "(": ")"}
    stack: list[str] = []
    for char in text:
        if char in closing:
            stack.append(char)
            if len(stack) > 2:
                raise InputError(f"{name}: brackets nest more than two deep; a batch is "
                                 "[[a, b], [c, d]]")
        elif char in ")]":
            if not stack or closing[stack.pop()] != char:
                raise InputError(f"{name}: a '{char}' closes nothing: check the brackets")
    if stack:
        raise InputError(f"{name}: a '{stack[-1]}' is never closed: write "
                         f"{closing[stack[-1]]} after the numbers")


def _parse_inline(text: str, name: str) -> Vector:
    import numpy as np

    rows = _inline_rows(text, name)
    if not rows:
        raise InputError(f"{name} is empty: give numbers like 0.2,0.3,0.5")
    parsed: list[list[float]] = []
    for r, row in enumerate(rows):
        where = f"row {r}, " if len(rows) > 1 else ""
        values = parse_row(row_tokens(row), name, where)
        if not values:
            if len(rows) == 1:
                raise InputError(f"{name} is empty: give numbers like 0.2,0.3,0.5")
            raise InputError(f"{name}: row {r} is empty")
        if parsed and len(values) != len(parsed[0]):
            raise InputError(
                f"{name}: row {r} has {count_values(len(values))} but row 0 has {len(parsed[0])}"
            )
        parsed.append(values)
    arr = np.array(parsed, dtype=np.float64)
    lone = arr.size == 1
    return Vector(name, text, arr[0] if arr.shape[0] == 1 else arr, lone)


# ------------------------------------------------------------------------- public


def parse_vector(text: str, name: str) -> Vector:
    """Parse a vector argument (inline numbers, ``@path`` or ``-``) into a :class:`Vector`.

    A file or stream with a single row gives a 1-D vector; with a single number,
    a lone value. Everything else keeps its rows.

    >>> parse_vector("-1,0,2", "Z").values.tolist()
    [-1.0, 0.0, 2.0]
    >>> parse_vector("2", "TARGET").lone
    True
    """
    if text.startswith("@") or text == "-":
        from xentcli.cli.calc.reader import read_source

        arr = read_source(text, name)
        if arr.ndim == 2 and arr.shape[0] == 1:
            arr = arr[0]
        return Vector(name, text, arr, arr.size == 1)
    return _parse_inline(text, name)


def target_for(target: Vector, pred: Vector) -> FloatArray:
    """The TARGET array to give the core, given PRED: distributions or class indices.

    A lone number with a multi-class PRED is a class index (a 0-d array); a
    one-column batch (``0;2;1`` or a file with one integer per row) with a
    multi-class PRED is one class index per row. Anything else goes as it is,
    and the core checks the shapes (and that indices are whole and in range).
    """
    values, classes = target.values, pred.values.shape[-1] if pred.values.ndim else 1
    if classes > 1:
        if target.lone and pred.values.ndim == 1:
            return values.reshape(())
        if values.ndim == 2 and values.shape[1] == 1 and pred.values.ndim == 2:
            return values[:, 0]
    return values

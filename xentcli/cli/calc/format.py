"""How the calculator writes numbers: for people, for scripts, for strict JSON.

A leaf module (numpy only): the inputs, the writers and ``--explain`` share it.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

__all__ = ["fmt", "json_numbers", "quiet_number", "singular"]


def fmt(value: Any, digits: int = 6) -> str:
    """A number for people: 6 significant digits, ``inf``, and ``0`` for zero.

    >>> [fmt(v) for v in (0.35667494393873245, 1.0, -0.0, 1e-9, float("-inf"))]
    ['0.356675', '1', '0', '1e-09', '-inf']
    """
    number = float(value)
    if math.isinf(number):
        return "inf" if number > 0 else "-inf"
    if number == 0:
        return "0"
    return f"{number:.{digits}g}"


_ONE_UNIT = re.compile(r"(?<![\w.])(-?1 (?:nat|bit|ban|base-\S+ unit))s\b")


def singular(text: str) -> str:
    """``1 bits`` reads as ``1 bit`` (also nats, bans, base-b units).

    >>> singular("2 bits, 1 bits, 0.1 bits")
    '2 bits, 1 bit, 0.1 bits'
    """
    return _ONE_UNIT.sub(r"\1", text)


def quiet_number(value: Any) -> str:
    """A number for scripts: the shortest text that ``float()`` reads back exactly.

    >>> [quiet_number(v) for v in (0.1, float("inf"), np.float32(0.5))]
    ['0.1', 'inf', '0.5']
    """
    return repr(float(value))


def json_numbers(values: Any) -> Any:
    """Numbers for strict JSON: whole numbers stay floats, infinities become strings.

    RFC 8259 has no Infinity or NaN, so they are written as the strings
    ``"Infinity"``, ``"-Infinity"`` and ``"NaN"`` (``float()`` reads them back).

    >>> json_numbers([1.0, float("inf"), -float("inf")])
    [1.0, 'Infinity', '-Infinity']
    """

    arr = np.asarray(values, dtype=np.float64)
    if np.isfinite(arr).all():
        out: Any = arr.tolist()
        return out
    # Only the few non-finite entries become strings; the rest stay numbers.
    mixed = arr.astype(object)
    mixed[np.isposinf(arr)] = "Infinity"
    mixed[np.isneginf(arr)] = "-Infinity"
    mixed[np.isnan(arr)] = "NaN"
    return mixed.tolist() if arr.ndim else mixed[()]

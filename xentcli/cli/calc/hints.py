"""Hints that name the likely mistake behind a calculator error or an odd result.

A hurried user makes a few slips often enough to recognise them from the
numbers alone:

- logits given as PRED without ``--logits``: a value outside [0, 1] cannot be
  a probability, and ``--normalize`` (what the core's message suggests) would
  give a meaningless number, so the error suggests ``--logits`` instead;
- TARGET and PRED swapped: a one-hot PRED under a soft TARGET makes the loss
  infinite, and neither ``--eps`` nor ``--logits`` would mend that;
- ``grad`` given probabilities where it reads logits.

(Numbers split by spaces into several arguments are caught while parsing, in
:mod:`~xentcli.cli.calc.group`.) Each function returns the message, or None
when the numbers do not point at the slip.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["grad_probabilities_note", "logits_hint", "swapped_note"]


def _short(value: float) -> str:
    return f"{value:.4g}"


def _where(shape: tuple[int, ...], flat: int, first_row: int) -> str:
    if len(shape) <= 1:
        return f"index {flat}"
    row, col = divmod(flat, shape[-1])
    return f"row {row + first_row}, index {col}"


#: Words of the core's messages about probabilities (not about shapes or numbers).
_ABOUT_PROBABILITIES = ("sums to", "negative", "above 1")


def logits_hint(name: str, values: Any, first_row: int = 0,
                message: str = "sums to") -> str | None:
    """The error for a prediction that holds logits: a value outside [0, 1].

    ``name`` is the argument (PRED, Q); ``first_row`` the number of the first
    row of ``values`` (a block of a large file). Only finite values count: an
    infinity or NaN has its own error. ``message`` is the core's error: only one
    about probabilities (a sum, a negative value, a value above 1) is replaced.

    >>> logits_hint("PRED", np.array([2.0, 1.0, 0.1]))
    'PRED looks like logits (index 0 is 2): add --logits'
    >>> logits_hint("PRED", np.array([0.2, 0.3, 0.4])) is None
    True
    """
    if not any(words in message for words in _ABOUT_PROBABILITIES):
        return None
    arr = np.asarray(values, dtype=np.float64)
    if arr.size == 0 or not np.isfinite(arr).all():
        return None
    outside = (arr < 0) | (arr > 1)
    if not outside.any():
        return _sum_above_one(name, arr, first_row)
    flat = int(np.flatnonzero(outside.reshape(-1))[0])
    value = float(arr.reshape(-1)[flat])
    where = _where(arr.shape, flat, first_row)
    return f"{name} looks like logits ({where} is {_short(value)}): add --logits"


def _sum_above_one(name: str, arr: Any, first_row: int) -> str | None:
    """Values in [0, 1] whose row sums to 1.5 or more: logits as likely as probabilities.

    (A row summing to less than 1 looks like probabilities with a class left
    out, a little over 1 like rounded probabilities: the core's own message,
    which suggests --normalize, fits those.)

    >>> _sum_above_one("PRED", np.array([0.9, 0.8, 0.1]), 0)
    'PRED sums to 1.8, not 1: logits? add --logits; else --normalize'
    """
    if arr.ndim == 0:
        return None
    sums = arr.sum(axis=-1).reshape(-1)
    off = np.flatnonzero(sums >= 1.5)
    if not off.size:
        return None
    row = int(off[0])
    where = f"row {row + first_row} " if arr.ndim > 1 else ""
    return (f"{name} {where}sums to {_short(float(sums[row]))}, not 1: logits? "
            "add --logits; else --normalize")


def _one_hot(values: Any) -> bool:
    arr = np.asarray(values)
    return bool(arr.size) and bool(((arr == 0) | (arr == 1)).all())


def _soft(values: Any) -> bool:
    arr = np.asarray(values)
    return bool(((arr > 0) & (arr < 1)).any())


def swapped_note(target_name: str, pred_name: str, target: Any, pred: Any,
                 example: str | None) -> str | None:
    """The note for an infinite result whose PRED is one-hot and TARGET is soft.

    ``example``: the command with the two vectors in the right order, when they
    were typed inline (a file name cannot be swapped for the user).

    >>> swapped_note("P", "Q", np.array([0.1, 0.9]), np.array([0.0, 1.0]), None)[:58]
    'the result is infinite: Q is one-hot and P is not, so they'
    """
    if np.ndim(target) < np.ndim(pred) or not (_one_hot(pred) and _soft(target)):
        return None
    note = (f"the result is infinite: {pred_name} is one-hot and {target_name} is not, "
            "so they look swapped: the true distribution comes first, then the prediction.")
    return note + (f" Try:\n{example}" if example else "")


def grad_probabilities_note(z: Any) -> str | None:
    """The note for ``grad`` given rows that already sum to 1 within [0, 1].

    >>> grad_probabilities_note(np.array([0.1, 0.2, 0.7])) is not None
    True
    >>> grad_probabilities_note(np.array([-1.0, 0.0, 2.0])) is None
    True
    """
    arr = np.asarray(z, dtype=np.float64)
    if arr.ndim == 0 or arr.shape[-1] < 2 or not np.isfinite(arr).all():
        return None
    if (arr < 0).any() or (arr > 1).any():
        return None
    if not (np.abs(arr.sum(axis=-1) - 1) <= 1e-6).all():
        return None
    return ("Z sums to 1 like probabilities, but grad reads Z as logits and applies "
            "softmax to it. If these are probabilities q, the gradient with respect "
            "to the logits is simply q - y.")

"""Softmax, log-softmax and log-sum-exp, computed without overflow or lost digits."""

from __future__ import annotations

from typing import Any

import numpy as np

from xentcli.core._blocks import (
    Prediction,
    log_norm,
    log_probs,
    run_blocks,
    sum_tolerance,
    transposed,
)
from xentcli.core._checks import (
    FloatArray,
    as_float_array,
    check_elementwise_logits,
    check_logits,
)
from xentcli.errors import InputError


def _rows(z: Any, axis: int) -> tuple[FloatArray, FloatArray]:
    """The logits with ``axis`` moved last, and as (N, K) rows.

    A 0-d ``z`` is one logit over one class (numpy's and torch's reading, with
    ``axis`` 0 or -1): softmax 1, log-softmax 0, log-sum-exp ``z`` itself.
    """
    raw = as_float_array(z, "Z", vector=False)
    if raw.ndim == 0:
        if axis not in (0, -1):
            raise InputError(f"axis {axis} is out of range for a single number")
        raw = raw.reshape(1)
    elif raw.shape[-1] == 0:
        raise InputError("Z is empty")
    arr = np.moveaxis(raw, axis, -1)
    if arr.shape[-1] == 0:
        raise InputError("Z is empty")
    return arr, arr.reshape(-1, arr.shape[-1])


def _log_softmax_rows(arr: FloatArray, z2: FloatArray, *, exponentiate: bool) -> FloatArray:
    out = np.empty_like(z2)
    tol = sum_tolerance(z2.shape[1], z2.dtype)

    def block(rows: slice) -> bool:
        t = transposed(z2, rows)
        if not log_probs(t, np.empty_like(t), Prediction(True, None, False, tol)):
            return False
        out[rows] = (np.exp(t, out=t) if exponentiate else t).T
        return True

    if not run_blocks(block, z2.shape[0], z2.shape[1]):
        check_logits(arr, "Z")
    return out.reshape(arr.shape)


def logsumexp(z: Any, axis: int = -1, keepdims: bool = False) -> Any:
    """``log(sum(exp(z)))`` along ``axis``, stably.

    Computed as ``m + log1p(sum(exp(z - m)) - 1)`` with ``m = max(z)``, so that
    nothing overflows and the result keeps full relative precision. A row whose
    logits are all -inf gives -inf (the log of an empty sum).

    Args:
        z: logits, any shape; -inf allowed, NaN and +inf are not. A single
            number is one logit: its log-sum-exp is itself.
        axis: the axis to reduce.
        keepdims: keep the reduced axis with size 1.

    Returns:
        ``z``'s shape without ``axis`` (or with size 1 there).

    >>> float(logsumexp([1000.0, 1000.0]))  # 1000 + ln 2, no overflow
    1000.6931471805599
    """
    arr, z2 = _rows(z, axis)
    scalar = np.ndim(z) == 0
    out = np.empty(z2.shape[0], dtype=z2.dtype)

    def block(rows: slice) -> bool:
        t = transposed(z2, rows)
        top = np.maximum.reduce(t, axis=0)
        empty = top == -np.inf  # all -inf: the sum of exponentials is 0, its log -inf
        top[empty] = 0
        if not np.isfinite(top).all():
            return False
        t -= top
        norm = log_norm(t, np.empty_like(t))
        norm += top
        norm[empty] = -np.inf
        out[rows] = norm
        return True

    if not run_blocks(block, z2.shape[0], z2.shape[1]):
        check_elementwise_logits(arr, "Z")
    result = out.reshape(arr.shape[:-1])
    if scalar:
        return result[()]
    if keepdims:
        result = np.expand_dims(result, axis)
    return result[()] if result.ndim == 0 else result


def log_softmax(z: Any, axis: int = -1) -> FloatArray:
    """``z - logsumexp(z)``: the log of the softmax, without computing the softmax.

    ``log(softmax(z))`` would round tiny probabilities to 0 and return -inf;
    this stays finite for finite logits, unless two of them differ by more than
    the largest float (about 1.8e308), where the difference itself overflows.

    Args:
        z: logits, any shape; -inf allowed (probability 0), NaN and +inf are not.
            A single number is one class: its log-softmax is 0 (0-d).
        axis: the class axis.

    Returns:
        Log-probabilities, ``z``'s shape.

    >>> log_softmax([0.0, 1000.0]).tolist()
    [-1000.0, 0.0]
    """
    arr, z2 = _rows(z, axis)
    out: FloatArray = np.moveaxis(_log_softmax_rows(arr, z2, exponentiate=False), -1, axis)
    shaped: FloatArray = out.reshape(np.shape(z))
    return shaped


def softmax(z: Any, axis: int = -1) -> FloatArray:
    """``exp(z_i) / sum_j exp(z_j)``, with the row maximum subtracted first.

    Subtracting ``max(z)`` leaves the result unchanged (softmax is invariant to
    a shift) and makes every exponent <= 0, so nothing overflows.

    Args:
        z: logits, any shape; -inf allowed (probability 0), NaN and +inf are not.
            A single number is one class: its softmax is 1 (0-d), as in numpy
            and torch. An axis of length 0 is refused ("Z is empty").
        axis: the class axis.

    Returns:
        Probabilities summing to 1 along ``axis``, ``z``'s shape.

    >>> softmax([1.0, 2.0, 3.0]).round(4).tolist()
    [0.09, 0.2447, 0.6652]
    """
    arr, z2 = _rows(z, axis)
    out: FloatArray = np.moveaxis(_log_softmax_rows(arr, z2, exponentiate=True), -1, axis)
    shaped: FloatArray = out.reshape(np.shape(z))
    return shaped

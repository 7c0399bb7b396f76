"""Softmax, log-softmax and log-sum-exp, computed without overflow or lost digits."""

from __future__ import annotations

from typing import Any

import numpy as np

from xentcli.core._checks import FloatArray, as_float_array, check_logits


def _shifted_and_log_norm(z: FloatArray, m: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Return ``z - m`` and ``log(sum(exp(z - m)))`` along the last axis (keepdims).

    ``m`` is the row maximum, so every ``exp(z - m)`` is at most 1 (no overflow)
    and the largest term is exactly 1. Adding that 1 before taking the log would
    round away the small rest when the top class dominates (z = [20, 0, 0] has
    log-sum-exp 20 + 4.1e-9), so the log is taken as ``log1p(rest)``, where
    ``rest`` sums every term but one copy of the maximum.
    """
    shifted = z - m
    terms = np.exp(shifted)
    is_max = shifted == 0
    ties = np.count_nonzero(is_max, axis=-1, keepdims=True)
    terms[is_max] = 0.0
    rest = terms.sum(axis=-1, keepdims=True)
    return shifted, np.log1p(rest + (ties - 1))


def logsumexp(z: Any, axis: int = -1, keepdims: bool = False) -> Any:
    """``log(sum(exp(z)))`` along ``axis``, stably.

    Computed as ``m + log1p(sum(exp(z - m)) - 1)`` with ``m = max(z)``, so that
    nothing overflows and the result keeps full relative precision. A row whose
    logits are all -inf gives -inf (the log of an empty sum).

    Args:
        z: logits, any shape; -inf allowed, NaN and +inf are not.
        axis: the axis to reduce.
        keepdims: keep the reduced axis with size 1.

    Returns:
        ``z``'s shape without ``axis`` (or with size 1 there).

    >>> float(logsumexp([1000.0, 1000.0]))  # 1000 + ln 2, no overflow
    1000.6931471805599
    """
    arr = np.moveaxis(as_float_array(z, "Z"), axis, -1)
    m = arr.max(axis=-1, keepdims=True)
    empty = m == -np.inf
    if empty.any():
        # All -inf: the sum of exponentials is 0 and its log is -inf.
        arr = np.where(empty, 0.0, arr)
        check_logits(arr, "Z")
        m = np.where(empty, 0.0, m)
    else:
        check_logits(arr, "Z")
    _, log_norm = _shifted_and_log_norm(arr, m)
    out = np.where(empty, -np.inf, m + log_norm)
    out = np.moveaxis(out, -1, axis) if keepdims else out[..., 0]
    return out[()] if out.ndim == 0 else out


def log_softmax_checked(z: FloatArray, name: str = "Z") -> FloatArray:
    """Validated log-softmax over the last axis of a float array."""
    m = check_logits(z, name)
    shifted, log_norm = _shifted_and_log_norm(z, m)
    shifted -= log_norm
    return shifted


def softmax_checked(z: FloatArray, name: str = "Z") -> FloatArray:
    m = check_logits(z, name)
    shifted = z - m
    e = np.exp(shifted)
    probs: FloatArray = e / e.sum(axis=-1, keepdims=True)
    return probs


def log_softmax(z: Any, axis: int = -1) -> FloatArray:
    """``z - logsumexp(z)``: the log of the softmax, without computing the softmax.

    ``log(softmax(z))`` would round tiny probabilities to 0 and return -inf;
    this stays finite for every finite logit.

    Args:
        z: logits, any shape; -inf allowed (probability 0), NaN and +inf are not.
        axis: the class axis.

    Returns:
        Log-probabilities, ``z``'s shape.

    >>> log_softmax([0.0, 1000.0]).tolist()
    [-1000.0, 0.0]
    """
    arr = np.moveaxis(as_float_array(z, "Z"), axis, -1)
    return np.moveaxis(log_softmax_checked(arr), -1, axis)


def softmax(z: Any, axis: int = -1) -> FloatArray:
    """``exp(z_i) / sum_j exp(z_j)``, with the row maximum subtracted first.

    Subtracting ``max(z)`` leaves the result unchanged (softmax is invariant to
    a shift) and makes every exponent <= 0, so nothing overflows.

    Args:
        z: logits, any shape; -inf allowed (probability 0), NaN and +inf are not.
        axis: the class axis.

    Returns:
        Probabilities summing to 1 along ``axis``, ``z``'s shape.

    >>> softmax([1.0, 2.0, 3.0]).round(4).tolist()
    [0.09, 0.2447, 0.6652]
    """
    arr = np.moveaxis(as_float_array(z, "Z"), axis, -1)
    return np.moveaxis(softmax_checked(arr), -1, axis)

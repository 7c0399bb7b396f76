"""Turning raw arguments into validated log-probabilities and targets.

Every measure goes through these few functions, so each rule (what a target
may look like, how ``eps`` clips, how a batch is reduced) lives in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from xentcli.core._checks import (
    FloatArray,
    Reduction,
    as_float_array,
    check_class_indices,
    check_class_weights,
    check_probabilities,
    format_shape,
    shape_mismatch,
)
from xentcli.core.softmax import log_softmax_checked, softmax_checked
from xentcli.errors import InputError


def times_where(coef: FloatArray, values: FloatArray) -> FloatArray:
    """``coef * values``, but exactly 0 wherever ``coef`` is 0.

    This is the 0 * log 0 = 0 convention: a class with no target mass adds
    nothing, even when its log-probability is -inf.
    """
    out = np.zeros(np.broadcast_shapes(coef.shape, values.shape), dtype=values.dtype)
    np.multiply(coef, values, out=out, where=coef != 0)
    return out


def safe_log(p: FloatArray) -> FloatArray:
    """``log(p)`` with ``log(0) = -inf`` and no divide-by-zero warning."""
    out = np.full_like(p, -np.inf)
    np.log(p, out=out, where=p > 0)
    return out


def log_prediction(
    pred: Any,
    name: str,
    *,
    from_logits: bool,
    eps: float | None,
    normalize: bool,
) -> FloatArray:
    """Validated log-probabilities of a prediction (probabilities or logits).

    Logits go through log-softmax (never ``log(softmax)``); ``eps`` clips the
    probabilities to ``[eps, 1 - eps]`` only when it is given.
    """
    arr = as_float_array(pred, name)
    if from_logits:
        if normalize:
            raise InputError("--normalize applies to probabilities, not to logits")
        if eps is None:
            return log_softmax_checked(arr, name)
        probs = softmax_checked(arr, name)
    else:
        probs = check_probabilities(arr, name, distribution=True, normalize=normalize)
        if eps is None:
            return safe_log(probs)
    return np.log(np.clip(probs, eps, 1 - eps))


@dataclass(frozen=True)
class Target:
    """A validated target: class indices, or a dense distribution per row."""

    indices: npt.NDArray[np.intp] | None
    dense: FloatArray | None
    k: int

    def as_dense(self, dtype: np.dtype[Any], label_smoothing: float = 0.0) -> FloatArray:
        """The target distribution, smoothed as ``(1 - eps) * y + eps / K``."""
        if self.dense is not None:
            y = self.dense.astype(dtype, copy=False)
        else:
            assert self.indices is not None
            y = np.zeros((*self.indices.shape, self.k), dtype=dtype)
            np.put_along_axis(y, self.indices[..., None], 1.0, axis=-1)
        if label_smoothing:
            y = (1 - label_smoothing) * y + label_smoothing / self.k
        return y


def parse_target(
    target: Any,
    pred_shape: tuple[int, ...],
    *,
    normalize: bool,
    name: str = "TARGET",
    pred_name: str = "PRED",
) -> Target:
    """A distribution of the prediction's shape, or class indices without its last axis."""
    k = pred_shape[-1]
    shape = np.shape(target)
    if shape == pred_shape:
        arr = as_float_array(target, name)
        dense = check_probabilities(arr, name, distribution=True, normalize=normalize)
        return Target(None, dense, k)
    if shape == pred_shape[:-1]:
        return Target(check_class_indices(target, k, name), None, k)
    if len(shape) == len(pred_shape):
        raise InputError(shape_mismatch(name, shape, pred_name, pred_shape))
    raise InputError(
        f"{name} has shape {format_shape(shape)} but {pred_name} has shape "
        f"{format_shape(pred_shape)}: give a distribution of the same shape or class "
        f"indices of shape {format_shape(pred_shape[:-1])}"
    )


def class_weights(
    weights: Any, k: int, dtype: np.dtype[Any], what: str = "weights"
) -> FloatArray | None:
    return None if weights is None else check_class_weights(weights, k, dtype, what)


def reduce_rows(
    per_row: FloatArray, reduction: Reduction, weight_mass: FloatArray | None = None
) -> Any:
    """Reduce per-row values: ``none``, ``sum``, or ``mean``.

    The mean is weighted by ``weight_mass`` (the target's weight per row) when
    class weights are used, so with class-index targets it is the weighted mean
    ``sum(l_n) / sum(w[y_n])`` that torch uses.
    """
    if reduction == "none":
        out = per_row
    elif reduction == "sum":
        out = per_row.sum()
    elif weight_mass is None:
        out = per_row.mean() if per_row.size else per_row.sum()
    else:
        total = weight_mass.sum()
        if total == 0:
            raise InputError("the weighted mean is undefined: the targets' weights sum to 0")
        out = per_row.sum() / total
    return finish(np.asarray(out))


def finish(out: FloatArray) -> Any:
    """A 0-d result becomes a numpy scalar (a float, for float64); arrays stay arrays."""
    return out[()] if out.ndim == 0 else out

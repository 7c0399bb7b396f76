"""Targets, diagnostics and reductions shared by every measure.

Each rule (what a target may look like, how a batch is reduced, which message a
bad prediction gets) lives here once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from xentcli.core._blocks import distribution_ok, transposed
from xentcli.core._checks import (
    FloatArray,
    Reduction,
    as_float_array,
    check_class_indices,
    check_class_weights,
    check_logits,
    check_probabilities,
    format_shape,
    shape_mismatch,
)
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


def refuse_normalized_logits(from_logits: bool, normalize: bool) -> None:
    if from_logits and normalize:
        raise InputError("--normalize applies to probabilities, not to logits")


def diagnose_prediction(arr: FloatArray, name: str, *, from_logits: bool, normalize: bool) -> None:
    """Raise the precise error for a prediction a block found invalid (if it is the culprit)."""
    if from_logits:
        check_logits(arr, name)
    else:
        check_probabilities(arr, name, distribution=True, normalize=normalize)


@dataclass(frozen=True)
class Target:
    """A target, flattened to rows: class indices (N,) or distributions (N, K)."""

    labels: npt.NDArray[np.intp] | None
    dense: FloatArray | None
    k: int
    name: str

    def block(
        self, rows: slice, dtype: np.dtype[Any], smoothing: float, tol: float, normalize: bool
    ) -> FloatArray | None:
        """The (K, C) target block, smoothed as ``(1 - eps) y + eps / K``; None if invalid."""
        if self.labels is not None:
            labels = self.labels[rows]
            y = np.full((self.k, labels.size), smoothing / self.k, dtype=dtype)
            y[labels, np.arange(labels.size)] += 1 - smoothing
            return y
        assert self.dense is not None
        y = transposed(self.dense, rows).astype(dtype, copy=False)
        if not distribution_ok(y, tol, normalize):
            return None
        if smoothing:
            y *= 1 - smoothing
            y += smoothing / self.k
        return y

    def diagnose(self, normalize: bool) -> None:
        if self.dense is not None:
            check_probabilities(self.dense, self.name, distribution=True, normalize=normalize)


def parse_target(
    target: Any,
    pred_shape: tuple[int, ...],
    *,
    name: str = "TARGET",
    pred_name: str = "PRED",
) -> Target:
    """A distribution of the prediction's shape, or class indices without its last axis.

    Class indices are checked here (two cheap reductions); distributions are
    checked block by block, where their rows are summed anyway.
    """
    k = pred_shape[-1]
    shape = np.shape(target)
    if shape == pred_shape:
        dense = as_float_array(target, name).reshape(-1, k)
        return Target(None, dense, k, name)
    if shape == pred_shape[:-1]:
        return Target(check_class_indices(target, k, name).reshape(-1), None, k, name)
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
    per_row: FloatArray,
    reduction: Reduction,
    ln_base: float,
    weight_mass: FloatArray | None = None,
) -> Any:
    """Reduce per-row values in nats (``none``, ``sum`` or ``mean``), then convert to the base.

    ``per_row`` is the caller's own buffer: with ``none`` it is rescaled in place.
    The mean is weighted by ``weight_mass`` (the target's weight per row) when
    class weights are used, so with class-index targets it is the weighted mean
    ``sum(l_n) / sum(w[y_n])`` that torch uses.
    """
    if reduction == "none":
        if ln_base != 1:
            per_row /= ln_base
        return finish(per_row)
    if reduction == "sum":
        out = per_row.sum()
    elif weight_mass is None:
        out = per_row.mean()
    else:
        total = weight_mass.sum()
        if total == 0:
            raise InputError("the weighted mean is undefined: the targets' weights sum to 0")
        out = per_row.sum() / total
    return finish(np.asarray(out / ln_base), per_row.dtype)


def finish(out: FloatArray, dtype: np.dtype[Any] | None = None) -> Any:
    """A 0-d result becomes a numpy scalar (a float, for float64); arrays stay arrays.

    ``dtype`` is the input's: numpy 1.x turns a float32 scalar divided by a
    Python float into float64 (numpy 2 keeps float32), so a reduced value is
    cast back to it.
    """
    if dtype is not None and out.dtype != dtype:
        out = out.astype(dtype)
    return out[()] if out.ndim == 0 else out

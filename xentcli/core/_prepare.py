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
    position,
    power_of_2_scaled,
    shape_mismatch,
    to_dtype,
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
    """A target, flattened to rows: class indices (N,) or distributions (N, K).

    ``ignored`` marks the rows whose class index was ``ignore_index`` (their
    label is replaced by 0 so that the kernels can run; the caller drops them).
    ``shape`` is the target's own shape, so that a message about one typed
    vector says ``index 2``, not ``index [0, 2]`` of the rows.
    """

    labels: npt.NDArray[np.intp] | None
    dense: FloatArray | None
    k: int
    name: str
    ignored: npt.NDArray[np.bool_] | None = None
    shape: tuple[int, ...] | None = None

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
            dense = self.dense if self.shape is None else self.dense.reshape(self.shape)
            check_probabilities(dense, self.name, distribution=True, normalize=normalize)


def parse_target(
    target: Any,
    pred_shape: tuple[int, ...],
    *,
    name: str = "TARGET",
    pred_name: str = "PRED",
    ignore_index: int | None = None,
) -> Target:
    """A distribution of the prediction's shape, or class indices without its last axis.

    Class indices are checked here (two cheap reductions); distributions are
    checked block by block, where their rows are summed anyway. With
    ``ignore_index`` (class indices only), rows whose index is that value are
    marked as ignored; the value may lie outside ``[0, K)`` (torch's -100).
    """
    k = pred_shape[-1]
    shape = np.shape(target)
    ignore = check_ignore_index(ignore_index)
    if shape == pred_shape:
        if ignore is not None:
            raise InputError(
                "ignore index applies to class-index targets, not to distributions"
            )
        dense = as_float_array(target, name).reshape(-1, k)
        return Target(None, dense, k, name, shape=shape)
    if shape == pred_shape[:-1]:
        if ignore is None:
            return Target(check_class_indices(target, k, name).reshape(-1), None, k, name)
        raw = np.asarray(target)
        if raw.dtype.kind not in "biuf":
            raise InputError(f"{name} class indices must be whole numbers")
        ignored = (raw == ignore).reshape(-1)
        kept = np.where(ignored.reshape(raw.shape), 0, raw)
        labels = check_class_indices(kept, k, name).reshape(-1)
        return Target(labels, None, k, name, ignored if ignored.any() else None)
    if len(shape) == len(pred_shape):
        raise InputError(shape_mismatch(name, shape, pred_name, pred_shape))
    raise InputError(
        f"{name} has shape {format_shape(shape)} but {pred_name} has shape "
        f"{format_shape(pred_shape)}: give a distribution of the same shape or class "
        f"indices of shape {format_shape(pred_shape[:-1])}"
    )


def check_ignore_index(ignore_index: Any) -> int | None:
    if ignore_index is None:
        return None
    try:
        whole = not isinstance(ignore_index, (bool, np.bool_)) and float(ignore_index).is_integer()
    except (TypeError, ValueError, OverflowError):
        whole = False
    if not whole:
        raise InputError(f"ignore index must be a whole number; got {ignore_index!r}")
    return int(ignore_index)


def check_sample_weights(
    sample_weights: Any, shape: tuple[int, ...], dtype: np.dtype[Any], *, scale: bool = False
) -> FloatArray | None:
    """One finite weight >= 0 per row (``shape`` is the batch shape), flattened.

    The weights are importance: a negative one is refused, as for class weights.
    ``scale``: divided by a power of 2 so that the largest is <= 1 (for a mean).
    """
    if sample_weights is None:
        return None
    s = as_float_array(sample_weights, "sample weights", vector=False)
    if s.shape != shape:
        raise InputError(
            f"sample weights must have shape {format_shape(shape)}, one per row; "
            f"got shape {format_shape(s.shape)}"
        )
    bad = ~np.isfinite(s) | (s < 0)
    if bad.any():
        flat = int(np.flatnonzero(bad)[0])
        value = float(s.reshape(-1)[flat])
        where = f" at {position(s.shape, flat)}" if s.ndim else ""
        raise InputError(f"sample weights must be finite and >= 0; got {value:.10g}{where}")
    return to_dtype(power_of_2_scaled(s) if scale else s, dtype).reshape(-1)


def scaled_down(weights: FloatArray | None) -> FloatArray | None:
    """:func:`power_of_2_scaled`, passing None through."""
    return None if weights is None else power_of_2_scaled(weights)


def class_weights(
    weights: Any, k: int, dtype: np.dtype[Any], what: str = "weights", *, scale: bool = False
) -> FloatArray | None:
    if weights is None:
        return None
    return check_class_weights(weights, k, dtype, what, scale=scale)


def reduce_rows(
    per_row: FloatArray,
    reduction: Reduction,
    ln_base: float,
    weight_mass: FloatArray | None = None,
    sample_weights: FloatArray | None = None,
    ignored: npt.NDArray[np.bool_] | None = None,
) -> Any:
    """Reduce per-row values in nats (``none``, ``sum`` or ``mean``), then convert to the base.

    ``per_row`` is the caller's own buffer (its shape is the batch shape): it is
    rescaled in place. Rows are scaled by their ``sample_weights`` ``s_n``
    (a weight of exactly 0, like an ``ignored`` row, contributes 0 even where
    its loss is infinite). The mean is ``sum_n s_n l_n / sum_n s_n m_n`` where
    ``m_n`` is the row's class-weight mass (``weight_mass``, 1 without class
    weights): with class indices and class weights ``sum_n l_n / sum_n w[y_n]``,
    as torch computes it; with sample weights sklearn's ``sample_weight`` mean.
    """
    flat = per_row.reshape(-1)
    row_scale = mean_weights(len(flat), per_row.dtype, sample_weights, ignored)
    if row_scale is not None:
        if reduction == "mean":
            row_scale = scaled_down(row_scale)
        assert row_scale is not None
        np.multiply(flat, row_scale, out=flat, where=row_scale != 0)
        flat[row_scale == 0] = 0
    if reduction == "none":
        return finish(in_base(per_row, ln_base))
    if reduction == "sum":
        out = sum_over(flat, 1.0)
    else:
        mass = weight_mass.reshape(-1) if weight_mass is not None else None
        if row_scale is not None:
            mass = row_scale if mass is None else row_scale * mass
        if mass is None:
            if flat.size == 0:
                raise InputError("the mean of 0 rows is undefined (use --reduction sum)")
            out = sum_over(flat, flat.size)
        else:
            total = mass.sum()
            if total == 0:
                raise InputError(_no_mass(ignored, sample_weights, weight_mass))
            out = sum_over(flat, total)
    return finish(np.asarray(in_base(out, ln_base)), per_row.dtype)


def sum_over(values: FloatArray, denominator: Any) -> Any:
    """``sum(values) / denominator``, also where the sum alone overflows.

    1e308 + 1e308 is inf, but their mean is 1e308: when the plain sum overflows
    while every value is finite, the values are summed scaled by the largest
    one. A result beyond the largest float is inf, quietly (it is the right
    float, not an accident).
    """
    with np.errstate(over="ignore", invalid="ignore"):
        total = values.sum()
        if np.isinf(total) and values.size and np.isfinite(values).all():
            top = np.abs(values).max()
            return (values / top).sum() * (top / denominator)
        return total / denominator if denominator != 1 else total


def in_base(values: Any, ln_base: float) -> Any:
    """Natural-log values divided by ``ln(base)``, in place for arrays.

    A base near 1 has a tiny ``ln(base)``; a value beyond the largest float in
    that unit is inf (the right float), without a warning.
    """
    if ln_base == 1:
        return values
    with np.errstate(over="ignore"):
        if isinstance(values, np.ndarray) and values.ndim:
            values /= ln_base
            return values
        return values / ln_base


def mean_weights(
    n: int,
    dtype: np.dtype[Any],
    sample_weights: FloatArray | None,
    ignored: npt.NDArray[np.bool_] | None,
) -> FloatArray | None:
    """Each row's weight in the mean: its sample weight, 0 where ignored; None: all 1."""
    if ignored is None:
        return sample_weights
    keep = (~ignored).astype(dtype)
    return keep if sample_weights is None else np.where(ignored, 0, sample_weights)


def _no_mass(
    ignored: npt.NDArray[np.bool_] | None,
    sample_weights: FloatArray | None,
    weight_mass: FloatArray | None,
) -> str:
    if ignored is not None and ignored.all():
        return "the mean is undefined: every row's target is the ignore index"
    if sample_weights is not None and not sample_weights.any():
        return "the weighted mean is undefined: the sample weights sum to 0"
    if weight_mass is None and sample_weights is None:
        return "the mean is undefined: every row is ignored"
    return "the weighted mean is undefined: the targets' weights sum to 0"


def finish(out: FloatArray, dtype: np.dtype[Any] | None = None) -> Any:
    """A 0-d result becomes a numpy scalar (a float, for float64); arrays stay arrays.

    ``dtype`` is the input's: numpy 1.x turns a float32 scalar divided by a
    Python float into float64 (numpy 2 keeps float32), so a reduced value is
    cast back to it.
    """
    if dtype is not None and out.dtype != dtype:
        out = out.astype(dtype)
    return out[()] if out.ndim == 0 else out

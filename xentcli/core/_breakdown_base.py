"""What every breakdown shares: the :class:`Breakdown` record, the display helpers,
and the reduction of a breakdown's rows. The breakdowns themselves are in
:mod:`xentcli.core.breakdown`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from xentcli.core._blocks import Trace
from xentcli.core._checks import FloatArray, check_probabilities
from xentcli.core.softmax import softmax


@dataclass(frozen=True)
class Breakdown:
    """The working of one measure; arrays are (rows, classes) unless noted.

    Attributes:
        measure: ``entropy``, ``cross-entropy``, ``kl``, ``bce``, ``focal``,
            ``softmax`` or ``grad``.
        unit: ``nats``, ``bits``, ``bans`` or ``base-b units`` ("" for softmax).
        ln_base: natural log of the base; terms are natural-log terms divided by it.
        value: the measure's own result (reduced as asked).
        terms: each class's contribution in the unit; a row's terms sum to its value.
            For ``grad`` the gradient itself; for ``softmax`` the probabilities.
        rows: per-row values, shape (rows,).
        target: the target as used: one-hot for a class index, then smoothed
            (P for entropy and KL, labels for BCE).
        raw_target: the target before smoothing (None when nothing changed it).
        labels: the class indices when the target was given as indices, shape (rows,).
        logits: the logits when the prediction was given as logits.
        prob: the predicted probabilities as used: after softmax (or sigmoid), and clipping.
        log_prob: natural log of ``prob`` (computed from the logits directly when there
            are logits and no clipping, so it stays finite where ``prob`` underflows).
        weights: per-class weights (cross-entropy), alpha (focal) or pos weight (BCE),
            broadcast to (classes,).
        factor: the focal modulating factor ``(1 - q)^gamma``.
        row_weight: each row's weight in a weighted mean (cross-entropy with weights).
        reference: for KL, the rows' entropy H(P) and cross-entropy H(P, Q) in the unit,
            shape (2, rows); for BCE the positive and negative parts, shape (2, rows, classes).
        batch_shape: the leading (batch) shape of the input, () for one vector.
        sample_weight: each row's sample weight (``sample_weights=``), shape (rows,);
            ``terms`` and ``rows`` are before it, the reduction applies it.
        ignored: the rows whose target was ``ignore_index`` (their terms and row
            values are 0 and they leave the mean), shape (rows,).
    """

    measure: str
    unit: str
    ln_base: float
    value: Any
    terms: FloatArray
    rows: FloatArray
    target: FloatArray | None = None
    raw_target: FloatArray | None = None
    labels: npt.NDArray[np.intp] | None = None
    logits: FloatArray | None = None
    prob: FloatArray | None = None
    log_prob: FloatArray | None = None
    weights: FloatArray | None = None
    factor: FloatArray | None = None
    row_weight: FloatArray | None = None
    reference: FloatArray | None = None
    batch_shape: tuple[int, ...] = ()
    sample_weight: FloatArray | None = None
    ignored: npt.NDArray[np.bool_] | None = None


def log_name(ln_base: float) -> str:
    """How the log of a base is written: ``ln``, ``log2``, ``log10`` or ``log_3``.

    >>> [log_name(math.log(b)) for b in (math.e, 2, 10, 3)]
    ['ln', 'log2', 'log10', 'log_3']
    """
    if ln_base == 1.0:
        return "ln"
    base = math.exp(ln_base)
    for named in (2, 10):
        if math.isclose(base, named, rel_tol=1e-12):
            return f"log{named}"
    return f"log_{base:.15g}"


def rows2(x: Any) -> FloatArray:
    arr = np.asarray(x, dtype=np.float64)
    return arr.reshape(-1, arr.shape[-1]) if arr.ndim else arr.reshape(1, 1)


def prediction(
    pred: Any, *, from_logits: bool, eps: float | None, normalize: bool
) -> tuple[FloatArray | None, FloatArray]:
    """(logits or None, q) for a validated prediction, as (rows, classes): the
    probabilities as the user reads them (softmax, normalization, clipping)."""
    if from_logits:
        z = rows2(pred)
        q = rows2(softmax(z))
        return z, q if eps is None else np.clip(q, eps, 1 - eps)
    q = rows2(pred)
    if normalize:
        # The core's own rescaling: a row like 1e308,1e308,0 is scaled by its
        # largest entry first (its plain sum overflows, and q / inf shows zeros).
        q = check_probabilities(q, "PRED", distribution=True, normalize=True)
    return None, q if eps is None else np.clip(q, eps, 1 - eps)


def is_indices(target: Any, pred_shape: tuple[int, ...]) -> bool:
    return bool(np.shape(target) == pred_shape[:-1] and np.shape(target) != pred_shape)


def reduce_values(rows: FloatArray, reduction: str, mass: FloatArray | None = None) -> Any:
    if reduction == "none":
        return rows
    if reduction == "sum":
        return rows.sum()
    if mass is not None:
        return rows.sum() / mass.sum()
    return rows.mean()


def unit_of(values: FloatArray | None, ln_base: float) -> FloatArray:
    """Natural-log values in the unit, as float64 (rows, classes); no -0.0."""
    assert values is not None  # the measure recorded it
    with np.errstate(over="ignore"):  # beyond the largest float in a base near 1: inf
        converted: FloatArray = np.asarray(values, np.float64) / ln_base + 0.0
    return converted


def recorded(trace: Trace, name: str) -> FloatArray:
    values = getattr(trace, name)
    assert values is not None, name  # the measure records it
    return np.asarray(values, np.float64)


def weights_of(sample_weights: Any) -> FloatArray | None:
    """Validated sample weights (the measure checked them) as float64 rows."""
    return None if sample_weights is None else np.asarray(sample_weights, np.float64).reshape(-1)


def ignored_rows(
    target: Any, pred_shape: tuple[int, ...], ignore_index: int | None
) -> npt.NDArray[np.bool_] | None:
    if ignore_index is None or not is_indices(target, pred_shape):
        return None
    ignored = np.asarray(target).reshape(-1) == ignore_index
    return ignored if ignored.any() else None


def raw_target(
    target: Any, pred_shape: tuple[int, ...], n: int, k: int, smoothing: float, normalize: bool
) -> tuple[FloatArray | None, npt.NDArray[np.intp] | None]:
    """The target before smoothing (None without smoothing), and the class indices."""
    labels = None
    if is_indices(target, pred_shape):
        labels = np.asarray(target).reshape(-1).astype(np.intp)
    if not smoothing:
        return None, labels
    if labels is not None:
        y: FloatArray = np.zeros((n, k))
        inside = (labels >= 0) & (labels < k)  # an ignore index may lie outside
        y[np.flatnonzero(inside), labels[inside]] = 1.0
        return y, labels
    y = rows2(target)
    return (y / y.sum(axis=-1, keepdims=True) if normalize else y), None


def element_weights(
    sample_weights: Any, pred_shape: tuple[int, ...], rows_shape: tuple[int, ...]
) -> FloatArray | None:
    """Binary losses: one weight per element (rows, labels) or per row (rows,)."""
    if sample_weights is None:
        return None
    s = np.asarray(sample_weights, np.float64)
    return s.reshape(rows_shape) if s.shape == pred_shape else s.reshape(-1)


def reduce_rows(b: Breakdown, reduction: str) -> Any:
    """Reduce a breakdown's rows the way its measure does (for checks and explanations).

    Sample weights scale the rows; ignored rows leave the mean's denominator.

    >>> from xentcli.core.breakdown import cross_entropy_breakdown
    >>> b = cross_entropy_breakdown([0, 1], [[0.5, 0.5], [0.5, 0.5]])
    >>> round(float(reduce_rows(b, "mean")), 6)
    0.693147
    """
    rows = b.rows
    if b.measure == "js" and b.reference is not None:
        rows = b.reference  # the distances, the square roots of the rows
    keep = None if b.ignored is None else (~b.ignored).astype(np.float64)
    s = b.sample_weight if keep is None else keep if b.sample_weight is None else (
        keep * b.sample_weight
    )
    if b.measure in ("bce", "sigmoid-focal"):
        # one weight per row (rows,) or per element (rows, labels)
        per = None if s is None else (s if s.ndim == 2 else s[:, None])
        sb = None if per is None else np.broadcast_to(per, b.terms.shape)
        elements = b.terms if sb is None else b.terms * sb
        if reduction == "none":
            return elements
        total = elements.sum()
        if reduction == "sum":
            return total
        return total / (b.terms.size if sb is None else sb.sum())
    mass = b.row_weight if b.measure == "cross-entropy" else None
    if s is not None:
        rows = rows * s
        mass = s if mass is None else mass * s
    return reduce_values(rows, reduction, mass)

"""Per-class breakdowns of each measure: the numbers behind a worked solution.

A breakdown is a thin layer over the measures' own kernels. Each function
calls the measure inside :func:`~xentcli.core._blocks.tracing`, so the same
call validates the input (errors read exactly the same), gives the result, and
has its blocks record their working: the per-class terms (the very numbers
each row sums), each row's value, the log-probabilities and the target as
used (one-hot, smoothed, normalized) and the focal factor. Nothing of that is
computed twice. What is added here is for display only and derived from the
input or from those records: the prediction as the user reads it (after
softmax, normalization and clipping), the target before smoothing, BCE's
positive and negative parts, KL's H(P) and H(P, Q), and the softmax's shifted
exponentials. Values are converted to the requested unit at the end.

These are meant for display (tables, ``--explain``) of a few rows, not for large
batches: they keep several full-size arrays.

>>> b = cross_entropy_breakdown([1, 0, 0], [0.7, 0.2, 0.1])
>>> b.terms.round(6).tolist()
[[0.356675, 0.0, 0.0]]
>>> float(b.value) == float(b.terms.sum())
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from xentcli.core._blocks import Trace, tracing
from xentcli.core._checks import Base, FloatArray, resolve_base
from xentcli.core._prepare import safe_log, times_where
from xentcli.core.binary import binary_cross_entropy
from xentcli.core.information import cross_entropy, entropy, kl_divergence
from xentcli.core.losses import cross_entropy_grad, focal_loss
from xentcli.core.softmax import log_softmax, softmax

__all__ = [
    "Breakdown",
    "bce_breakdown",
    "cross_entropy_breakdown",
    "entropy_breakdown",
    "focal_breakdown",
    "grad_breakdown",
    "kl_breakdown",
    "log_name",
    "reduce_rows",
    "softmax_breakdown",
]


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


# ------------------------------------------------------------------------ helpers


def _rows2(x: Any) -> FloatArray:
    arr = np.asarray(x, dtype=np.float64)
    return arr.reshape(-1, arr.shape[-1]) if arr.ndim else arr.reshape(1, 1)


def _prediction(
    pred: Any, *, from_logits: bool, eps: float | None, normalize: bool
) -> tuple[FloatArray | None, FloatArray]:
    """(logits or None, q) for a validated prediction, as (rows, classes): the
    probabilities as the user reads them (softmax, normalization, clipping)."""
    if from_logits:
        z = _rows2(pred)
        q = _rows2(softmax(z))
        return z, q if eps is None else np.clip(q, eps, 1 - eps)
    q = _rows2(pred)
    if normalize:
        q = q / q.sum(axis=-1, keepdims=True)
    return None, q if eps is None else np.clip(q, eps, 1 - eps)


def _is_indices(target: Any, pred_shape: tuple[int, ...]) -> bool:
    return bool(np.shape(target) == pred_shape[:-1] and np.shape(target) != pred_shape)


def _reduce(rows: FloatArray, reduction: str, mass: FloatArray | None = None) -> Any:
    if reduction == "none":
        return rows
    if reduction == "sum":
        return rows.sum()
    if mass is not None:
        return rows.sum() / mass.sum()
    return rows.mean()


# ----------------------------------------------------------------------- measures


def _unit(values: FloatArray | None, ln_base: float) -> FloatArray:
    """Natural-log values in the unit, as float64 (rows, classes); no -0.0."""
    assert values is not None  # the measure recorded it
    with np.errstate(over="ignore"):  # beyond the largest float in a base near 1: inf
        converted: FloatArray = np.asarray(values, np.float64) / ln_base + 0.0
    return converted


def _f64(values: FloatArray | None) -> FloatArray | None:
    return None if values is None else np.asarray(values, np.float64)


def _recorded(trace: Trace, name: str) -> FloatArray:
    values = getattr(trace, name)
    assert values is not None, name  # the measure records it
    return np.asarray(values, np.float64)


def entropy_breakdown(
    p: Any, *, base: Base = "e", normalize: bool = False, reduction: str = "mean"
) -> Breakdown:
    """Terms ``-p_i log p_i`` of :func:`~xentcli.core.entropy`.

    >>> entropy_breakdown([0.5, 0.5], base=2).terms.tolist()
    [[0.5, 0.5]]
    """
    with tracing() as trace:
        value = entropy(p, base=base, normalize=normalize, reduction=reduction)
    ln_base, unit = resolve_base(base)
    return Breakdown(
        "entropy", unit, ln_base, value, _unit(trace.terms, ln_base), _unit(trace.rows, ln_base),
        target=_recorded(trace, "target"), batch_shape=np.shape(p)[:-1],
    )


def cross_entropy_breakdown(
    target: Any,
    pred: Any,
    *,
    base: Base = "e",
    from_logits: bool = False,
    weights: Any = None,
    label_smoothing: float = 0.0,
    eps: float | None = None,
    normalize: bool = False,
    reduction: str = "mean",
) -> Breakdown:
    """Terms ``-w_i y_i log q_i`` of :func:`~xentcli.core.cross_entropy`.

    >>> b = cross_entropy_breakdown(0, [0.5, 0.5], label_smoothing=0.2)
    >>> b.target.tolist(), b.raw_target.tolist()
    ([[0.9, 0.1]], [[1.0, 0.0]])
    """
    with tracing() as trace:
        value = cross_entropy(
            target, pred, base=base, from_logits=from_logits, weights=weights,
            label_smoothing=label_smoothing, eps=eps, normalize=normalize, reduction=reduction,
        )
    ln_base, unit = resolve_base(base)
    shape = np.shape(pred)
    z, q = _prediction(pred, from_logits=from_logits, eps=eps, normalize=normalize)
    n, k = q.shape
    y = _recorded(trace, "target")
    raw, labels = _raw_target(target, shape, n, k, label_smoothing, normalize)
    w = None if weights is None else np.broadcast_to(np.asarray(weights, np.float64), (k,))
    return Breakdown(
        "cross-entropy", unit, ln_base, value, _unit(trace.terms, ln_base),
        _unit(trace.rows, ln_base), target=y, raw_target=raw, labels=labels, logits=z, prob=q,
        log_prob=_recorded(trace, "log_prob"), weights=w,
        row_weight=None if w is None else y @ w, batch_shape=shape[:-1],
    )


def _raw_target(
    target: Any, pred_shape: tuple[int, ...], n: int, k: int, smoothing: float, normalize: bool
) -> tuple[FloatArray | None, npt.NDArray[np.intp] | None]:
    """The target before smoothing (None without smoothing), and the class indices."""
    labels = None
    if _is_indices(target, pred_shape):
        labels = np.asarray(target).reshape(-1).astype(np.intp)
    if not smoothing:
        return None, labels
    if labels is not None:
        y: FloatArray = np.zeros((n, k))
        y[np.arange(n), labels] = 1.0
        return y, labels
    y = _rows2(target)
    return (y / y.sum(axis=-1, keepdims=True) if normalize else y), None


def kl_breakdown(
    p: Any,
    q: Any,
    *,
    base: Base = "e",
    from_logits: bool = False,
    eps: float | None = None,
    normalize: bool = False,
    reduction: str = "mean",
) -> Breakdown:
    """Terms ``p_i log(p_i / q_i)`` of :func:`~xentcli.core.kl_divergence`, with H(P) and H(P, Q).

    ``reference`` holds each row's H(P) and H(P, Q): D_KL = H(P, Q) - H(P).

    >>> b = kl_breakdown([0.5, 0.5], [0.25, 0.75], base=2)
    >>> [round(float(x), 6) for x in (b.rows[0], b.reference[1, 0] - b.reference[0, 0])]
    [0.207519, 0.207519]
    """
    with tracing() as trace:
        value = kl_divergence(
            p, q, base=base, from_logits=from_logits, eps=eps, normalize=normalize,
            reduction=reduction,
        )
    ln_base, unit = resolve_base(base)
    z, qq = _prediction(q, from_logits=from_logits, eps=eps, normalize=normalize)
    pp, log_q = _recorded(trace, "target"), _recorded(trace, "log_prob")
    with np.errstate(over="ignore"):
        h_p = times_where(pp, -safe_log(pp)).sum(axis=-1) / ln_base + 0.0
        h_pq = times_where(pp, -log_q).sum(axis=-1) / ln_base + 0.0
    return Breakdown(
        "kl", unit, ln_base, value, _unit(trace.terms, ln_base), _unit(trace.rows, ln_base),
        target=pp, logits=z, prob=qq, log_prob=log_q, reference=np.stack([h_p, h_pq]),
        batch_shape=np.shape(q)[:-1],
    )


def bce_breakdown(
    target: Any,
    pred: Any,
    *,
    base: Base = "e",
    from_logits: bool = False,
    pos_weight: Any = None,
    eps: float | None = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Breakdown:
    """Element terms ``-[w y log p + (1 - y) log(1 - p)]`` of the binary cross-entropy.

    ``terms`` holds each element's loss (rows of the last axis) as the measure
    computed it; ``reference`` its positive and negative parts (for display);
    ``rows`` the row sums; ``target`` the labels as used (smoothed).

    >>> b = bce_breakdown([1, 0], [0.8, 0.4], reduction="sum")
    >>> b.terms.round(6).tolist()
    [[0.223144, 0.510826]]
    """
    with tracing() as trace:
        value = binary_cross_entropy(
            target, pred, base=base, from_logits=from_logits, pos_weight=pos_weight, eps=eps,
            reduction=reduction, label_smoothing=label_smoothing,
        )
    ln_base, unit = resolve_base(base)
    x = _rows2(pred)
    y = _rows2(target)
    if label_smoothing:
        y = y * (1 - label_smoothing) + label_smoothing / 2
    w = np.ones(x.shape[1]) if pos_weight is None else np.broadcast_to(
        np.asarray(pos_weight, np.float64), (x.shape[1],)
    )
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        p: FloatArray = 1 / (1 + np.exp(-x)) if from_logits else x
        if eps is not None:
            p = np.clip(p, eps, 1 - eps)
        if from_logits and eps is None:
            # -log sigmoid(x) = softplus(-x), -log(1 - sigmoid(x)) = softplus(x), stably.
            neg_log_p = np.logaddexp(0, -x)
            neg_log_1mp = np.logaddexp(0, x)
        else:
            neg_log_p = -safe_log(p)
            neg_log_1mp = -safe_log(1 - p) if eps is not None else -np.log1p(-p)
        pos = times_where(y, times_where(np.broadcast_to(w, x.shape), neg_log_p))
        pos = pos / ln_base + 0.0
        neg = times_where(1 - y, neg_log_1mp) / ln_base + 0.0
    terms = _unit(trace.terms, ln_base).reshape(x.shape)
    rows = _unit(_recorded(trace, "terms").reshape(x.shape).sum(axis=-1), ln_base)
    return Breakdown(
        "bce", unit, ln_base, value, terms, rows, target=y,
        logits=x if from_logits else None, prob=p, weights=np.asarray(w, np.float64),
        reference=np.stack([pos, neg]), batch_shape=np.shape(pred)[:-1],
    )


def focal_breakdown(
    target: Any,
    pred: Any,
    *,
    gamma: float = 2.0,
    alpha: Any = None,
    base: Base = "e",
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    eps: float | None = None,
    normalize: bool = False,
    reduction: str = "mean",
) -> Breakdown:
    """Terms ``-alpha_i y_i (1 - q_i)^gamma log q_i`` of :func:`~xentcli.core.focal_loss`.

    >>> b = focal_breakdown(2, [0.1, 0.2, 0.7], gamma=2)
    >>> b.factor.round(2).tolist()
    [[0.81, 0.64, 0.09]]
    """
    with tracing() as trace:
        value = focal_loss(
            target, pred, gamma=gamma, alpha=alpha, base=base, from_logits=from_logits,
            label_smoothing=label_smoothing, eps=eps, normalize=normalize, reduction=reduction,
        )
    ln_base, unit = resolve_base(base)
    shape = np.shape(pred)
    z, q = _prediction(pred, from_logits=from_logits, eps=eps, normalize=normalize)
    n, k = q.shape
    raw, labels = _raw_target(target, shape, n, k, label_smoothing, normalize)
    a = None if alpha is None else np.broadcast_to(np.asarray(alpha, np.float64), (k,))
    return Breakdown(
        "focal", unit, ln_base, value, _unit(trace.terms, ln_base), _unit(trace.rows, ln_base),
        target=_recorded(trace, "target"), raw_target=raw, labels=labels, logits=z, prob=q,
        log_prob=_recorded(trace, "log_prob"), weights=a, factor=_recorded(trace, "factor"),
        batch_shape=shape[:-1],
    )


def softmax_breakdown(z: Any) -> Breakdown:
    """The softmax step by step: ``exp(z_i - max z)``, their sum, and ``q_i``.

    ``terms`` holds the probabilities, ``target`` the shifted exponentials
    ``exp(z_i - max z)``, ``rows`` each row's sum of them, and ``log_prob``
    the log-softmax.

    >>> b = softmax_breakdown([0.0, 0.0])
    >>> b.terms.tolist(), b.rows.tolist()
    ([[0.5, 0.5]], [2.0])
    """
    q = softmax(z)
    zz = _rows2(z)
    with np.errstate(over="ignore"):
        # A huge spread (1e308 and -1e308) overflows z - max z to -inf: exp gives 0.
        shifted = np.exp(zz - zz.max(axis=-1, keepdims=True))
    return Breakdown(
        "softmax", "", 1.0, q, _rows2(q), shifted.sum(axis=-1), target=shifted, logits=zz,
        prob=_rows2(q), log_prob=_rows2(log_softmax(z)), batch_shape=np.shape(z)[:-1],
    )


def grad_breakdown(
    target: Any,
    logits: Any,
    *,
    base: Base = "e",
    weights: Any = None,
    label_smoothing: float = 0.0,
    reduction: str = "none",
) -> Breakdown:
    """The gradient ``(sum_i w_i y_i) q - w * y`` of the cross-entropy, with q = softmax(z).

    ``terms`` holds each row's gradient (before the reduction's division),
    ``rows`` the row sums (0 without weights: the gradient is orthogonal to a shift).

    >>> grad_breakdown(0, [0.0, 0.0]).terms.tolist()
    [[-0.5, 0.5]]
    """
    with tracing() as trace:
        value = cross_entropy_grad(
            target, logits, base=base, weights=weights, label_smoothing=label_smoothing,
            reduction=reduction,
        )
    ln_base, unit = resolve_base(base)
    shape = np.shape(logits)
    z = _rows2(logits)
    log_q = _recorded(trace, "log_prob")
    n, k = log_q.shape
    raw, labels = _raw_target(target, shape, n, k, label_smoothing, False)
    w = None if weights is None else np.broadcast_to(np.asarray(weights, np.float64), (k,))
    terms = _unit(trace.terms, ln_base)
    y = _recorded(trace, "target")
    # Summed in nats, then converted: in a base near 1, +-inf entries would give NaN.
    rows = _unit(_recorded(trace, "terms").sum(axis=-1), ln_base)
    return Breakdown(
        "grad", unit, ln_base, value, terms, rows, target=y, raw_target=raw,
        labels=labels, logits=z, prob=np.exp(log_q), log_prob=log_q, weights=w,
        row_weight=(y @ w) if w is not None else y.sum(axis=-1), batch_shape=shape[:-1],
    )


def reduce_rows(b: Breakdown, reduction: str) -> Any:
    """Reduce a breakdown's rows the way its measure does (for checks and explanations).

    >>> b = cross_entropy_breakdown([0, 1], [[0.5, 0.5], [0.5, 0.5]])
    >>> round(float(reduce_rows(b, "mean")), 6)
    0.693147
    """
    if b.measure == "bce":
        if reduction == "none":
            return b.terms
        total = b.terms.sum()
        return total if reduction == "sum" else total / b.terms.size
    mass = b.row_weight if b.measure in ("cross-entropy",) else None
    return _reduce(b.rows, reduction, mass)

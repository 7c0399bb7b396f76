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
positive and negative parts, the sigmoid focal loss's BCE and alpha_t, KL's
H(P) and H(P, Q), and the softmax's shifted exponentials. Values are converted
to the requested unit at the end. ``ignore_index`` and ``sample_weights`` are
passed to the measure and kept on the breakdown (``ignored``,
``sample_weight``): terms and rows are before the sample weights, and
:func:`reduce_rows` applies both the way the measure does. The record and its
helpers live in :mod:`._breakdown_base`, the binary losses' breakdowns in
:mod:`._breakdown_binary`; every public name is exported here.

These are meant for display (tables, ``--explain``) of a few rows, not for large
batches: they keep several full-size arrays.

>>> b = cross_entropy_breakdown([1, 0, 0], [0.7, 0.2, 0.1])
>>> b.terms.round(6).tolist()
[[0.356675, 0.0, 0.0]]
>>> float(b.value) == float(b.terms.sum())
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from xentcli.core._blocks import tracing
from xentcli.core._breakdown_base import (
    Breakdown,
    ignored_rows,
    log_name,
    prediction,
    raw_target,
    recorded,
    reduce_rows,
    rows2,
    unit_of,
    weights_of,
)
from xentcli.core._breakdown_binary import bce_breakdown, sigmoid_focal_breakdown
from xentcli.core._checks import Base, resolve_base
from xentcli.core._prepare import safe_log, times_where
from xentcli.core.information import cross_entropy, entropy, js_divergence, kl_divergence
from xentcli.core.losses import cross_entropy_grad, focal_loss
from xentcli.core.softmax import log_softmax, softmax

__all__ = [
    "Breakdown",
    "bce_breakdown",
    "cross_entropy_breakdown",
    "entropy_breakdown",
    "focal_breakdown",
    "grad_breakdown",
    "js_breakdown",
    "kl_breakdown",
    "log_name",
    "reduce_rows",
    "sigmoid_focal_breakdown",
    "softmax_breakdown",
]


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
        "entropy", unit, ln_base, value, unit_of(trace.terms, ln_base),
        unit_of(trace.rows, ln_base), target=recorded(trace, "target"),
        batch_shape=np.shape(p)[:-1],
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
    ignore_index: int | None = None,
    sample_weights: Any = None,
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
            ignore_index=ignore_index, sample_weights=sample_weights,
        )
    ln_base, unit = resolve_base(base)
    shape = np.shape(pred)
    z, q = prediction(pred, from_logits=from_logits, eps=eps, normalize=normalize)
    n, k = q.shape
    y = recorded(trace, "target")
    raw, labels = raw_target(target, shape, n, k, label_smoothing, normalize)
    w = None if weights is None else np.broadcast_to(np.asarray(weights, np.float64), (k,))
    return Breakdown(
        "cross-entropy", unit, ln_base, value, unit_of(trace.terms, ln_base),
        unit_of(trace.rows, ln_base), target=y, raw_target=raw, labels=labels, logits=z, prob=q,
        log_prob=recorded(trace, "log_prob"), weights=w,
        row_weight=None if w is None else y @ w, batch_shape=shape[:-1],
        sample_weight=weights_of(sample_weights),
        ignored=ignored_rows(target, shape, ignore_index),
    )


def kl_breakdown(
    p: Any,
    q: Any,
    *,
    base: Base = "e",
    from_logits: bool = False,
    eps: float | None = None,
    normalize: bool = False,
    reduction: str = "mean",
    sample_weights: Any = None,
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
            reduction=reduction, sample_weights=sample_weights,
        )
    ln_base, unit = resolve_base(base)
    z, qq = prediction(q, from_logits=from_logits, eps=eps, normalize=normalize)
    pp, log_q = recorded(trace, "target"), recorded(trace, "log_prob")
    with np.errstate(over="ignore"):
        h_p = times_where(pp, -safe_log(pp)).sum(axis=-1) / ln_base + 0.0
        h_pq = times_where(pp, -log_q).sum(axis=-1) / ln_base + 0.0
    return Breakdown(
        "kl", unit, ln_base, value, unit_of(trace.terms, ln_base), unit_of(trace.rows, ln_base),
        target=pp, logits=z, prob=qq, log_prob=log_q, reference=np.stack([h_p, h_pq]),
        batch_shape=np.shape(q)[:-1], sample_weight=weights_of(sample_weights),
    )


def js_breakdown(
    p: Any,
    q: Any,
    *,
    base: Base = "e",
    distance: bool = False,
    normalize: bool = False,
    reduction: str = "mean",
    sample_weights: Any = None,
) -> Breakdown:
    """Each class's share ``(p log(2p/(p+q)) + q log(2q/(p+q))) / 2`` of
    :func:`~xentcli.core.js_divergence` (all >= 0).

    ``target`` holds P and ``prob`` Q as used; ``rows`` each row's divergence;
    with ``distance``, ``reference`` holds each row's distance (its square root),
    which is what the value reduces.

    >>> b = js_breakdown([1, 0], [0, 1], base=2)
    >>> b.terms.tolist(), float(b.value)
    ([[0.5, 0.5]], 1.0)
    """
    with tracing() as trace:
        value = js_divergence(
            p, q, base=base, distance=distance, normalize=normalize, reduction=reduction,
            sample_weights=sample_weights,
        )
    ln_base, unit = resolve_base(base)
    rows = unit_of(trace.rows, ln_base)
    return Breakdown(
        "js", unit, ln_base, value, unit_of(trace.terms, ln_base), rows,
        target=recorded(trace, "target"), prob=recorded(trace, "prob"),
        reference=np.sqrt(rows) if distance else None, batch_shape=np.shape(q)[:-1],
        sample_weight=weights_of(sample_weights),
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
    ignore_index: int | None = None,
    sample_weights: Any = None,
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
            ignore_index=ignore_index, sample_weights=sample_weights,
        )
    ln_base, unit = resolve_base(base)
    shape = np.shape(pred)
    z, q = prediction(pred, from_logits=from_logits, eps=eps, normalize=normalize)
    n, k = q.shape
    raw, labels = raw_target(target, shape, n, k, label_smoothing, normalize)
    a = None if alpha is None else np.broadcast_to(np.asarray(alpha, np.float64), (k,))
    return Breakdown(
        "focal", unit, ln_base, value, unit_of(trace.terms, ln_base), unit_of(trace.rows, ln_base),
        target=recorded(trace, "target"), raw_target=raw, labels=labels, logits=z, prob=q,
        log_prob=recorded(trace, "log_prob"), weights=a, factor=recorded(trace, "factor"),
        batch_shape=shape[:-1], sample_weight=weights_of(sample_weights),
        ignored=ignored_rows(target, shape, ignore_index),
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
    zz = rows2(z)
    with np.errstate(over="ignore"):
        # A huge spread (1e308 and -1e308) overflows z - max z to -inf: exp gives 0.
        shifted = np.exp(zz - zz.max(axis=-1, keepdims=True))
    return Breakdown(
        "softmax", "", 1.0, q, rows2(q), shifted.sum(axis=-1), target=shifted, logits=zz,
        prob=rows2(q), log_prob=rows2(log_softmax(z)), batch_shape=np.shape(z)[:-1],
    )


def grad_breakdown(
    target: Any,
    logits: Any,
    *,
    base: Base = "e",
    weights: Any = None,
    label_smoothing: float = 0.0,
    reduction: str = "none",
    ignore_index: int | None = None,
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
            reduction=reduction, ignore_index=ignore_index,
        )
    ln_base, unit = resolve_base(base)
    shape = np.shape(logits)
    z = rows2(logits)
    log_q = recorded(trace, "log_prob")
    n, k = log_q.shape
    raw, labels = raw_target(target, shape, n, k, label_smoothing, False)
    w = None if weights is None else np.broadcast_to(np.asarray(weights, np.float64), (k,))
    terms = unit_of(trace.terms, ln_base)
    y = recorded(trace, "target")
    # Summed in nats, then converted: in a base near 1, +-inf entries would give NaN.
    rows = unit_of(recorded(trace, "terms").sum(axis=-1), ln_base)
    return Breakdown(
        "grad", unit, ln_base, value, terms, rows, target=y, raw_target=raw,
        labels=labels, logits=z, prob=np.exp(log_q), log_prob=log_q, weights=w,
        row_weight=(y @ w) if w is not None else y.sum(axis=-1), batch_shape=shape[:-1],
        ignored=ignored_rows(target, shape, ignore_index),
    )

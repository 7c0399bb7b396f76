"""Breakdowns of the element-wise binary losses (BCE, sigmoid focal); see
:mod:`xentcli.core.breakdown`, which exports them."""

from __future__ import annotations

from typing import Any

import numpy as np

from xentcli.core._blocks import tracing
from xentcli.core._breakdown_base import (
    Breakdown,
    element_weights,
    recorded,
    rows2,
    unit_of,
)
from xentcli.core._checks import Base, FloatArray, resolve_base
from xentcli.core._prepare import safe_log, times_where
from xentcli.core.binary import binary_cross_entropy, sigmoid_focal_loss


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
    sample_weights: Any = None,
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
            reduction=reduction, label_smoothing=label_smoothing, sample_weights=sample_weights,
        )
    ln_base, unit = resolve_base(base)
    x = rows2(pred)
    y = rows2(target)
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
    terms = unit_of(trace.terms, ln_base).reshape(x.shape)
    rows = unit_of(_row_totals(recorded(trace, "terms"), x.shape), ln_base)
    return Breakdown(
        "bce", unit, ln_base, value, terms, rows, target=y,
        logits=x if from_logits else None, prob=p, weights=np.asarray(w, np.float64),
        reference=np.stack([pos, neg]), batch_shape=np.shape(pred)[:-1],
        sample_weight=element_weights(sample_weights, np.shape(pred), x.shape),
    )


def sigmoid_focal_breakdown(
    target: Any,
    pred: Any,
    *,
    gamma: float = 2.0,
    alpha: float | None = None,
    base: Base = "e",
    from_logits: bool = False,
    eps: float | None = None,
    reduction: str = "mean",
    sample_weights: Any = None,
) -> Breakdown:
    """Element terms ``-alpha_t (1 - p_t)^gamma log p_t`` of the sigmoid focal loss.

    ``terms`` holds each element's loss as the measure computed it, ``factor``
    its ``(1 - p_t)^gamma``, ``reference`` its plain BCE and its ``alpha_t``
    (shape (2, rows, labels)), ``prob`` the probabilities p.

    >>> b = sigmoid_focal_breakdown([1, 0], [0.8, 0.3], alpha=0.25, reduction="sum")
    >>> b.factor.round(2).tolist(), b.reference[1].tolist()
    ([[0.04, 0.09]], [[0.25, 0.75]])
    """
    with tracing() as trace:
        value = sigmoid_focal_loss(
            target, pred, gamma=gamma, alpha=alpha, base=base, from_logits=from_logits, eps=eps,
            reduction=reduction, sample_weights=sample_weights,
        )
    ln_base, unit = resolve_base(base)
    x, y = rows2(pred), rows2(target)
    with np.errstate(over="ignore"):
        p: FloatArray = 1 / (1 + np.exp(-x)) if from_logits else x
    if eps is not None:
        p = np.clip(p, eps, 1 - eps)
    bce = rows2(binary_cross_entropy(
        target, pred, base=base, from_logits=from_logits, eps=eps, reduction="none"
    ))
    alpha_t = np.ones_like(y) if alpha is None else alpha * y + (1 - alpha) * (1 - y)
    terms = unit_of(trace.terms, ln_base).reshape(x.shape)
    rows = unit_of(_row_totals(recorded(trace, "terms"), x.shape), ln_base)
    return Breakdown(
        "sigmoid-focal", unit, ln_base, value, terms, rows, target=y,
        logits=x if from_logits else None, prob=p,
        factor=recorded(trace, "factor").reshape(x.shape), reference=np.stack([bce, alpha_t]),
        batch_shape=np.shape(pred)[:-1],
        sample_weight=element_weights(sample_weights, np.shape(pred), x.shape),
    )


def _row_totals(terms: FloatArray, shape: tuple[int, ...]) -> FloatArray:
    """Each row's sum of its element losses, in nats.

    The losses are >= 0 (never +inf beside -inf), so the only non-finite sum is
    finite losses adding up past the largest float (three of 7e307): that row's
    total *is* inf, as the measure's own ``reduction="sum"`` says, not a fault.
    """
    with np.errstate(over="ignore"):
        totals: FloatArray = terms.reshape(shape).sum(axis=-1)
    return totals

"""Binary cross-entropy, focal loss and the cross-entropy gradient."""

from __future__ import annotations

from typing import Any

import numpy as np

from xentcli.core._checks import (
    Base,
    as_float_array,
    check_elementwise_logits,
    check_eps,
    check_nonneg_scalar,
    check_probabilities,
    check_reduction,
    check_smoothing,
    position,
    resolve_base,
    shape_mismatch,
)
from xentcli.core._prepare import (
    class_weights,
    finish,
    log_prediction,
    parse_target,
    reduce_rows,
    safe_log,
    times_where,
)
from xentcli.core.softmax import softmax_checked
from xentcli.errors import InputError


def _labels(target: Any, shape: tuple[int, ...], dtype: np.dtype[Any]) -> Any:
    y = as_float_array(target, "TARGET", vector=False).astype(dtype, copy=False)
    if y.shape != shape:
        raise InputError(shape_mismatch("TARGET", y.shape, "PRED", shape))
    bad = ~((y >= 0) & (y <= 1))  # also catches NaN
    if bad.any():
        flat = int(np.flatnonzero(bad)[0])
        value = float(y.reshape(-1)[flat])
        where = f" at {position(y.shape, flat)}" if y.ndim else ""
        raise InputError(f"TARGET label {value:.10g}{where} is outside [0, 1]")
    return y


def binary_cross_entropy(
    target: Any,
    pred: Any,
    *,
    base: Base = "e",
    from_logits: bool = False,
    pos_weight: Any = None,
    eps: float | None = None,
    reduction: str = "mean",
) -> Any:
    """Binary cross-entropy ``-[w y log p + (1 - y) log(1 - p)]``, element by element.

    Each element is an independent yes/no label (multi-label classification:
    one sigmoid and one BCE term per label). ``log(1 - p)`` is ``log1p(-p)``,
    exact for small p; 0 * log 0 = 0.

    From logits ``z`` it uses ``log p = -softplus(-z)`` and
    ``log(1 - p) = -softplus(z)``, with ``softplus(x) = max(x, 0) + log1p(exp(-|x|))``:
    the same value as ``max(z, 0) - z y + log1p(exp(-|z|))`` but as a sum of two
    non-negative terms, so nothing cancels and nothing overflows.

    Args:
        target: labels in [0, 1] (hard 0/1 or soft), same shape as ``pred``.
        pred: probabilities in [0, 1] or, with ``from_logits``, logits; any shape.
        base: log base: e (nats, default), 2 (bits), 10 (bans) or any b > 0, b != 1.
        from_logits: ``pred`` holds logits (sigmoid applied inside).
        pos_weight: weight ``w`` of the positive term: a scalar or one value per
            label (last axis), as in torch's ``pos_weight``.
        eps: clip probabilities to ``[eps, 1 - eps]`` (off by default).
        reduction: over ALL elements: "mean" (default), "sum" or "none".

    Returns:
        The loss in units of ``base``.

    >>> round(float(binary_cross_entropy(1, 0.8)), 6)  # -ln 0.8
    0.223144
    >>> round(float(binary_cross_entropy([1, 0, 1], [0.9, 0.2, 0.6], reduction="sum")), 6)
    0.83933
    """
    ln_base, _ = resolve_base(base)
    how = check_reduction(reduction)
    clip = check_eps(eps)
    z_or_p = as_float_array(pred, "PRED", vector=False)
    y = _labels(target, z_or_p.shape, z_or_p.dtype)
    w: Any = 1.0
    if pos_weight is not None:
        w = as_float_array(pos_weight, "pos weight", vector=False).astype(z_or_p.dtype)
        if not (np.isfinite(w).all() and (w >= 0).all()):
            raise InputError("pos weight must be finite and >= 0")
        try:
            np.broadcast_shapes(w.shape, z_or_p.shape)
        except ValueError:
            raise InputError(
                f"pos weight has shape {w.shape}, which does not fit PRED's shape {z_or_p.shape}"
            ) from None
    if from_logits and clip is None:
        z = z_or_p
        check_elementwise_logits(z, "PRED")
        with np.errstate(invalid="ignore"):  # -inf logits: max(-z, 0) is +inf, masked below
            soft = np.log1p(np.exp(-np.abs(z)))  # shared tail of both softplus terms
            neg_log_p = np.maximum(-z, 0) + soft  # -log sigmoid(z) = softplus(-z)
            neg_log_1mp = np.maximum(z, 0) + soft  # -log(1 - sigmoid(z)) = softplus(z)
        loss = times_where(np.asarray(w * y), neg_log_p) + times_where(1 - y, neg_log_1mp)
    else:
        if from_logits:
            check_elementwise_logits(z_or_p, "PRED")
            with np.errstate(over="ignore"):  # exp(-z) = inf for z << 0: p = 0, as it should
                p = 1 / (1 + np.exp(-z_or_p))
        else:
            p = check_probabilities(z_or_p, "PRED", distribution=False)  # type: ignore[assignment]
        if clip is not None:
            p = np.clip(p, clip, 1 - clip)
        log_1mp = np.full_like(p, -np.inf)
        np.log1p(-p, out=log_1mp, where=p < 1)
        loss = -(times_where(np.asarray(w * y), safe_log(p)) + times_where(1 - y, log_1mp))
    loss = loss / ln_base
    if how == "none":
        return finish(loss)
    return finish(np.asarray(loss.sum() if how == "sum" else loss.mean()))


def focal_loss(
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
) -> Any:
    """Multi-class focal loss ``-sum_i alpha_i y_i (1 - q_i)^gamma log q_i``.

    The factor ``(1 - q)^gamma`` shrinks the loss of classes already predicted
    well, so training focuses on hard examples (RetinaNet). gamma = 0 gives the
    cross-entropy back. The factor is computed in log space,
    ``exp(gamma * log(-expm1(log q)))``, so a saturated prediction (q -> 1) with
    gamma < 1 gives 0, never NaN.

    Args:
        target: distributions of ``pred``'s shape or class indices of shape
            ``pred.shape[:-1]``.
        pred: probabilities or, with ``from_logits``, logits; shape (..., K).
        gamma: focusing parameter, >= 0 (default 2).
        alpha: class balance: a scalar or one value per class (default 1).
        base: log base: e (nats, default), 2 (bits), 10 (bans) or any b > 0, b != 1.
        from_logits: ``pred`` holds logits.
        label_smoothing: ``eps`` in [0, 1): the target becomes ``(1 - eps) y + eps / K``.
        eps: clip predicted probabilities to ``[eps, 1 - eps]`` (off by default).
        normalize: rescale rows that do not sum to 1.
        reduction: over the rows: "mean" (default), "sum" or "none".

    Returns:
        The loss in units of ``base``.

    >>> round(float(focal_loss(2, [0.1, 0.2, 0.7], gamma=2)), 6)  # 0.3^2 * -ln 0.7
    0.032101
    >>> float(focal_loss(2, [0.1, 0.2, 0.7], gamma=0))  # gamma = 0: plain cross-entropy
    0.35667494393873245
    """
    ln_base, _ = resolve_base(base)
    how = check_reduction(reduction)
    g = check_nonneg_scalar(gamma, "gamma")
    smoothing = check_smoothing(label_smoothing)
    log_q = log_prediction(
        pred, "PRED", from_logits=from_logits, eps=check_eps(eps), normalize=normalize
    )
    tgt = parse_target(target, log_q.shape, normalize=normalize)
    y = tgt.as_dense(log_q.dtype, smoothing)
    a = class_weights(alpha, tgt.k, log_q.dtype, what="alpha")
    if a is not None:
        y = y * a
    neg_log_q = -log_q
    if g:
        with np.errstate(divide="ignore"):  # q == 1 gives log(1 - q) = -inf, factor 0
            log_1mq = np.log(-np.expm1(log_q))
        # q = 1: factor 0 and -log q = 0, so the term is 0 (no 0 * inf anywhere).
        neg_log_q = np.exp(g * log_1mq) * neg_log_q
    per_row = times_where(y, neg_log_q).sum(axis=-1) / ln_base
    return reduce_rows(per_row, how)


def cross_entropy_grad(
    target: Any,
    logits: Any,
    *,
    base: Base = "e",
    weights: Any = None,
    label_smoothing: float = 0.0,
    reduction: str = "none",
) -> Any:
    """Gradient of the cross-entropy with respect to the logits: ``softmax(z) - y``.

    For a target ``y`` summing to 1 the gradient of ``-sum_i y_i log softmax(z)_i``
    is ``softmax(z) - y``: linear in the error, bounded in [-1, 1], never
    vanishing while the prediction is wrong. With class weights it is
    ``(sum_i w_i y_i) softmax(z) - w * y``.

    Args:
        target: distributions of ``logits``' shape or class indices of shape
            ``logits.shape[:-1]``.
        logits: shape (..., K); -inf allowed (a masked class).
        base: the loss's log base (the gradient is divided by ln(base)).
        weights: per-class weights, shape (K,).
        label_smoothing: ``eps`` in [0, 1): the target becomes ``(1 - eps) y + eps / K``.
        reduction: "none" (default) or "sum" give each row's gradient; "mean"
            gives the gradient of the mean loss (divided by the number of rows,
            or by the total target weight with ``weights``).

    Returns:
        An array of ``logits``' shape.

    >>> cross_entropy_grad(2, [0.0, 0.0, 0.0]).round(4).tolist()
    [0.3333, 0.3333, -0.6667]
    """
    ln_base, _ = resolve_base(base)
    how = check_reduction(reduction)
    smoothing = check_smoothing(label_smoothing)
    z = as_float_array(logits, "Z")
    s = softmax_checked(z, "Z")
    tgt = parse_target(target, z.shape, normalize=False, pred_name="Z")
    y = tgt.as_dense(z.dtype, smoothing)
    w = class_weights(weights, tgt.k, z.dtype)
    if w is not None:
        y = y * w
    mass = y.sum(axis=-1, keepdims=True)
    grad = (mass * s - y) / ln_base
    if how == "mean":
        total = mass.sum() if w is not None else max(mass.size, 1)
        if total == 0:
            raise InputError("the weighted mean is undefined: the targets' weights sum to 0")
        grad = grad / total
    return finish(grad)

"""Multi-class focal loss and the cross-entropy gradient (binary losses: :mod:`.binary`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from xentcli.core._blocks import (
    Prediction,
    column_sums,
    current_trace,
    log_probs,
    plogx,
    run_blocks,
    scale_classes,
    sum_tolerance,
    transposed,
)
from xentcli.core._checks import (
    Base,
    as_float_array,
    check_eps,
    check_logits,
    check_nonneg_scalar,
    check_reduction,
    check_smoothing,
    resolve_base,
)
from xentcli.core._prepare import (
    check_sample_weights,
    class_weights,
    diagnose_prediction,
    finish,
    in_base,
    parse_target,
    reduce_rows,
    refuse_normalized_logits,
)
from xentcli.errors import InputError


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
    ignore_index: int | None = None,
    sample_weights: Any = None,
) -> Any:
    """Multi-class focal loss ``-sum_i alpha_i y_i (1 - q_i)^gamma log q_i``.

    The factor ``(1 - q)^gamma`` shrinks the loss of classes already predicted
    well, so training focuses on hard examples (RetinaNet). gamma = 0 gives the
    cross-entropy back. The factor is computed in log space,
    ``exp(gamma * log(-expm1(log q)))``, so a saturated prediction (q -> 1) with
    gamma < 1 gives 0, never NaN. As for the cross-entropy, 0 * log 0 = 0: a
    class with target 0 adds nothing; a target class with q = 0 gives +inf.

    Args:
        target: distributions of ``pred``'s shape or class indices of shape
            ``pred.shape[:-1]``.
        pred: probabilities or, with ``from_logits``, logits; shape (..., K).
        gamma: focusing parameter, >= 0 (default 2).
        alpha: class balance >= 0: a scalar or one value per class (default 1). It
            multiplies the log, not the target, so a subnormal target with a small
            alpha still meets an infinite log (+inf, not 0).
        base: log base: e (nats, default), 2 (bits), 10 (bans) or any b > 0, b != 1.
        from_logits: ``pred`` holds logits.
        label_smoothing: ``eps`` in [0, 1): the target becomes ``(1 - eps) y + eps / K``.
        eps: clip predicted probabilities to ``[eps, 1 - eps]`` (off by default).
        normalize: rescale rows that do not sum to 1.
        reduction: over the rows: "mean" (default), "sum" or "none".
        ignore_index: with class-index targets, rows with this index leave the
            loss and the mean's denominator (as in :func:`cross_entropy`).
        sample_weights: one weight >= 0 per row: the mean is ``sum s_n l_n / sum s_n``,
            the sum ``sum s_n l_n``, "none" ``s_n l_n``.

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
    clip = check_eps(eps)
    arr = as_float_array(pred, "PRED")
    refuse_normalized_logits(from_logits, normalize)
    k = arr.shape[-1]
    tgt = parse_target(target, arr.shape, ignore_index=ignore_index)
    a = class_weights(alpha, k, arr.dtype, what="alpha")
    rows_w = check_sample_weights(
        sample_weights, arr.shape[:-1], arr.dtype, scale=how == "mean"
    )
    q2 = arr.reshape(-1, k)
    per_row = np.empty(q2.shape[0], dtype=arr.dtype)
    tol = sum_tolerance(k, arr.dtype)
    how_pred = Prediction(from_logits, clip, normalize, tol)
    trace = current_trace()
    if trace is not None:
        trace.allocate(q2.shape[0], k, arr.dtype, "terms", "log_prob", "target", "factor")
        assert trace.factor is not None
        trace.factor[:] = 1  # gamma = 0: no factor

    def block(rows: slice) -> bool:
        log_q = transposed(q2, rows)
        work = np.empty_like(log_q)
        if not log_probs(log_q, work, how_pred):
            return False
        y = tgt.block(rows, arr.dtype, smoothing, tol, normalize)
        if y is None:
            return False
        if trace is not None:
            trace.log_prob[rows] = log_q.T  # type: ignore[index]
            trace.target[rows] = y.T  # type: ignore[index]
        if g:
            # (1 - q)^gamma = exp(gamma * log(1 - q)), log(1 - q) = log(-expm1(log q)):
            # exact as q -> 1, where it is -inf and the factor 0 (log q is 0 there
            # too, so the term is 0 * 0, never 0 * inf).
            np.expm1(log_q, out=work)
            np.negative(work, out=work)
            np.log(work, out=work)
            work *= g
            np.exp(work, out=work)
            if trace is not None:
                trace.factor[rows] = work.T  # type: ignore[index]
            log_q *= work
        if a is not None:
            scale_classes(log_q, a)  # y * (alpha * log q): no underflow of y * alpha
        per_row[rows] = 0.0 - plogx(y, log_q, work)
        if trace is not None:
            trace.terms[rows] = (0.0 - work).T  # type: ignore[index]
        return True

    if not run_blocks(block, q2.shape[0], k):
        diagnose_prediction(arr, "PRED", from_logits=from_logits, normalize=normalize)
        tgt.diagnose(normalize)
    if trace is not None:
        trace.rows = per_row.copy()
        trace.drop_rows(tgt.ignored)
    return reduce_rows(
        per_row.reshape(arr.shape[:-1]), how, ln_base, None, rows_w, tgt.ignored
    )


def cross_entropy_grad(
    target: Any,
    logits: Any,
    *,
    base: Base = "e",
    weights: Any = None,
    label_smoothing: float = 0.0,
    reduction: str = "none",
    ignore_index: int | None = None,
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
        ignore_index: with class-index targets, rows with this index get a zero
            gradient and leave the mean's denominator (torch's rule).

    Returns:
        An array of ``logits``' shape.

    >>> cross_entropy_grad(2, [0.0, 0.0, 0.0]).round(4).tolist()
    [0.3333, 0.3333, -0.6667]
    """
    ln_base, _ = resolve_base(base)
    how = check_reduction(reduction)
    smoothing = check_smoothing(label_smoothing)
    z = as_float_array(logits, "Z")
    k = z.shape[-1]
    tgt = parse_target(target, z.shape, pred_name="Z", ignore_index=ignore_index)
    trace = current_trace()
    w = class_weights(weights, k, z.dtype, scale=how == "mean" and trace is None)  # see ce
    z2 = z.reshape(-1, k)
    grad = np.empty_like(z2)
    mass = np.empty(z2.shape[0], dtype=z.dtype)
    tol = sum_tolerance(k, z.dtype)
    if trace is not None:
        trace.allocate(z2.shape[0], k, z.dtype, "log_prob", "target")

    def block(rows: slice) -> bool:
        t = transposed(z2, rows)
        work = np.empty_like(t)
        if not log_probs(t, work, Prediction(True, None, False, tol)):
            return False
        y = tgt.block(rows, z.dtype, smoothing, tol, False)
        if y is None:
            return False
        if trace is not None:
            trace.log_prob[rows] = t.T  # type: ignore[index]
            trace.target[rows] = y.T  # type: ignore[index]
        if w is not None:
            y *= w[:, None]
        mass[rows] = column_sums(y)
        # d/dz of -sum_i y_i log softmax(z)_i = (sum_i y_i) softmax(z) - y
        np.exp(t, out=t)
        t *= mass[rows]
        t -= y
        grad[rows] = t.T
        return True

    if not run_blocks(block, z2.shape[0], k):
        check_logits(z, "Z")
        tgt.diagnose(False)
    if tgt.ignored is not None:
        grad[tgt.ignored] = 0
        mass[tgt.ignored] = 0
    if trace is not None:
        trace.terms, trace.rows = grad.copy(), mass.copy()  # rows: each row's target weight
        trace.drop_rows(tgt.ignored)
    in_base(grad, ln_base)
    if how == "mean":
        total = mass.sum() if w is not None else mass.size - _count(tgt.ignored)
        if total == 0:
            if tgt.ignored is not None and tgt.ignored.all():
                raise InputError("the mean is undefined: every row's target is the ignore index")
            if w is None:
                raise InputError("the mean of 0 rows is undefined (use --reduction sum)")
            raise InputError("the weighted mean is undefined: the targets' weights sum to 0")
        grad /= total
    return finish(grad.reshape(z.shape))


def _count(mask: Any) -> int:
    return 0 if mask is None else int(np.count_nonzero(mask))

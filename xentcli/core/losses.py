"""Binary cross-entropy, focal loss and the cross-entropy gradient."""

from __future__ import annotations

from typing import Any

import numpy as np

from xentcli.core._blocks import (
    Prediction,
    column_sums,
    log_probs,
    plogx,
    rows_per_block,
    run_blocks,
    sum_tolerance,
    transposed,
)
from xentcli.core._checks import (
    Base,
    FloatArray,
    as_float_array,
    check_elementwise_logits,
    check_eps,
    check_logits,
    check_nonneg_scalar,
    check_probabilities,
    check_reduction,
    check_smoothing,
    format_shape,
    position,
    resolve_base,
    shape_mismatch,
)
from xentcli.core._prepare import (
    class_weights,
    diagnose_prediction,
    finish,
    parse_target,
    reduce_rows,
    refuse_normalized_logits,
    times_where,
)
from xentcli.errors import InputError


def _labels(target: Any, shape: tuple[int, ...], dtype: np.dtype[Any]) -> FloatArray:
    """BCE labels of PRED's shape; their range is checked block by block."""
    y: FloatArray = as_float_array(target, "TARGET", vector=False).astype(dtype, copy=False)
    if y.shape != shape:
        raise InputError(shape_mismatch("TARGET", y.shape, "PRED", shape))
    return y


def _diagnose_labels(y: FloatArray) -> None:
    bad = ~((y >= 0) & (y <= 1))  # also catches NaN
    if bad.any():
        flat = int(np.flatnonzero(bad)[0])
        value = float(y.reshape(-1)[flat])
        where = f" at {position(y.shape, flat)}" if y.ndim else ""
        raise InputError(f"TARGET label {value:.10g}{where} is outside [0, 1]")


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
    arr = as_float_array(pred, "PRED", vector=False)
    y_arr = _labels(target, arr.shape, arr.dtype)
    w = _pos_weight(pos_weight, arr)
    # Rows of the last axis, so that a per-label pos_weight broadcasts in each block.
    width = arr.shape[-1] if arr.ndim else 1
    x2, y2 = arr.reshape(-1, width), y_arr.reshape(-1, width)
    n = x2.shape[0]
    keep = how == "none"
    out: FloatArray = (
        np.empty_like(x2) if keep else np.empty(-(-n // rows_per_block(width)), arr.dtype)
    )

    def block(rows: slice) -> bool:
        x, y = x2[rows], y2[rows]
        if not (y.min() >= 0 and y.max() <= 1):  # NaN fails both
            return False
        if from_logits and clip is None:
            if not x.max() < np.inf:  # NaN and +inf are not logits; -inf is
                return False
            # -log sigmoid(x) = softplus(-x), -log(1 - sigmoid(x)) = softplus(x), and
            # softplus(v) = max(v, 0) + log1p(exp(-|v|)). With c_pos = w y, c_neg = 1 - y:
            #   loss = (c_pos + c_neg) * tail + coef * x,  coef = c_neg if x > 0 else -c_pos,
            # a sum of two terms >= 0: unlike max(x, 0) - x y + tail, nothing cancels.
            tail = np.abs(x)
            np.negative(tail, out=tail)
            np.exp(tail, out=tail)
            np.log1p(tail, out=tail)
            if w is None:
                coef = np.subtract(x > 0, y, dtype=x.dtype)  # c_neg = 1 - y or -c_pos = -y
            else:
                c_pos, c_neg = y * w, 1 - y
                coef = np.where(x > 0, c_neg, -c_pos)
                tail *= c_pos + c_neg
            if x.min() == -np.inf:
                coef = times_where(coef, x)  # -inf with coef 0 (y = 0) is a 0 term
            else:
                coef *= x
            loss = tail
            loss += coef
        else:
            p: FloatArray
            if from_logits:
                if not x.max() < np.inf:
                    return False
                p = 1 / (1 + np.exp(-x))
            else:
                if not (x.min() >= 0 and x.max() <= 1):
                    return False
                p = x
            if clip is not None:
                p = np.clip(p, clip, 1 - clip)
            pos = -np.log(p)
            neg = -np.log1p(-p)  # exact for small p, unlike log(1 - p)
            loss = times_where(y if w is None else y * w, pos)
            loss += times_where(1 - y, neg)
        if keep:
            out[rows] = loss
        else:
            out[rows.start // rows_per_block(width)] = loss.sum()
        return True

    if not run_blocks(block, n, width):
        _diagnose_labels(y_arr)
        if from_logits:
            check_elementwise_logits(arr, "PRED")
        check_probabilities(arr, "PRED", distribution=False)
    if keep:
        if ln_base != 1:
            out /= ln_base
        return finish(out.reshape(arr.shape))
    total = out.sum() / ln_base
    return finish(np.asarray(total if how == "sum" else total / max(arr.size, 1)), arr.dtype)


def _pos_weight(pos_weight: Any, arr: FloatArray) -> FloatArray | None:
    if pos_weight is None:
        return None
    w = as_float_array(pos_weight, "pos weight", vector=False).astype(arr.dtype)
    bad = ~(np.isfinite(w) & (w >= 0))
    if bad.any():
        flat = int(np.flatnonzero(bad)[0])
        where = f" at {position(w.shape, flat)}" if w.ndim else ""
        raise InputError(
            f"pos weight must be finite and >= 0; got {float(w.reshape(-1)[flat]):.10g}{where}"
        )
    if w.ndim > 1 or (w.ndim == 1 and arr.ndim and w.shape[0] not in (1, arr.shape[-1])) or (
        w.ndim == 1 and not arr.ndim and w.shape[0] != 1
    ):
        raise InputError(
            f"pos weight has shape {format_shape(w.shape)}, which does not fit PRED's "
            f"shape {format_shape(arr.shape)}"
        )
    return w


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
    gamma < 1 gives 0, never NaN. As for the cross-entropy, 0 * log 0 = 0: a
    class with target 0 adds nothing; a target class with q = 0 gives +inf.

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
    clip = check_eps(eps)
    arr = as_float_array(pred, "PRED")
    refuse_normalized_logits(from_logits, normalize)
    k = arr.shape[-1]
    tgt = parse_target(target, arr.shape)
    a = class_weights(alpha, k, arr.dtype, what="alpha")
    q2 = arr.reshape(-1, k)
    per_row = np.empty(q2.shape[0], dtype=arr.dtype)
    tol = sum_tolerance(k, arr.dtype)
    how_pred = Prediction(from_logits, clip, normalize, tol)

    def block(rows: slice) -> bool:
        log_q = transposed(q2, rows)
        work = np.empty_like(log_q)
        if not log_probs(log_q, work, how_pred):
            return False
        y = tgt.block(rows, arr.dtype, smoothing, tol, normalize)
        if y is None:
            return False
        if a is not None:
            y *= a[:, None]
        if g:
            # (1 - q)^gamma = exp(gamma * log(1 - q)), log(1 - q) = log(-expm1(log q)):
            # exact as q -> 1, where it is -inf and the factor 0 (log q is 0 there
            # too, so the term is 0 * 0, never 0 * inf).
            np.expm1(log_q, out=work)
            np.negative(work, out=work)
            np.log(work, out=work)
            work *= g
            np.exp(work, out=work)
            log_q *= work
        per_row[rows] = 0.0 - plogx(y, log_q, work)
        return True

    if not run_blocks(block, q2.shape[0], k):
        diagnose_prediction(arr, "PRED", from_logits=from_logits, normalize=normalize)
        tgt.diagnose(normalize)
    return reduce_rows(per_row.reshape(arr.shape[:-1]), how, ln_base)


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
    k = z.shape[-1]
    tgt = parse_target(target, z.shape, pred_name="Z")
    w = class_weights(weights, k, z.dtype)
    z2 = z.reshape(-1, k)
    grad = np.empty_like(z2)
    mass = np.empty(z2.shape[0], dtype=z.dtype)
    tol = sum_tolerance(k, z.dtype)

    def block(rows: slice) -> bool:
        t = transposed(z2, rows)
        work = np.empty_like(t)
        if not log_probs(t, work, Prediction(True, None, False, tol)):
            return False
        y = tgt.block(rows, z.dtype, smoothing, tol, False)
        if y is None:
            return False
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
    grad /= ln_base
    if how == "mean":
        total = mass.sum() if w is not None else max(mass.size, 1)
        if total == 0:
            raise InputError("the weighted mean is undefined: the targets' weights sum to 0")
        grad /= total
    return finish(grad.reshape(z.shape))

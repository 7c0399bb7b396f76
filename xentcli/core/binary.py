"""Element-wise binary losses: binary cross-entropy and the sigmoid focal loss.

Each element is an independent yes/no label (multi-label classification: one
sigmoid and one loss term per label). The batch runs in blocks of rows of the
last axis (so that a per-label weight broadcasts in each block); validation is
folded into the blocks and the exact message is searched for only on failure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from xentcli.core._blocks import current_trace, rows_per_block, run_blocks
from xentcli.core._checks import (
    Base,
    FloatArray,
    as_float_array,
    check_elementwise_logits,
    check_eps,
    check_nonneg_scalar,
    check_probabilities,
    check_reduction,
    check_smoothing,
    format_shape,
    position,
    power_of_2_scaled,
    resolve_base,
    shape_mismatch,
    to_dtype,
)
from xentcli.core._prepare import finish, in_base, sum_over, times_where
from xentcli.errors import InputError

#: A block's loss: (predictions, labels, rows) -> element losses in nats, or None if invalid.
BlockLoss = Callable[[FloatArray, FloatArray, slice], "FloatArray | None"]


def _labels(target: Any, shape: tuple[int, ...], dtype: np.dtype[Any]) -> FloatArray:
    """Binary labels of PRED's shape; their range is checked block by block."""
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


def _element_weights(
    sample_weights: Any, arr: FloatArray, width: int, mean: bool
) -> FloatArray | None:
    """Sample weights as (rows, 1) or (rows, width): one per row of the last axis
    (shape ``pred.shape[:-1]``) or one per element (``pred.shape``)."""
    if sample_weights is None:
        return None
    s = as_float_array(sample_weights, "sample weights", vector=False)
    if s.shape == arr.shape:
        s2 = s.reshape(-1, width)
    elif arr.ndim and s.shape == arr.shape[:-1]:
        s2 = s.reshape(-1, 1)
    else:
        rows = f"{format_shape(arr.shape[:-1])} (one per row) or " if arr.ndim > 1 else ""
        raise InputError(
            f"sample weights must have shape {rows}{format_shape(arr.shape)} "
            f"(one per element); got shape {format_shape(s.shape)}"
        )
    bad = ~np.isfinite(s2) | (s2 < 0)
    if bad.any():
        flat = int(np.flatnonzero(bad)[0])
        where = f" at {position(s.shape, flat)}" if s.ndim else ""
        raise InputError(
            f"sample weights must be finite and >= 0; got {float(s.reshape(-1)[flat]):.10g}{where}"
        )
    return to_dtype(power_of_2_scaled(s2) if mean else s2, arr.dtype)


def _reduce_elements(
    arr: FloatArray,
    labels: FloatArray,
    loss_of: BlockLoss,
    how: str,
    ln_base: float,
    sw: FloatArray | None,
) -> tuple[Any, bool]:
    """Run ``loss_of`` block by block and reduce; (result, every block valid)."""
    width = max(arr.shape[-1], 1) if arr.ndim else 1
    x2, y2 = arr.reshape(-1, width), labels.reshape(-1, width)
    n = x2.shape[0]
    keep = how == "none"
    step = rows_per_block(width)
    out: FloatArray = np.empty_like(x2) if keep else np.empty(-(-n // step), arr.dtype)
    trace = current_trace()
    if trace is not None:
        trace.allocate(n, width, arr.dtype, "terms")

    def block(rows: slice) -> bool:
        x, y = x2[rows], y2[rows]
        if not (y.min() >= 0 and y.max() <= 1):  # NaN fails both
            return False
        loss = loss_of(x, y, rows)
        if loss is None:
            return False
        if trace is not None:
            trace.terms[rows] = loss  # type: ignore[index]
        if sw is not None:
            loss = times_where(sw[rows], loss)  # weight 0: the element leaves, even if inf
        if keep:
            out[rows] = loss
        else:
            out[rows.start // step] = loss.sum()
        return True

    ok = run_blocks(block, n, width)
    if not ok:
        return None, False
    if keep:
        return finish(in_base(out, ln_base).reshape(arr.shape)), True
    count: Any = 1.0
    if how == "mean":
        count = arr.size if sw is None else float(np.broadcast_to(sw, x2.shape).sum())
        if count == 0:
            raise InputError(
                "the mean of 0 elements is undefined (use --reduction sum)"
                if sw is None
                else "the weighted mean is undefined: the sample weights sum to 0"
            )
    total = sum_over(out, count)
    if how == "mean" and np.isinf(total):
        # An infinite loss, or a block's sum that overflowed while the mean may be
        # finite (four losses of 7e307): rare enough to afford an element-wise pass.
        elements, _ = _reduce_elements(arr, labels, loss_of, "none", 1.0, sw)
        total = sum_over(np.asarray(elements).reshape(-1), count)
    return finish(np.asarray(in_base(total, ln_base)), arr.dtype), True


def _neg_logs(
    x: FloatArray, from_logits: bool, clip: float | None
) -> tuple[FloatArray, FloatArray] | None:
    """``(-log p, -log(1 - p))`` of a block, or None when it holds an invalid value.

    From logits without clipping: ``softplus(-x)`` and ``softplus(x)``, with
    ``softplus(v) = max(v, 0) + log1p(exp(-|v|))`` (no overflow, no lost digits).
    """
    if from_logits:
        if not x.max() < np.inf:  # NaN and +inf are not logits; -inf is
            return None
        if clip is None:
            tail = np.log1p(np.exp(-np.abs(x)))
            return np.maximum(-x, 0) + tail, np.maximum(x, 0) + tail
        p: FloatArray = 1 / (1 + np.exp(-x))
    else:
        if not (x.min() >= 0 and x.max() <= 1):
            return None
        p = x
    if clip is not None:
        p = np.clip(p, clip, 1 - clip)
    return -np.log(p), -np.log1p(-p)  # log1p: exact for small p, unlike log(1 - p)


def binary_cross_entropy(
    target: Any,
    pred: Any,
    *,
    base: Base = "e",
    from_logits: bool = False,
    pos_weight: Any = None,
    label_smoothing: float = 0.0,
    eps: float | None = None,
    reduction: str = "mean",
    sample_weights: Any = None,
) -> Any:
    """Binary cross-entropy ``-[w y log p + (1 - y) log(1 - p)]``, element by element.

    Each element is an independent yes/no label (multi-label classification:
    one sigmoid and one BCE term per label). ``log(1 - p)`` is ``log1p(-p)``,
    exact for small p; 0 * log 0 = 0, only where the label *is* 0 (or 1): a
    subnormal label times a small ``pos_weight`` still meets an infinite log.

    From logits ``z`` it uses ``log p = -softplus(-z)`` and
    ``log(1 - p) = -softplus(z)``, with ``softplus(x) = max(x, 0) + log1p(exp(-|x|))``:
    the same value as ``max(z, 0) - z y + log1p(exp(-|z|))`` but as a sum of two
    non-negative terms, so nothing cancels and nothing overflows.

    Args:
        target: labels in [0, 1] (hard 0/1 or soft), same shape as ``pred``.
        pred: probabilities in [0, 1] or, with ``from_logits``, logits; any shape.
        base: log base: e (nats, default), 2 (bits), 10 (bans) or any b > 0, b != 1.
        from_logits: ``pred`` holds logits (sigmoid applied inside).
        pos_weight: weight ``w`` >= 0 of the positive term: a scalar or one value
            per label (last axis), as in torch's ``pos_weight``.
        label_smoothing: ``E`` in [0, 1): each label becomes ``y (1 - E) + E / 2``
            (keras's binary rule: both classes of a label, not K).
        eps: clip probabilities to ``[eps, 1 - eps]`` (off by default).
        reduction: over ALL elements: "mean" (default), "sum" or "none".
        sample_weights: weights >= 0, one per row (``pred.shape[:-1]``, each
            applying to the row's elements) or one per element (``pred.shape``):
            "mean" is ``sum_e s_e l_e / sum_e s_e`` over elements, "sum"
            ``sum_e s_e l_e``, "none" ``s_e l_e``.

    Returns:
        The loss in units of ``base``. For a batch in chunks, the mean is the sum
        of the chunks' ``reduction="sum"`` values over the sum of
        :func:`~xentcli.core.mean_denominator` (``elementwise=True``).

    >>> round(float(binary_cross_entropy(1, 0.8)), 6)  # -ln 0.8
    0.223144
    >>> round(float(binary_cross_entropy([1, 0, 1], [0.9, 0.2, 0.6], reduction="sum")), 6)
    0.83933
    >>> round(float(binary_cross_entropy(1, 0.8, label_smoothing=0.2)), 6)  # y = 0.9
    0.361773
    """
    ln_base, _ = resolve_base(base)
    how = check_reduction(reduction)
    clip = check_eps(eps)
    smoothing = check_smoothing(label_smoothing)
    arr = as_float_array(pred, "PRED", vector=False)
    y_arr = _labels(target, arr.shape, arr.dtype)
    w = _pos_weight(pos_weight, arr)
    width = max(arr.shape[-1], 1) if arr.ndim else 1
    sw = _element_weights(sample_weights, arr, width, how == "mean")

    def loss_of(x: FloatArray, y: FloatArray, rows: slice) -> FloatArray | None:
        if smoothing:
            y = y * (1 - smoothing) + smoothing / 2
        if from_logits and clip is None:
            if not x.max() < np.inf:  # NaN and +inf are not logits; -inf is
                return None
            return _bce_logits(x, y, w)
        logs = _neg_logs(x, from_logits, clip)
        if logs is None:
            return None
        pos, neg = logs
        if w is not None:
            # The weight multiplies the log, not the label: y * (w * -log p), so that a
            # subnormal y times w < 1 cannot underflow to 0 and hide an infinite log.
            pos = times_where(np.broadcast_to(w, pos.shape), pos)
        loss = times_where(y, pos)
        loss += times_where(1 - y, neg)
        return loss

    result, ok = _reduce_elements(arr, y_arr, loss_of, how, ln_base, sw)
    if not ok:
        _diagnose_labels(y_arr)
        if from_logits:
            check_elementwise_logits(arr, "PRED")
        check_probabilities(arr, "PRED", distribution=False)
    return result


def _bce_logits(x: FloatArray, y: FloatArray, w: FloatArray | None) -> FloatArray:
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
        if x.min() == -np.inf:
            coef = times_where(coef, x)  # -inf with coef 0 (y = 0) is a 0 term
        else:
            coef *= x
    else:
        wb = np.broadcast_to(w, x.shape)
        c_neg = 1 - y
        tail *= y * wb + c_neg
        # -c_pos * x as -(y * (w * x)): y * w could underflow to 0 where w * x is huge.
        if x.min() == -np.inf:  # 0 * -inf terms (y = 0 or w = 0) are 0
            pos_part = times_where(y, times_where(wb, x))
            neg_part = times_where(c_neg, x)
        else:
            pos_part = wb * x
            pos_part *= y
            neg_part = c_neg * x
        coef = np.where(x > 0, neg_part, np.negative(pos_part, out=pos_part))
    loss = tail
    loss += coef
    return loss


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


def sigmoid_focal_loss(
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
) -> Any:
    """Binary focal loss ``-alpha_t (1 - p_t)^gamma log p_t``, element by element (RetinaNet).

    torchvision's ``sigmoid_focal_loss``: with ``p`` the predicted probability
    of the positive class, ``p_t = p y + (1 - p)(1 - y)``, the loss is the binary
    cross-entropy ``-[y log p + (1 - y) log(1 - p)]`` times ``(1 - p_t)^gamma``
    and times ``alpha_t = alpha y + (1 - alpha)(1 - y)`` (no ``alpha``: 1). Soft
    labels use the same formulas. ``1 - p_t = y (1 - p) + (1 - y) p`` is computed
    from ``exp(log(1 - p))`` and ``exp(log p)``, both exact from logits, so an
    easy example's factor does not round to 0 too early. A term with weight 0
    (alpha_t = 0, or a label that is exactly 0 or 1 on the side that does not
    apply) is 0 even where its log is infinite.

    Args:
        target: labels in [0, 1], same shape as ``pred``.
        pred: probabilities in [0, 1] or, with ``from_logits``, logits; any shape.
        gamma: focusing parameter, >= 0 (default 2; 0 gives the BCE back).
        alpha: weight of the positive class in [0, 1] (RetinaNet: 0.25), or None.
        base: log base: e (nats, default), 2 (bits), 10 (bans) or any b > 0, b != 1.
        from_logits: ``pred`` holds logits (torchvision's ``inputs``).
        eps: clip probabilities to ``[eps, 1 - eps]`` (off by default).
        reduction: over ALL elements: "mean" (default), "sum" or "none".
        sample_weights: as for :func:`binary_cross_entropy`.

    Returns:
        The loss in units of ``base``.

    >>> round(float(sigmoid_focal_loss(1, 0.8, gamma=2)), 6)  # 0.2^2 * -ln 0.8
    0.008926
    >>> round(float(sigmoid_focal_loss([1, 0], [0.8, 0.3], alpha=0.25, reduction="sum")), 6)
    0.026307
    """
    ln_base, _ = resolve_base(base)
    how = check_reduction(reduction)
    g = check_nonneg_scalar(gamma, "gamma")
    clip = check_eps(eps)
    a = None if alpha is None else check_nonneg_scalar(alpha, "alpha")
    if a is not None and a > 1:
        raise InputError(f"alpha must be in [0, 1] for the sigmoid focal loss; got {a:g}")
    arr = as_float_array(pred, "PRED", vector=False)
    y_arr = _labels(target, arr.shape, arr.dtype)
    width = max(arr.shape[-1], 1) if arr.ndim else 1
    sw = _element_weights(sample_weights, arr, width, how == "mean")
    trace = current_trace()
    if trace is not None:
        trace.allocate(arr.size // width, width, arr.dtype, "factor")
        assert trace.factor is not None
        trace.factor[:] = 1  # gamma = 0: no factor

    def loss_of(x: FloatArray, y: FloatArray, rows: slice) -> FloatArray | None:
        logs = _neg_logs(x, from_logits, clip)
        if logs is None:
            return None
        pos, neg = logs
        ce = times_where(y, pos)
        ce += times_where(1 - y, neg)
        if g:
            # 1 - p_t = y (1 - p) + (1 - y) p, each part from its own log.
            miss = times_where(y, np.exp(-neg))
            miss += times_where(1 - y, np.exp(-pos))
            factor = np.power(miss, g)
            if trace is not None:
                trace.factor[rows] = factor  # type: ignore[index]
            ce = times_where(factor, ce)  # (1 - p_t) = 0 only where p_t = 1
        if a is not None:
            ce = times_where(a * y + (1 - a) * (1 - y), ce)
        return ce

    result, ok = _reduce_elements(arr, y_arr, loss_of, how, ln_base, sw)
    if not ok:
        _diagnose_labels(y_arr)
        if from_logits:
            check_elementwise_logits(arr, "PRED")
        check_probabilities(arr, "PRED", distribution=False)
    return result

"""Surprisal, entropy, cross-entropy and KL divergence.

All logs are natural inside; a result in another base is divided by ln(base)
once, at the end. The convention 0 * log 0 = 0 holds throughout: a class with
zero target probability contributes nothing, even where the prediction is 0.
Batches run through the row-block kernel of :mod:`._blocks`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from xentcli.core._blocks import (
    Prediction,
    Trace,
    column_sums,
    current_trace,
    distribution_ok,
    log_probs,
    neg_log_prob_at,
    plogx,
    run_blocks,
    scale_classes,
    sum_tolerance,
    transposed,
    xlogx,
)
from xentcli.core._checks import (
    Base,
    FloatArray,
    as_float_array,
    check_eps,
    check_probabilities,
    check_reduction,
    check_smoothing,
    resolve_base,
    shape_mismatch,
)
from xentcli.core._divergence import js_terms, kl_columns, kl_terms
from xentcli.core._prepare import (
    check_sample_weights,
    class_weights,
    diagnose_prediction,
    finish,
    in_base,
    parse_target,
    reduce_rows,
    refuse_normalized_logits,
    safe_log,
    times_where,
)
from xentcli.errors import InputError


def surprisal(p: Any, *, base: Base = "e") -> Any:
    """Surprisal (self-information) ``-log p`` of each probability.

    A rare outcome is surprising: p = 0.001 (a panda in the forest) carries
    6.9 nats, p = 0.5 carries exactly 1 bit. ``p = 0`` gives +inf.

    Args:
        p: probabilities in [0, 1], any shape (they need not sum to 1).
        base: log base: e (nats, default), 2 (bits), 10 (bans) or any b > 0, b != 1.

    Returns:
        ``-log_b p``, same shape as ``p`` (a scalar for a scalar).

    >>> float(surprisal(0.001))
    6.907755278982137
    >>> float(surprisal(0.5, base=2))
    1.0
    """
    ln_base, _ = resolve_base(base)
    arr = check_probabilities(as_float_array(p, "P", vector=False), "P", distribution=False)
    return finish(in_base(0.0 - safe_log(arr), ln_base))  # 0.0 - x: no -0.0 for p = 1


def entropy(
    p: Any, *, base: Base = "e", normalize: bool = False, reduction: str = "mean"
) -> Any:
    """Shannon entropy ``H(p) = -sum_i p_i log p_i`` of each row.

    The expected surprisal of an outcome drawn from ``p``; 0 * log 0 = 0, so
    impossible outcomes add nothing. It is largest (log K) for the uniform
    distribution and 0 for a certain outcome.

    Args:
        p: distributions, shape (..., K); each row sums to 1 (within 1e-6).
        base: log base: e (nats, default), 2 (bits), 10 (bans) or any b > 0, b != 1.
        normalize: rescale each row to sum to 1 instead of refusing it.
        reduction: over the rows: "mean" (default), "sum" or "none" (shape (...)).

    Returns:
        The entropy in units of ``base``.

    >>> float(entropy([0.2, 0.3, 0.5]))  # panda, bird, dog
    1.02965301406457
    >>> float(entropy([0.5, 0.5], base=2))
    1.0
    """
    ln_base, _ = resolve_base(base)
    how = check_reduction(reduction)
    arr = as_float_array(p, "P")
    k = arr.shape[-1]
    p2 = arr.reshape(-1, k)
    per_row = np.empty(p2.shape[0], dtype=arr.dtype)
    tol = sum_tolerance(k, arr.dtype)
    trace = current_trace()
    if trace is not None:
        trace.allocate(p2.shape[0], k, arr.dtype, "terms", "target")

    def block(rows: slice) -> bool:
        t = transposed(p2, rows)
        if not distribution_ok(t, tol, normalize):
            return False
        work = np.empty_like(t)
        per_row[rows] = 0.0 - xlogx(t, work)  # no -0.0 for a certain outcome
        if trace is not None:
            _record(trace, rows, terms=0.0 - work, target=t)
        return True

    if not run_blocks(block, p2.shape[0], k):
        check_probabilities(arr, "P", distribution=True, normalize=normalize)
    if trace is not None:
        trace.rows = per_row.copy()
    return reduce_rows(per_row.reshape(arr.shape[:-1]), how, ln_base)


def _record(trace: Trace, rows: slice, **blocks: FloatArray) -> None:
    """Copy transposed (K, C) blocks into the trace's (N, K) arrays."""
    for name, block in blocks.items():
        getattr(trace, name)[rows] = block.T


def cross_entropy(
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
) -> Any:
    """Cross-entropy ``H(y, q) = -sum_i w_i y_i log q_i`` of prediction ``q`` against target ``y``.

    With a one-hot (or class-index) target this is ``-log q_true``, the
    negative log-likelihood of the true class. Without weights,
    ``H(y, q) = H(y) + D_KL(y || q)``, so it is never below the target's own
    entropy.

    0 * log 0 = 0: a class with target 0 adds nothing, even where q is 0 there.
    A target class predicted with probability exactly 0 gives +inf (pass
    ``eps`` to clip instead), however small its target or weight. From logits
    ``z`` the log-probabilities are ``z - logsumexp(z)``, computed stably;
    ``log(softmax(z))`` is never formed.

    Args:
        target: distributions of ``pred``'s shape (one-hot or soft, e.g. mixup),
            or integer class indices of shape ``pred.shape[:-1]``.
        pred: probabilities (rows summing to 1) or, with ``from_logits``, logits;
            shape (..., K).
        base: log base: e (nats, default), 2 (bits), 10 (bans) or any b > 0, b != 1.
        from_logits: ``pred`` holds logits.
        weights: per-class weights ``w`` >= 0, shape (K,). The "mean" reduction is
            then the weighted mean ``sum_n l_n / sum_n sum_i w_i y_ni``; with class
            indices that is ``sum_n l_n / sum_n w[y_n]``, as in torch (torch
            divides by N instead for soft targets). With ``label_smoothing``
            the row weights use the smoothed target, where torch keeps
            ``w[y_n]``: the two means then differ slightly. A class of weight 0
            adds nothing, even where it is predicted with probability 0.
        label_smoothing: ``eps`` in [0, 1): the target becomes ``(1 - eps) y + eps / K``.
        eps: clip the predicted probabilities to ``[eps, 1 - eps]`` (off by default).
        normalize: rescale target and prediction rows that do not sum to 1.
        reduction: over the rows: "mean" (default), "sum" or "none" (shape (...)).
        ignore_index: with class-index targets, rows whose index is this value
            (any whole number, e.g. torch's -100) leave the loss: they count 0
            under "none" and "sum" and leave the mean's denominator (torch's rule).
        sample_weights: one weight ``s_n`` >= 0 per row, shape ``pred.shape[:-1]``:
            "none" gives ``s_n l_n``, "sum" ``sum_n s_n l_n`` and "mean"
            ``sum_n s_n l_n / sum_n s_n m_n`` (``m_n``: the row's class-weight
            mass above, 1 without ``weights``), sklearn's ``sample_weight``.

    Returns:
        The cross-entropy in units of ``base``.

    A batch in chunks: the "mean" is the sum of the chunks' ``reduction="sum"``
    values divided by the sum of their :func:`~xentcli.core.mean_denominator`.

    >>> float(cross_entropy([1, 0, 0], [0.7, 0.2, 0.1]))
    0.35667494393873245
    >>> float(cross_entropy(2, [0.1, 0.2, 0.7]))  # class index 2: the dog
    0.35667494393873245
    >>> float(cross_entropy([2, -100], [[0.1, 0.2, 0.7], [0.5, 0.5, 0.0]], ignore_index=-100))
    0.35667494393873245
    """
    ln_base, _ = resolve_base(base)
    how = check_reduction(reduction)
    smoothing = check_smoothing(label_smoothing)
    clip = check_eps(eps)
    arr = as_float_array(pred, "PRED")
    refuse_normalized_logits(from_logits, normalize)
    k = arr.shape[-1]
    lead = arr.shape[:-1]
    tgt = parse_target(target, arr.shape, ignore_index=ignore_index)
    trace = current_trace()
    # A weighted mean does not change when the weights are scaled: scaled, 1e308 cannot
    # overflow the products and sums into inf / inf. (A breakdown shows the terms with
    # the weights as given.)
    w = class_weights(weights, k, arr.dtype, scale=how == "mean" and trace is None)
    rows_w = check_sample_weights(sample_weights, lead, arr.dtype, scale=how == "mean")
    q2 = arr.reshape(-1, k)
    per_row = np.empty(q2.shape[0], dtype=arr.dtype)
    mass = None if w is None else np.empty_like(per_row)
    tol = sum_tolerance(k, arr.dtype)
    how_pred = Prediction(from_logits, clip, normalize, tol)
    if trace is not None:
        trace.allocate(q2.shape[0], k, arr.dtype, "terms", "log_prob", "target")

    def block(rows: slice) -> bool:
        t = transposed(q2, rows)
        work = np.empty_like(t)
        if tgt.labels is not None and not smoothing and trace is None:
            # Class indices: only the true class's log-probability is needed.
            nll = neg_log_prob_at(t, work, tgt.labels[rows], how_pred)
            if nll is None:
                return False
            if w is not None and mass is not None:
                mass[rows] = w[tgt.labels[rows]]
                nll = times_where(mass[rows], nll)
            per_row[rows] = nll
            return True
        if not log_probs(t, work, how_pred):
            return False
        y = tgt.block(rows, arr.dtype, smoothing, tol, normalize)
        if y is None:
            return False
        if trace is not None:
            _record(trace, rows, log_prob=t, target=y)
        if w is not None and mass is not None:
            mass[rows] = column_sums(np.multiply(y, w[:, None], out=work))
            scale_classes(t, w)
        per_row[rows] = 0.0 - plogx(y, t, work)
        if trace is not None:
            _record(trace, rows, terms=0.0 - work)
        return True

    if not run_blocks(block, q2.shape[0], k):
        diagnose_prediction(arr, "PRED", from_logits=from_logits, normalize=normalize)
        tgt.diagnose(normalize)
    if trace is not None:
        trace.rows = per_row.copy()
        trace.drop_rows(tgt.ignored)
    return reduce_rows(
        per_row.reshape(lead), how, ln_base, None if mass is None else mass.reshape(lead),
        rows_w, tgt.ignored,
    )


def kl_divergence(
    p: Any,
    q: Any,
    *,
    base: Base = "e",
    from_logits: bool = False,
    eps: float | None = None,
    normalize: bool = False,
    reduction: str = "mean",
    sample_weights: Any = None,
) -> Any:
    """Kullback-Leibler divergence ``D_KL(p || q) = sum_i p_i (log p_i - log q_i)``.

    The extra surprisal paid for believing ``q`` when outcomes follow ``p``:
    ``D_KL(p || q) = H(p, q) - H(p) >= 0``, with equality only when q = p.
    It is not symmetric. Terms with p_i = 0 are 0; p_i > 0 with q_i = 0 gives +inf.

    A tiny divergence (Q close to P) keeps full relative precision: such rows
    are recomputed as ``sum_i [p_i log(p_i/q_i) - p_i + q_i] + sum_i (p_i - q_i)``
    with ``log(p/q) = 2 atanh((p - q)/(p + q))``, so that neither the logs nor
    the terms cancel (scipy's ``rel_entr`` sums terms that do). From logits, Q
    is only as exact as its log-softmax (about 1e-16 absolute per log), which
    bounds a tiny divergence's relative accuracy to about 1e-16 / |p - q|.

    Args:
        p: the true distributions, shape (..., K).
        q: the approximating distributions (or logits with ``from_logits``), same shape.
        base: log base: e (nats, default), 2 (bits), 10 (bans) or any b > 0, b != 1.
        from_logits: ``q`` holds logits.
        eps: clip ``q`` to ``[eps, 1 - eps]`` (off by default).
        normalize: rescale rows that do not sum to 1.
        reduction: over the rows: "mean" (default), "sum" or "none" (shape (...)).
        sample_weights: one weight >= 0 per row, shape ``q.shape[:-1]``: the mean is
            ``sum_n s_n l_n / sum_n s_n``, the sum ``sum_n s_n l_n``, "none" ``s_n l_n``.

    Returns:
        The divergence in units of ``base``.

    >>> p, q = [0.2, 0.3, 0.5], [0.1, 0.2, 0.7]
    >>> round(float(kl_divergence(p, q)), 6)
    0.092033
    >>> bool(np.isclose(kl_divergence(p, q), cross_entropy(p, q) - entropy(p)))
    True
    >>> float(kl_divergence([0.5, 0.5], [0.5 + 2**-30, 0.5 - 2**-30]))  # every digit right
    1.734723475976807e-18
    """
    ln_base, _ = resolve_base(base)
    how = check_reduction(reduction)
    clip = check_eps(eps)
    q_arr = as_float_array(q, "Q")
    refuse_normalized_logits(from_logits, normalize)
    p_arr = as_float_array(p, "P").astype(q_arr.dtype, copy=False)
    if p_arr.shape != q_arr.shape:
        raise InputError(shape_mismatch("P", p_arr.shape, "Q", q_arr.shape))
    k = q_arr.shape[-1]
    rows_w = check_sample_weights(
        sample_weights, q_arr.shape[:-1], q_arr.dtype, scale=how == "mean"
    )
    p2, q2 = p_arr.reshape(-1, k), q_arr.reshape(-1, k)
    per_row = np.empty(q2.shape[0], dtype=q_arr.dtype)
    tol = sum_tolerance(k, q_arr.dtype)
    how_pred = Prediction(from_logits, clip, normalize, tol)
    # Below this the plain sum may have lost digits (its error is about
    # eps * (H(p) + H(p, q)), and H(p) <= ln K): such rows are recomputed.
    tiny = 0.02 * max(1.0, math.log(k))
    trace = current_trace()
    if trace is not None:
        trace.allocate(q2.shape[0], k, q_arr.dtype, "terms", "log_prob", "target")

    def block(rows: slice) -> bool:
        log_q = transposed(q2, rows)
        work = np.empty_like(log_q)
        if not log_probs(log_q, work, how_pred):
            return False
        pt = transposed(p2, rows)
        if not distribution_ok(pt, tol, normalize):
            return False
        log_p = np.log(pt)
        np.subtract(log_p, log_q, out=log_p, where=pt != 0)
        kl = plogx(pt, log_p, work)
        close = kl < tiny
        if close.any():
            p64, q64, log_q64 = _close_inputs(
                pt[:, close], log_q[:, close], q2[rows][close], how_pred
            )
            kl[close] = kl_columns(p64, q64, log_q64)
            if trace is not None:
                work[:, close] = kl_terms(p64, q64, log_q64)
        per_row[rows] = kl
        if trace is not None:
            _record(trace, rows, terms=work, log_prob=log_q, target=pt)
        return True

    if not run_blocks(block, q2.shape[0], k):
        diagnose_prediction(q_arr, "Q", from_logits=from_logits, normalize=normalize)
        check_probabilities(p_arr, "P", distribution=True, normalize=normalize)
    # Gibbs' inequality: KL >= 0. A tiny negative sum is rounding (p ~ q), not signal.
    np.maximum(per_row, 0, out=per_row)
    if trace is not None:
        trace.rows = per_row.copy()
    return reduce_rows(per_row.reshape(q_arr.shape[:-1]), how, ln_base, None, rows_w)


def _close_inputs(
    p: FloatArray, log_q: FloatArray, q_rows: FloatArray, how: Prediction
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(p, q, log q) in float64 for the columns whose plain KL sum is small.

    ``q_rows`` are the raw prediction rows (N, K): probabilities are re-read from
    them (the block holds only their logs, and ``exp(log q)`` would not give q back
    to the last bit), normalized and clipped as the block did.
    """
    p64 = p.astype(np.float64)
    log_q64 = log_q.astype(np.float64)
    if how.from_logits:
        q64 = np.exp(log_q64)
    else:
        q64 = q_rows.T.astype(np.float64)
        if how.normalize:
            q64 = q64 / q64.sum(axis=0)
        if how.eps is not None:
            q64 = np.clip(q64, how.eps, 1 - how.eps)
        log_q64 = np.log(q64)
    return p64, q64, log_q64


def js_divergence(
    p: Any,
    q: Any,
    *,
    base: Base = "e",
    distance: bool = False,
    normalize: bool = False,
    reduction: str = "mean",
    sample_weights: Any = None,
) -> Any:
    """Jensen-Shannon divergence ``JS(p, q) = KL(p || m)/2 + KL(q || m)/2``, ``m = (p + q)/2``.

    A symmetric, always finite smoothing of KL: 0 when p = q, at most
    ``log 2`` (1 bit) when p and q share no class. With ``distance=True`` the
    result is its square root, the Jensen-Shannon distance (a metric), which is
    what scipy's ``jensenshannon`` returns (in the same base). Each class adds
    ``p log(2p/(p+q)) + q log(2q/(p+q)) >= 0`` (0 log 0 = 0), computed from
    ``d = (p - q)/(p + q)`` as ``(p + q)/2 [2 d atanh d + log1p(-d^2)]`` where p
    and q are close, so even a divergence of 1e-30 keeps its digits.

    Args:
        p, q: distributions, shape (..., K) each.
        base: log base: e (nats, default), 2 (bits), 10 (bans) or any b > 0, b != 1.
        distance: return ``sqrt(JS)`` per row (in ``base``), reduced after the root.
        normalize: rescale rows that do not sum to 1.
        reduction: over the rows: "mean" (default), "sum" or "none" (shape (...)).
        sample_weights: one weight >= 0 per row: the mean is ``sum s_n l_n / sum s_n``.

    Returns:
        The divergence (or distance) in units of ``base``.

    >>> round(float(js_divergence([1, 0], [0, 1], base=2)), 12)  # disjoint: 1 bit
    1.0
    >>> round(float(js_divergence([0.5, 0.5], [0.9, 0.1], distance=True)), 6)
    0.318982
    """
    ln_base, _ = resolve_base(base)
    how = check_reduction(reduction)
    q_arr = as_float_array(q, "Q")
    p_arr = as_float_array(p, "P").astype(q_arr.dtype, copy=False)
    if p_arr.shape != q_arr.shape:
        raise InputError(shape_mismatch("P", p_arr.shape, "Q", q_arr.shape))
    k = q_arr.shape[-1]
    rows_w = check_sample_weights(
        sample_weights, q_arr.shape[:-1], q_arr.dtype, scale=how == "mean"
    )
    p2, q2 = p_arr.reshape(-1, k), q_arr.reshape(-1, k)
    per_row = np.empty(q2.shape[0], dtype=q_arr.dtype)
    tol = sum_tolerance(k, q_arr.dtype)

    trace = current_trace()
    if trace is not None:
        trace.allocate(q2.shape[0], k, q_arr.dtype, "terms", "target", "prob")

    def block(rows: slice) -> bool:
        pt, qt = transposed(p2, rows), transposed(q2, rows)
        if not (distribution_ok(pt, tol, normalize) and distribution_ok(qt, tol, normalize)):
            return False
        terms = js_terms(pt.astype(np.float64), qt.astype(np.float64))
        per_row[rows] = column_sums(terms)
        if trace is not None:
            _record(trace, rows, terms=terms, target=pt, prob=qt)
        return True

    if not run_blocks(block, q2.shape[0], k):
        check_probabilities(p_arr, "P", distribution=True, normalize=normalize)
        check_probabilities(q_arr, "Q", distribution=True, normalize=normalize)
    if trace is not None:
        trace.rows = per_row.copy()
    if distance:
        in_base(per_row, ln_base)
        np.sqrt(per_row, out=per_row)
        ln_base = 1.0
    return reduce_rows(per_row.reshape(q_arr.shape[:-1]), how, ln_base, None, rows_w)


def perplexity(
    target: Any,
    pred: Any,
    *,
    from_logits: bool = False,
    weights: Any = None,
    label_smoothing: float = 0.0,
    eps: float | None = None,
    normalize: bool = False,
    ignore_index: int | None = None,
    sample_weights: Any = None,
) -> Any:
    """Perplexity ``exp(mean_n H(y_n, q_n))``: the exponential of the mean cross-entropy in nats.

    The effective number of equally likely choices the model hesitates between:
    a uniform guess over K classes has perplexity K, a perfect model 1. It is the
    same number whatever the log base (``b ** H_b = e ** H_nats``). Bits per token
    (the mean cross-entropy in bits) is ``log2(perplexity)``, computed without the
    round trip as ``cross_entropy(target, pred, base=2)``.

    Takes the options of :func:`cross_entropy` (``ignore_index`` for padding
    tokens, ``sample_weights`` for a weighted mean). For a batch in chunks, sum
    the chunks' ``cross_entropy(..., reduction="sum")`` and their
    :func:`~xentcli.core.mean_denominator`, then take ``exp(sum / denominator)``.

    >>> float(perplexity([0, 1], [[0.25] * 4, [0.25] * 4]))  # uniform over 4 classes
    4.0
    """
    nats = cross_entropy(
        target, pred, from_logits=from_logits, weights=weights,
        label_smoothing=label_smoothing, eps=eps, normalize=normalize, reduction="mean",
        ignore_index=ignore_index, sample_weights=sample_weights,
    )
    with np.errstate(over="ignore"):  # a mean above ~709 nats: inf is the right answer
        return finish(np.exp(np.asarray(nats)), np.asarray(nats).dtype)

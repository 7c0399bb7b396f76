"""Surprisal, entropy, cross-entropy and KL divergence.

All logs are natural inside; a result in another base is divided by ln(base)
once, at the end. The convention 0 * log 0 = 0 holds throughout: a class with
zero target probability contributes nothing, even where the prediction is 0.
Batches run through the row-block kernel of :mod:`._blocks`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from xentcli.core._blocks import (
    Prediction,
    column_sums,
    distribution_ok,
    log_probs,
    neg_log_prob_at,
    plogx,
    run_blocks,
    sum_tolerance,
    transposed,
    xlogx,
)
from xentcli.core._checks import (
    Base,
    as_float_array,
    check_eps,
    check_probabilities,
    check_reduction,
    check_smoothing,
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
    return finish((0.0 - safe_log(arr)) / ln_base)  # 0.0 - x: no -0.0 for p = 1


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

    def block(rows: slice) -> bool:
        t = transposed(p2, rows)
        if not distribution_ok(t, tol, normalize):
            return False
        per_row[rows] = 0.0 - xlogx(t, np.empty_like(t))  # no -0.0 for a certain outcome
        return True

    if not run_blocks(block, p2.shape[0], k):
        check_probabilities(arr, "P", distribution=True, normalize=normalize)
    return reduce_rows(per_row.reshape(arr.shape[:-1]), how, ln_base)


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
) -> Any:
    """Cross-entropy ``H(y, q) = -sum_i w_i y_i log q_i`` of prediction ``q`` against target ``y``.

    With a one-hot (or class-index) target this is ``-log q_true``, the
    negative log-likelihood of the true class. Without weights,
    ``H(y, q) = H(y) + D_KL(y || q)``, so it is never below the target's own
    entropy.

    0 * log 0 = 0: a class with target 0 adds nothing, even where q is 0 there.
    A target class predicted with probability exactly 0 gives +inf (pass
    ``eps`` to clip instead). From logits ``z`` the log-probabilities are
    ``z - logsumexp(z)``, computed stably; ``log(softmax(z))`` is never formed.

    Args:
        target: distributions of ``pred``'s shape (one-hot or soft, e.g. mixup),
            or integer class indices of shape ``pred.shape[:-1]``.
        pred: probabilities (rows summing to 1) or, with ``from_logits``, logits;
            shape (..., K).
        base: log base: e (nats, default), 2 (bits), 10 (bans) or any b > 0, b != 1.
        from_logits: ``pred`` holds logits.
        weights: per-class weights ``w``, shape (K,). The "mean" reduction is then
            the weighted mean ``sum_n l_n / sum_n sum_i w_i y_ni``; with class
            indices that is ``sum_n l_n / sum_n w[y_n]``, as in torch (torch
            divides by N instead for soft targets). With ``label_smoothing``
            the row weights use the smoothed target, where torch keeps
            ``w[y_n]``: the two means then differ slightly.
        label_smoothing: ``eps`` in [0, 1): the target becomes ``(1 - eps) y + eps / K``.
        eps: clip the predicted probabilities to ``[eps, 1 - eps]`` (off by default).
        normalize: rescale target and prediction rows that do not sum to 1.
        reduction: over the rows: "mean" (default), "sum" or "none" (shape (...)).

    Returns:
        The cross-entropy in units of ``base``.

    >>> float(cross_entropy([1, 0, 0], [0.7, 0.2, 0.1]))
    0.35667494393873245
    >>> float(cross_entropy(2, [0.1, 0.2, 0.7]))  # class index 2: the dog
    0.35667494393873245
    """
    ln_base, _ = resolve_base(base)
    how = check_reduction(reduction)
    smoothing = check_smoothing(label_smoothing)
    clip = check_eps(eps)
    arr = as_float_array(pred, "PRED")
    refuse_normalized_logits(from_logits, normalize)
    k = arr.shape[-1]
    tgt = parse_target(target, arr.shape)
    w = class_weights(weights, k, arr.dtype)
    q2 = arr.reshape(-1, k)
    per_row = np.empty(q2.shape[0], dtype=arr.dtype)
    mass = None if w is None else np.empty_like(per_row)
    tol = sum_tolerance(k, arr.dtype)
    how_pred = Prediction(from_logits, clip, normalize, tol)

    def block(rows: slice) -> bool:
        t = transposed(q2, rows)
        work = np.empty_like(t)
        if tgt.labels is not None and not smoothing:
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
        if w is not None and mass is not None:
            y *= w[:, None]
            mass[rows] = column_sums(y)
        per_row[rows] = 0.0 - plogx(y, t, work)
        return True

    if not run_blocks(block, q2.shape[0], k):
        diagnose_prediction(arr, "PRED", from_logits=from_logits, normalize=normalize)
        tgt.diagnose(normalize)
    lead = arr.shape[:-1]
    return reduce_rows(
        per_row.reshape(lead), how, ln_base, None if mass is None else mass.reshape(lead)
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
) -> Any:
    """Kullback-Leibler divergence ``D_KL(p || q) = sum_i p_i (log p_i - log q_i)``.

    The extra surprisal paid for believing ``q`` when outcomes follow ``p``:
    ``D_KL(p || q) = H(p, q) - H(p) >= 0``, with equality only when q = p.
    It is not symmetric. Terms with p_i = 0 are 0; p_i > 0 with q_i = 0 gives +inf.

    Args:
        p: the true distributions, shape (..., K).
        q: the approximating distributions (or logits with ``from_logits``), same shape.
        base: log base: e (nats, default), 2 (bits), 10 (bans) or any b > 0, b != 1.
        from_logits: ``q`` holds logits.
        eps: clip ``q`` to ``[eps, 1 - eps]`` (off by default).
        normalize: rescale rows that do not sum to 1.
        reduction: over the rows: "mean" (default), "sum" or "none" (shape (...)).

    Returns:
        The divergence in units of ``base``.

    >>> p, q = [0.2, 0.3, 0.5], [0.1, 0.2, 0.7]
    >>> round(float(kl_divergence(p, q)), 6)
    0.092033
    >>> bool(np.isclose(kl_divergence(p, q), cross_entropy(p, q) - entropy(p)))
    True
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
    p2, q2 = p_arr.reshape(-1, k), q_arr.reshape(-1, k)
    per_row = np.empty(q2.shape[0], dtype=q_arr.dtype)
    tol = sum_tolerance(k, q_arr.dtype)

    def block(rows: slice) -> bool:
        log_q = transposed(q2, rows)
        work = np.empty_like(log_q)
        if not log_probs(log_q, work, Prediction(from_logits, clip, normalize, tol)):
            return False
        pt = transposed(p2, rows)
        if not distribution_ok(pt, tol, normalize):
            return False
        # sum p (log p - log q) = sum p log p - sum p log q, each with 0 log 0 = 0.
        # Subtracting per term (not the two sums) keeps p ~ q accurate.
        log_p = np.log(pt)
        np.subtract(log_p, log_q, out=log_p, where=pt != 0)
        per_row[rows] = plogx(pt, log_p, work)
        return True

    if not run_blocks(block, q2.shape[0], k):
        diagnose_prediction(q_arr, "Q", from_logits=from_logits, normalize=normalize)
        check_probabilities(p_arr, "P", distribution=True, normalize=normalize)
    # Gibbs' inequality: KL >= 0. A tiny negative sum is rounding (p ~ q), not signal.
    np.maximum(per_row, 0, out=per_row)
    return reduce_rows(per_row.reshape(q_arr.shape[:-1]), how, ln_base)

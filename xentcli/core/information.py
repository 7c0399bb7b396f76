"""Surprisal, entropy, cross-entropy and KL divergence.

All logs are natural inside; a result in another base is divided by ln(base)
once, at the end. The convention 0 * log 0 = 0 holds throughout: a class with
zero target probability contributes nothing, even where the prediction is 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np

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
    finish,
    log_prediction,
    parse_target,
    reduce_rows,
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
    return finish(-safe_log(arr) / ln_base)


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
    1.0296530140645737
    >>> float(entropy([0.5, 0.5], base=2))
    1.0
    """
    ln_base, _ = resolve_base(base)
    how = check_reduction(reduction)
    arr = check_probabilities(as_float_array(p, "P"), "P", distribution=True, normalize=normalize)
    per_row = -times_where(arr, safe_log(arr)).sum(axis=-1) / ln_base
    return reduce_rows(per_row, how)


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
    negative log-likelihood of the true class. ``H(y, q) = H(y) + D_KL(y || q)``,
    so it is never below the target's own entropy.

    From logits ``z`` the log-probabilities are ``z - logsumexp(z)``, computed
    stably; ``log(softmax(z))`` is never formed. A target class predicted with
    probability exactly 0 gives +inf (pass ``eps`` to clip instead).

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
            divides by N instead for soft targets).
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
    log_q = log_prediction(
        pred, "PRED", from_logits=from_logits, eps=check_eps(eps), normalize=normalize
    )
    tgt = parse_target(target, log_q.shape, normalize=normalize)
    w = class_weights(weights, tgt.k, log_q.dtype)
    mass = None
    if tgt.indices is not None and not smoothing:
        # Class indices: pick the true class's log-probability, no one-hot matrix.
        picked = -np.take_along_axis(log_q, tgt.indices[..., None], axis=-1)[..., 0]
        if w is None:
            per_row = picked
        else:
            mass = w[tgt.indices]
            per_row = times_where(mass, picked)
    else:
        y = tgt.as_dense(log_q.dtype, smoothing)
        if w is not None:
            y = y * w
            mass = y.sum(axis=-1)
        per_row = -times_where(y, log_q).sum(axis=-1)
    return reduce_rows(per_row / ln_base, how, mass)


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
    log_q = log_prediction(
        q, "Q", from_logits=from_logits, eps=check_eps(eps), normalize=normalize
    )
    arr = as_float_array(p, "P")
    if arr.shape != log_q.shape:
        raise InputError(shape_mismatch("P", arr.shape, "Q", log_q.shape))
    p_arr = check_probabilities(arr, "P", distribution=True, normalize=normalize)
    mask = p_arr > 0
    # log p - log q, only where p > 0 (elsewhere the term is 0 by convention).
    diff = np.zeros(np.broadcast_shapes(p_arr.shape, log_q.shape), dtype=log_q.dtype)
    np.subtract(safe_log(p_arr), log_q, out=diff, where=mask)
    per_row = times_where(p_arr.astype(log_q.dtype, copy=False), diff).sum(axis=-1)
    # Gibbs' inequality: KL >= 0. A tiny negative sum is rounding (p ~ q), not signal.
    per_row = np.maximum(per_row, 0) / ln_base
    return reduce_rows(per_row, how)

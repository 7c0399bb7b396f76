"""Divergence terms without cancellation, for distributions that nearly agree.

``sum_i p_i log(p_i / q_i)`` loses its digits as Q -> P twice over: each term
subtracts two nearly equal logs, and the terms (some positive, some negative,
each of the size of ``p_i - q_i``) cancel to a total of the size of
``(p_i - q_i)^2``. Both are avoided here:

* with ``s = p + q`` and ``d = (p - q) / s`` (exact where p and q are close),
  ``log(p / q) = 2 atanh(d)``, a function of the small difference itself;
* KL is written as ``sum_i [p_i log(p_i / q_i) - p_i + q_i] + sum_i (p_i - q_i)``:
  every bracket is >= 0 (a Bregman term, ``s [d atanh d + (atanh d - d)]``), so
  their sum cannot cancel, and the last sum, which is only the rounding of the
  inputs' totals, is added up exactly (compensated);
* JS needs neither trick for its sum: each class's term
  ``p log(2p/s) + q log(2q/s) = (s/2) [2 d atanh d + log1p(-d^2)]`` is >= 0.

All arrays are transposed blocks (classes, columns) in float64.
"""

from __future__ import annotations

import numpy as np

from xentcli.core._checks import FloatArray

#: Below this |d|, ``atanh(d) - d`` comes from its series (the direct difference
#: would keep only about |d|^2 of its digits).
_SERIES_BELOW = 0.1
#: Coefficients of ``(atanh(d) - d) / d^3 = sum_k d^(2k) / (2k + 3)``: 10 terms
#: reach 1e-20 relative at |d| = 0.1.
_ATANH_TAIL = [1.0 / (2 * k + 3) for k in range(10)]


def _atanh_minus_identity(d: FloatArray) -> FloatArray:
    """``atanh(d) - d`` to full relative precision for every |d| < 1."""
    out = np.arctanh(d) - d
    small = np.abs(d) < _SERIES_BELOW
    if small.any():
        ds = d[small]
        d2 = ds * ds
        acc = np.full_like(ds, _ATANH_TAIL[-1])
        for c in reversed(_ATANH_TAIL[:-1]):
            acc *= d2
            acc += c
        out[small] = acc * d2 * ds
    return out


def _ratio_log(p: FloatArray, q: FloatArray, log_q: FloatArray) -> FloatArray:
    """``log(p / q)`` for p, q > 0 far apart: one rounding in ``p / q`` where it is a
    normal number, else ``log p - log q`` (the ratio over- or underflows)."""
    ratio = p / q
    normal = (ratio > np.finfo(np.float64).tiny) & (ratio < np.inf)
    out = np.log(p) - log_q
    np.log(ratio, out=out, where=normal)
    return out


def kl_columns(p: FloatArray, q: FloatArray, log_q: FloatArray) -> FloatArray:
    """``D_KL`` per column of (K, C) blocks, accurate also where q ~ p.

    ``q`` are the probabilities and ``log_q`` their logs (from log-softmax for
    logits, where ``q`` may have underflowed to 0 but ``log_q`` is finite).
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        s = p + q
        d = (p - q) / s
        near = np.abs(d) <= 0.5
        terms = np.zeros_like(p)
        dn = d[near]
        a = np.arctanh(dn)
        terms[near] = s[near] * (dn * a + _atanh_minus_identity(dn))
        far = ~near & (s > 0)
        pf, qf, lqf = p[far], q[far], log_q[far]
        term = np.where(pf > 0, pf * _ratio_log(pf, qf, lqf), 0.0) - pf + qf
        # q = 0 (or underflowed) where p > 0: log q = -inf, the term is +inf.
        term[(pf > 0) & (lqf == -np.inf)] = np.inf
        terms[far] = term
    total: FloatArray = np.add.reduce(terms, axis=0)
    total += _exact_sum(p - q)
    np.maximum(total, 0, out=total)
    return total


def kl_terms(p: FloatArray, q: FloatArray, log_q: FloatArray) -> FloatArray:
    """Each class's ``p log(p / q)`` (for display), accurate where q ~ p.

    Near: ``p * 2 atanh(d)``; far: ``p log(p / q)``; 0 where p = 0, +inf where
    only q = 0. (Their plain sum may cancel; :func:`kl_columns` does not.)
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        s = p + q
        d = (p - q) / s
        near = np.abs(d) <= 0.5
        out = np.zeros_like(p)
        out[near] = p[near] * 2 * np.arctanh(d[near])
        far = ~near & (p > 0)
        out[far] = p[far] * _ratio_log(p[far], q[far], log_q[far])
        out[far & (log_q == -np.inf)] = np.inf
    return out


def _exact_sum(x: FloatArray) -> FloatArray:
    """Column sums of ``x`` with a compensated (two-sum) accumulation."""
    k = x.shape[0]
    if k > 64 and x.shape[1] < k:
        import math

        return np.array([math.fsum(col) for col in x.T], dtype=x.dtype)
    s = np.zeros(x.shape[1], dtype=x.dtype)
    c = np.zeros_like(s)
    for row in x:
        t = s + row
        bp = t - s
        c += (s - (t - bp)) + (row - bp)
        s = t
    out: FloatArray = s + c
    return out


def js_terms(p: FloatArray, q: FloatArray) -> FloatArray:
    """Each class's share of JS: ``(p log(2p/s) + q log(2q/s)) / 2``, each >= 0."""
    with np.errstate(divide="ignore", invalid="ignore", under="ignore"):
        s = p + q
        d = (p - q) / s
        near = np.abs(d) <= 0.5
        terms = np.zeros_like(p)
        dn = d[near]
        # (1 + d) log(1 + d) + (1 - d) log(1 - d) = 2 d atanh(d) + log1p(-d^2): the two
        # parts are ~2d^2 and ~-d^2, so at most one digit cancels.
        terms[near] = 0.25 * s[near] * (2 * dn * np.arctanh(dn) + np.log1p(-dn * dn))
        far = ~near & (s > 0)
        pf, qf = p[far], q[far]
        m = 0.5 * pf + 0.5 * qf
        term = np.zeros_like(pf)
        np.multiply(pf, np.log(pf / m), out=term, where=pf > 0)
        extra = np.zeros_like(qf)
        np.multiply(qf, np.log(qf / m), out=extra, where=qf > 0)
        terms[far] = 0.5 * (term + extra)
    np.maximum(terms, 0, out=terms)  # >= 0 in exact arithmetic; keep rounding there too
    return terms

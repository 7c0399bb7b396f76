"""The new measures against a 50-digit mpmath reference, and KL/JS as Q -> P.

As in test_core_reference.py, every input float is taken exactly, so the
reference is the true value of the same math on the same numbers: agreement is
a relative error <= 1e-12 (absolute <= 1e-300 where the truth is ~0).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import mpmath
import numpy as np
import pytest
from test_core_reference import EXTREME_LOGITS, TINY_DISTRIBUTIONS, agree, mlog, ref_log_softmax

from xentcli.core import (
    binary_cross_entropy,
    brier_score,
    cross_entropy,
    expected_calibration_error,
    focal_loss,
    js_divergence,
    kl_divergence,
    perplexity,
    sigmoid_focal_loss,
)

mpmath.mp.dps = 50
INF = mpmath.mpf("inf")


def ref_kl(p: Sequence[float], q: Sequence[float]) -> mpmath.mpf:
    total = mpmath.fsum(mpmath.mpf(a) * (mlog(a) - mlog(b)) for a, b in zip(p, q, strict=True) if a)
    return max(total, mpmath.mpf(0))  # KL is clamped at 0 (Gibbs), as documented


def ref_js(p: Sequence[float], q: Sequence[float]) -> mpmath.mpf:
    terms = []
    for a, b in zip(p, q, strict=True):
        ma, mb = mpmath.mpf(a), mpmath.mpf(b)
        m = (ma + mb) / 2
        if a:
            terms.append(ma * mpmath.log(ma / m))
        if b:
            terms.append(mb * mpmath.log(mb / m))
    return mpmath.fsum(terms) / 2


def near_pairs(k: int, delta: float, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of P and Q = P (1 + delta * noise), renormalized: KL ~ delta^2."""
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(k), size=n)
    q = p * (1 + delta * rng.normal(size=p.shape))
    return p, q / q.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("k", [2, 3, 10, 200])
@pytest.mark.parametrize("delta", [1e-2, 1e-4, 1e-7, 1e-10, 1e-13])
def test_kl_and_js_as_q_approaches_p(k: int, delta: float) -> None:
    p, q = near_pairs(k, delta, 3, seed=k)
    kl_rows = kl_divergence(p, q, reduction="none")
    js_rows = js_divergence(p, q, reduction="none")
    refs_kl = [ref_kl(a, b) for a, b in zip(p, q, strict=True)]
    refs_js = [ref_js(a, b) for a, b in zip(p, q, strict=True)]
    for got, ref in zip(kl_rows, refs_kl, strict=True):
        assert agree(float(got), ref), (k, delta, float(got), ref)
    for got, ref in zip(js_rows, refs_js, strict=True):
        assert agree(float(got), ref), (k, delta, float(got), ref)
    # the batch reductions keep the digits too (a sum of non-negative rows)
    assert agree(float(kl_divergence(p, q, reduction="sum")), mpmath.fsum(refs_kl))
    assert agree(float(js_divergence(p, q)), mpmath.fsum(refs_js) / 3)
    assert agree(float(js_divergence(p, q, distance=True, base=2, reduction="none")[0]),
                 mpmath.sqrt(refs_js[0] / mpmath.log(2)))


def test_kl_of_one_ulp_apart() -> None:
    p = [0.5, 0.5]
    q = [0.5 + 2**-53, 0.5 - 2**-53]
    assert agree(float(kl_divergence(p, q)), ref_kl(p, q))
    assert agree(float(js_divergence(p, q)), ref_js(p, q))
    assert float(js_divergence(p, q)) > 0


PAIRS = [(p, q) for p in TINY_DISTRIBUTIONS for q in TINY_DISTRIBUTIONS if len(p) == len(q)]


@pytest.mark.parametrize(("p", "q"), PAIRS)
def test_js_tiny_and_subnormal_probabilities(p: list[float], q: list[float]) -> None:
    assert agree(float(js_divergence(p, q)), ref_js(p, q))
    assert agree(float(js_divergence(p, q, base=2)), ref_js(p, q) / mpmath.log(2))


def _mp_sigmoid_parts(x: float) -> tuple[mpmath.mpf, mpmath.mpf]:
    """(log p, log(1 - p)) of p = sigmoid(x), exactly."""
    if x == -math.inf:
        return mpmath.mpf("-inf"), mpmath.mpf(0)
    mx = mpmath.mpf(x)
    return -mpmath.log1p(mpmath.exp(-mx)), -mpmath.log1p(mpmath.exp(mx))


@pytest.mark.parametrize("x", [1e4, -1e4, 745.0, -745.0, 30.0, -30.0, 1e-8, 0.0, -math.inf])
@pytest.mark.parametrize("y", [0.0, 1.0, 0.3])
@pytest.mark.parametrize(("gamma", "alpha"), [(0.0, None), (0.5, None), (2.0, 0.25), (5.0, 0.9)])
def test_sigmoid_focal_extremes(x: float, y: float, gamma: float, alpha: float | None) -> None:
    log_p, log_1mp = _mp_sigmoid_parts(x)
    my = mpmath.mpf(y)
    ce = (-my * log_p if y else 0) + (-(1 - my) * log_1mp if y < 1 else 0)
    miss = my * mpmath.exp(log_1mp) + (1 - my) * mpmath.exp(log_p)
    ref = ce * miss**gamma if gamma else ce
    if alpha is not None:
        ref = ref * (alpha * my + (1 - mpmath.mpf(alpha)) * (1 - my))
    got = sigmoid_focal_loss(y, x, gamma=gamma, alpha=alpha, from_logits=True)
    assert agree(float(got), ref), (x, y, float(got), ref)


@pytest.mark.parametrize("p", [1e-300, 1e-16, 0.5, 1 - 1e-16, 0.0, 1.0])
@pytest.mark.parametrize("y", [0.0, 1.0, 0.25])
def test_sigmoid_focal_probabilities(p: float, y: float) -> None:
    mp_p, my = mpmath.mpf(p), mpmath.mpf(y)
    pos = -my * mlog(p) if y else mpmath.mpf(0)
    neg = -(1 - my) * (mpmath.log(1 - mp_p) if p < 1 else -INF) if y < 1 else mpmath.mpf(0)
    miss = my * (1 - mp_p) + (1 - my) * mp_p
    ref = (pos + neg) * miss**2
    assert agree(float(sigmoid_focal_loss(y, p)), ref)


@pytest.mark.parametrize("z", EXTREME_LOGITS)
def test_perplexity_and_brier_from_extreme_logits(z: list[float]) -> None:
    finite = [i for i, v in enumerate(z) if v != -math.inf]
    log_q = dict(zip(finite, ref_log_softmax([z[i] for i in finite]), strict=True))
    rows = [z] * len(finite)
    labels = finite
    mean_nll = -mpmath.fsum(log_q[k] for k in labels) / len(labels)
    ref_ppl = mpmath.exp(mean_nll)
    if ref_ppl > np.finfo(float).max:
        ref_ppl = INF  # beyond the largest float: inf is the right float
    assert agree(float(perplexity(labels, rows, from_logits=True)), ref_ppl)
    for k in finite:
        q = [mpmath.exp(log_q[i]) if i in log_q else mpmath.mpf(0) for i in range(len(z))]
        ref = mpmath.fsum((qi - (1 if i == k else 0)) ** 2 for i, qi in enumerate(q))
        assert agree(float(brier_score(k, z, from_logits=True)), ref), (k, z)


def test_ece_against_exact_sums() -> None:
    rng = np.random.default_rng(5)
    q = rng.dirichlet(np.ones(3) * 0.5, size=200)
    labels = rng.integers(0, 3, 200)
    conf = q.max(axis=1)
    right = q.argmax(axis=1) == labels
    total = mpmath.mpf(0)
    for b in range(15):
        lo, hi = mpmath.mpf(b) / 15, mpmath.mpf(b + 1) / 15
        inside = [i for i in range(200) if lo < conf[i] <= hi or (b == 0 and conf[i] == 0)]
        gap = mpmath.fsum(int(right[i]) - mpmath.mpf(conf[i]) for i in inside)
        total += abs(gap)
    # the float edges np.linspace(0, 1, 16) equal b/15 to within an ulp; no conf is that close
    assert agree(expected_calibration_error(labels, q), total / 200)


@pytest.mark.parametrize("smoothing", [0.1, 0.5])
@pytest.mark.parametrize("x", [1e4, -1e4, 30.0, -30.0, 1e-8, -745.0])
def test_bce_label_smoothing_reference(smoothing: float, x: float) -> None:
    for y in (0.0, 1.0):
        # the smoothed label is a float (as in keras); the loss of that label is exact
        ys = mpmath.mpf(y * (1 - smoothing) + smoothing / 2)
        log_p, log_1mp = _mp_sigmoid_parts(x)
        ref = -(ys * log_p + (1 - ys) * log_1mp)
        got = binary_cross_entropy(y, x, from_logits=True, label_smoothing=smoothing)
        assert agree(float(got), ref), (x, y)


# ------------------------------------------- weights never hide an infinite term


def test_subnormal_target_times_small_class_weight_is_inf() -> None:
    assert cross_entropy([1, 1e-323], [1, 0], weights=[1, 0.2]) == math.inf
    assert cross_entropy([[1, 1e-323]], [[0.0, -math.inf]], weights=[1, 0.2], from_logits=True) == math.inf
    assert focal_loss([1, 1e-323], [1, 0], alpha=[1, 0.2]) == math.inf
    assert focal_loss([1, 1e-323], [1, 0], alpha=[1, 0.2], gamma=0.5) == math.inf


def test_subnormal_label_times_small_pos_weight_is_inf() -> None:
    assert binary_cross_entropy(1e-323, 0.0, pos_weight=0.2) == math.inf
    assert binary_cross_entropy(1e-323, -math.inf, pos_weight=0.2, from_logits=True) == math.inf
    assert binary_cross_entropy([1e-323], [0.0], pos_weight=[0.2], eps=None) == math.inf


def test_subnormal_label_times_small_pos_weight_with_a_huge_logit() -> None:
    y, x = 1e-323, -1e300  # y * w * softplus(-x) = 1e-323 * 0.2 * 1e300: a normal number
    ref = mpmath.mpf(y) * mpmath.mpf(0.2) * mpmath.mpf(1e300) / 1  # the tail log1p(e^-1e300) is 0
    got = binary_cross_entropy(y, x, pos_weight=0.2, from_logits=True, reduction="sum")
    assert agree(float(got), ref + (1 - mpmath.mpf(y)) * mpmath.log1p(mpmath.exp(mpmath.mpf(x))))


def test_a_zero_weight_still_switches_a_class_off() -> None:
    assert cross_entropy([1, 1], [1, 0], weights=[1, 0], normalize=True) == 0.0
    assert focal_loss([0.5, 0.5], [1, 0], alpha=[1, 0]) == 0.0
    assert binary_cross_entropy(1.0, 0.0, pos_weight=0.0) == 0.0

"""Agreement with a 50-digit mpmath reference on extreme inputs.

Every input float is taken exactly (mpf(float) is exact), so the reference is
the true value of the same math on the same numbers. Agreement means a relative
error <= 1e-12, or an absolute error <= 1e-300 where the true value is ~0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xentcli.core import (
    binary_cross_entropy,
    cross_entropy,
    cross_entropy_grad,
    entropy,
    focal_loss,
    kl_divergence,
    log_softmax,
    logsumexp,
    softmax,
)

mp = mpmath.mp
mp.dps = 50
REL, ABS = 1e-12, 1e-300


def agree(value: float, reference: mpmath.mpf) -> bool:
    if mpmath.isinf(reference):
        return bool(value == float(reference))
    return abs(mpmath.mpf(value) - reference) <= max(ABS, REL * abs(reference))


def _top_and_tail(z: Sequence[float]) -> tuple[mpmath.mpf, mpmath.mpf]:
    # log(1 + tiny) at 50 digits would keep only 50 - 40 digits of a 1e-40 tail,
    # so the reference splits log-sum-exp into the top logit and log1p(tail)
    # (an exact identity) and never adds the two before it must.
    values = sorted((mpmath.mpf(v) for v in z), reverse=True)
    top = values[0]
    return top, mpmath.log1p(mpmath.fsum(mpmath.exp(v - top) for v in values[1:]))


def ref_lse(z: Sequence[float]) -> mpmath.mpf:
    top, tail = _top_and_tail(z)
    return top + tail


def ref_log_softmax(z: Sequence[float]) -> list[mpmath.mpf]:
    top, tail = _top_and_tail(z)
    return [(mpmath.mpf(v) - top) - tail for v in z]


def ref_ce(y: Sequence[float], log_q: Sequence[mpmath.mpf]) -> mpmath.mpf:
    return -mpmath.fsum(mpmath.mpf(t) * lq for t, lq in zip(y, log_q, strict=True) if t != 0)


def mlog(x: float) -> mpmath.mpf:
    return mpmath.log(mpmath.mpf(x)) if x > 0 else mpmath.mpf("-inf")


EXTREME_LOGITS = [
    [1e4, -1e4, 0.0],
    [-1e4, 1e4, 0.0],
    [20.0, 0.0, 0.0],
    [40.0, 1.0, -3.0, 2.5],
    [700.0, 699.0, -700.0],
    [-745.0, -746.0, -700.0],
    [1e-10, -1e-10, 0.0],
    [3.0, 3.0, 3.0, -1e4],
    [0.0, -math.inf, 5.0],
]


@pytest.mark.parametrize("z", EXTREME_LOGITS)
def test_logsumexp_softmax_log_softmax(z: list[float]) -> None:
    finite = [v for v in z if v != -math.inf]
    assert agree(float(logsumexp(z)), ref_lse(finite))
    ref = ref_log_softmax(finite)
    got_log = [v for v in log_softmax(z).tolist() if v != -math.inf]
    got = [v for v, zz in zip(softmax(z).tolist(), z, strict=True) if zz != -math.inf]
    for value, r in zip(got_log, ref, strict=True):
        assert agree(value, r)
    for value, r in zip(got, ref, strict=True):
        assert agree(value, mpmath.exp(r))


@pytest.mark.parametrize("z", EXTREME_LOGITS)
def test_cross_entropy_from_logits_every_class(z: list[float]) -> None:
    finite = [v for v in z if v != -math.inf]
    log_q = iter(ref_log_softmax(finite))
    for k, zk in enumerate(z):
        ref = mpmath.mpf("inf") if zk == -math.inf else -next(log_q)
        assert agree(float(cross_entropy(k, z, from_logits=True)), ref), (k, z)


@pytest.mark.parametrize("z", EXTREME_LOGITS)
def test_soft_target_cross_entropy_and_gradient_from_logits(z: list[float]) -> None:
    finite = [i for i, v in enumerate(z) if v != -math.inf]
    y = [0.0] * len(z)
    for i in finite:
        y[i] = 1 / len(finite)
    log_q = ref_log_softmax([z[i] for i in finite])
    ref = -mpmath.fsum(mpmath.mpf(y[i]) * lq for i, lq in zip(finite, log_q, strict=True))
    assert agree(float(cross_entropy(y, z, from_logits=True)), ref)
    grad = cross_entropy_grad(y, z).tolist()
    full = dict(zip(finite, log_q, strict=True))
    for i, g in enumerate(grad):
        s = mpmath.exp(full[i]) if i in full else mpmath.mpf(0)
        r = mpmath.fsum([y[i] for i in finite]) * s - mpmath.mpf(y[i])
        assert abs(mpmath.mpf(g) - r) <= 1e-15  # entries of softmax - y lie in [-1, 1]


TINY_DISTRIBUTIONS = [
    [1e-300, 1.0],
    [1e-300, 0.5, 0.5],
    [0.0, 1e-200, 1.0],
    [1e-15, 1e-15, 1 - 2e-15],
    [0.5, 0.5, 0.0],
    [0.999999, 1e-6],
    [1e-310, 1.0],  # subnormal
]


@pytest.mark.parametrize("p", TINY_DISTRIBUTIONS)
def test_entropy_tiny_probabilities(p: list[float]) -> None:
    ref = -mpmath.fsum(mpmath.mpf(v) * mlog(v) for v in p if v > 0)
    assert agree(float(entropy(p)), ref)
    assert agree(float(entropy(p, base=2)), ref / mpmath.log(2))


SAME_LENGTH_PAIRS = [
    (p, q) for p in TINY_DISTRIBUTIONS for q in TINY_DISTRIBUTIONS if len(p) == len(q)
]


@pytest.mark.parametrize(("p", "q"), SAME_LENGTH_PAIRS)
def test_cross_entropy_and_kl_tiny_probabilities(p: list[float], q: list[float]) -> None:
    log_q = [mlog(v) for v in q]
    ref_h = ref_ce(p, log_q)
    assert agree(float(cross_entropy(p, q)), ref_h)
    ref_kl = mpmath.fsum(
        mpmath.mpf(a) * (mlog(a) - lq) for a, lq in zip(p, log_q, strict=True) if a != 0
    )
    assert agree(float(kl_divergence(p, q)), max(ref_kl, mpmath.mpf(0)))


@pytest.mark.parametrize("z", [1e4, -1e4, 30.0, -30.0, 1e-8, 0.0, 745.0, -745.0, -math.inf])
@pytest.mark.parametrize("y", [0.0, 1.0, 0.3])
def test_bce_from_logits_extremes(z: float, y: float) -> None:
    if z == -math.inf:
        ref = mpmath.mpf("inf") if y > 0 else mpmath.mpf(0)
    else:
        mz = mpmath.mpf(z)
        ref = y * mpmath.log1p(mpmath.exp(-mz)) + (1 - mpmath.mpf(y)) * mpmath.log1p(
            mpmath.exp(mz)
        )
    assert agree(float(binary_cross_entropy(y, z, from_logits=True)), ref)


@pytest.mark.parametrize("p", [1e-300, 1e-16, 0.5, 1 - 1e-16, 0.0, 1.0])
@pytest.mark.parametrize("y", [0.0, 1.0, 0.25])
def test_bce_probabilities_extremes(p: float, y: float) -> None:
    mp_p = mpmath.mpf(p)
    pos = mpmath.mpf(y) * mlog(p) if y else mpmath.mpf(0)
    neg = (1 - mpmath.mpf(y)) * (mpmath.log(1 - mp_p) if p < 1 else mpmath.mpf("-inf")) if y < 1 else 0
    assert agree(float(binary_cross_entropy(y, p)), -(pos + neg))


@pytest.mark.parametrize("gamma", [0.0, 0.25, 0.5, 2.0, 5.0])
@pytest.mark.parametrize("z", EXTREME_LOGITS[:6])
def test_focal_from_logits_extremes(gamma: float, z: list[float]) -> None:
    log_q = ref_log_softmax(z)
    for k in range(len(z)):
        q = mpmath.exp(log_q[k])
        ref = -((1 - q) ** gamma) * log_q[k] if gamma else -log_q[k]
        assert agree(float(focal_loss(k, z, gamma=gamma, from_logits=True)), ref), (k, z)


@settings(max_examples=60)
@given(
    st.lists(
        st.floats(min_value=-1e4, max_value=1e4, allow_nan=False), min_size=2, max_size=6
    ),
    st.data(),
)
def test_random_logits_cross_entropy(z: list[float], data: st.DataObject) -> None:
    k = data.draw(st.integers(0, len(z) - 1))
    assert agree(float(cross_entropy(k, z, from_logits=True)), -ref_log_softmax(z)[k])
    assert agree(float(logsumexp(np.array(z))), ref_lse(z))

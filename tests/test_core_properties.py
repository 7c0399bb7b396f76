"""Properties that must hold for every input (hypothesis)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from xentcli.core import (
    binary_cross_entropy,
    cross_entropy,
    cross_entropy_grad,
    entropy,
    focal_loss,
    kl_divergence,
    log_softmax,
    softmax,
)

LN2 = math.log(2)


@st.composite
def distributions(draw: st.DrawFn, k: int | None = None, positive: bool = False) -> np.ndarray:
    size = k if k is not None else draw(st.integers(1, 8))
    low = 1e-3 if positive else 0.0
    weights = draw(
        hnp.arrays(np.float64, size, elements=st.floats(low, 1.0, allow_subnormal=False))
    )
    assume(weights.sum() > 0)
    return weights / weights.sum()


@st.composite
def pairs(draw: st.DrawFn, positive_q: bool = True) -> tuple[np.ndarray, np.ndarray]:
    p = draw(distributions())
    q = draw(distributions(k=p.size, positive=positive_q))
    return p, q


logit_arrays = hnp.arrays(
    np.float64,
    hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5),
    elements=st.floats(-50, 50),
)


@given(pairs())
def test_cross_entropy_is_entropy_plus_kl(pq: tuple[np.ndarray, np.ndarray]) -> None:
    p, q = pq
    h_pq, h_p, kl = cross_entropy(p, q), entropy(p), kl_divergence(p, q)
    assert h_pq >= h_p - 1e-12
    assert h_pq == pytest.approx(h_p + kl, rel=1e-9, abs=1e-12)


@given(pairs(positive_q=False))
def test_kl_non_negative(pq: tuple[np.ndarray, np.ndarray]) -> None:
    assert kl_divergence(*pq) >= 0


@given(distributions())
def test_kl_zero_iff_equal(p: np.ndarray) -> None:
    assert kl_divergence(p, p) == 0
    if p.size > 1 and p.max() < 1:
        q = np.roll(p, 1)
        assume(not np.allclose(p, q))
        assert kl_divergence(p, q) > 0


@given(logit_arrays, st.floats(-100, 100))
def test_softmax_sums_to_one_and_is_shift_invariant(z: np.ndarray, shift: float) -> None:
    s = softmax(z)
    np.testing.assert_allclose(s.sum(axis=-1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(softmax(z + shift), s, rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(np.exp(log_softmax(z)), s, rtol=1e-12, atol=1e-300)


@given(st.floats(0, 1), st.floats(0, 1))
def test_bce_equals_two_class_cross_entropy(y: float, p: float) -> None:
    bce = binary_cross_entropy(y, p)
    ce = cross_entropy([1 - y, y], [1 - p, p], normalize=True)
    # Two-class CE sees 1 - p rounded; BCE keeps tiny p through log1p, so allow 1e-15.
    assert bce == pytest.approx(ce, rel=1e-12, abs=1e-15) or bce == ce == math.inf


@given(st.floats(0, 1), st.floats(-15, 15))
def test_bce_logits_equals_probabilities(y: float, z: float) -> None:
    # The probability route rounds 1 - sigmoid(z); within |z| <= 15 that costs
    # at most ~1e-9 relative, the logits route nothing.
    p = 1 / (1 + math.exp(-z))
    assert binary_cross_entropy(y, z, from_logits=True) == pytest.approx(
        binary_cross_entropy(y, p), rel=1e-8, abs=1e-12
    )


@given(
    hnp.arrays(np.float64, st.integers(2, 6), elements=st.floats(-10, 10)),
    st.data(),
)
def test_gradient_matches_finite_difference(z: np.ndarray, data: st.DataObject) -> None:
    y = data.draw(distributions(k=z.size))
    grad = cross_entropy_grad(y, z)
    h = 1e-6
    for i in range(z.size):
        up, down = z.copy(), z.copy()
        up[i] += h
        down[i] -= h
        numeric = (
            cross_entropy(y, up, from_logits=True) - cross_entropy(y, down, from_logits=True)
        ) / (2 * h)
        assert grad[i] == pytest.approx(numeric, abs=1e-6)


@given(pairs())
def test_focal_with_gamma_zero_is_cross_entropy(pq: tuple[np.ndarray, np.ndarray]) -> None:
    p, q = pq
    assert focal_loss(p, q, gamma=0) == pytest.approx(cross_entropy(p, q), rel=1e-14)


@given(pairs(), st.floats(0, 5))
def test_focal_never_exceeds_cross_entropy(pq: tuple[np.ndarray, np.ndarray], g: float) -> None:
    p, q = pq
    assert focal_loss(p, q, gamma=g) <= cross_entropy(p, q) * (1 + 1e-12)


@given(pairs())
def test_smoothing_zero_is_plain_cross_entropy(pq: tuple[np.ndarray, np.ndarray]) -> None:
    p, q = pq
    assert cross_entropy(p, q, label_smoothing=0.0) == cross_entropy(p, q)


@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=6),
        elements=st.floats(-20, 20),
    ),
    st.data(),
)
def test_batch_equals_row_by_row(z: np.ndarray, data: st.DataObject) -> None:
    labels = np.array(data.draw(st.lists(st.integers(0, z.shape[1] - 1), min_size=z.shape[0],
                                         max_size=z.shape[0])))
    rows = [cross_entropy(int(t), row, from_logits=True) for t, row in zip(labels, z, strict=True)]
    batch = cross_entropy(labels, z, from_logits=True, reduction="none")
    np.testing.assert_array_equal(batch, rows)
    assert cross_entropy(labels, z, from_logits=True) == pytest.approx(np.mean(rows), rel=1e-12)
    probs = softmax(z)
    ent_rows = [entropy(row) for row in probs]
    np.testing.assert_allclose(entropy(probs, reduction="none"), ent_rows, rtol=1e-15)


@given(pairs())
def test_bits_are_nats_over_ln2(pq: tuple[np.ndarray, np.ndarray]) -> None:
    p, q = pq
    assert cross_entropy(p, q, base=2) == pytest.approx(cross_entropy(p, q) / LN2, rel=1e-14)
    assert entropy(p, base="bits") == pytest.approx(entropy(p) / LN2, rel=1e-14)
    assert kl_divergence(p, q, base=10) == pytest.approx(
        kl_divergence(p, q) / math.log(10), rel=1e-14, abs=1e-300
    )


@given(distributions(positive=True), st.floats(0, 0.99))
def test_label_smoothing_matches_explicit_target(q: np.ndarray, eps: float) -> None:
    k = q.size
    y = np.full(k, eps / k)
    y[0] += 1 - eps
    assert cross_entropy(0, q, label_smoothing=eps) == pytest.approx(
        cross_entropy(y, q, normalize=True), rel=1e-12
    )

"""Properties of the new measures and options, for every input (hypothesis)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from test_core_properties import distributions, pairs

from xentcli.core import (
    binary_cross_entropy,
    brier_score,
    calibration_bins,
    cross_entropy,
    cross_entropy_grad,
    expected_calibration_error,
    focal_loss,
    js_divergence,
    kl_divergence,
    mean_denominator,
    perplexity,
    sigmoid_focal_loss,
)

LN2 = math.log(2)


@st.composite
def batches(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """Class indices (N,) and probability rows (N, K)."""
    n, k = draw(st.integers(1, 12)), draw(st.integers(2, 6))
    q = np.stack([draw(distributions(k=k, positive=True)) for _ in range(n)])
    labels = draw(hnp.arrays(np.int64, n, elements=st.integers(0, k - 1)))
    return labels, q


@given(pairs(positive_q=False))
def test_js_is_symmetric_bounded_and_its_root_is_the_distance(pq: tuple[np.ndarray, np.ndarray]) -> None:
    p, q = pq
    js = js_divergence(p, q)
    assert js == js_divergence(q, p)
    assert 0 <= js <= LN2 * (1 + 1e-15)
    assert math.isclose(js_divergence(p, q, distance=True, base=2) ** 2, js / LN2, rel_tol=1e-12, abs_tol=1e-300)


@given(pairs(positive_q=False))
def test_js_is_the_mean_kl_to_the_midpoint(pq: tuple[np.ndarray, np.ndarray]) -> None:
    p, q = pq
    m = (p + q) / 2
    ref = (kl_divergence(p, m, normalize=True) + kl_divergence(q, m, normalize=True)) / 2
    assert math.isclose(js_divergence(p, q), ref, rel_tol=1e-9, abs_tol=1e-15)


@given(distributions(), st.floats(1e-12, 1e-3))
def test_kl_of_a_nudged_distribution_is_about_half_chi_square(p: np.ndarray, t: float) -> None:
    """KL(p || q) ~ sum (p - q)^2 / (2 p) as q -> p: the tiny values keep their digits."""
    if p.size < 2 or (p == 0).any():
        return
    q = p.copy()
    q[0] += t * p[0]
    q[1] -= t * p[0]
    if q[1] <= 0:
        return
    d = q - p  # exact (Sterbenz): q and p are within a factor 2
    # sum p log(p/q) = -sum d + sum d^2 / (2p) + O(d^3): the first sum is the
    # rounding of the totals (q is not renormalized), taken exactly
    expected = max(0.0, -math.fsum(d) + (d / p * d).sum() / 2)  # d / p first: no underflow
    cubic = float(np.abs(d / p).max())  # the relative size of the O(d^3) rest
    assert math.isclose(kl_divergence(p, q), expected, rel_tol=cubic + 1e-9, abs_tol=1e-300)


@given(batches(), st.floats(0.1, 10))
def test_equal_sample_weights_change_nothing(batch: tuple[np.ndarray, np.ndarray], c: float) -> None:
    labels, q = batch
    s = np.full(len(labels), c)
    for loss in (cross_entropy, focal_loss, perplexity, brier_score):
        assert math.isclose(loss(labels, q, sample_weights=s), loss(labels, q), rel_tol=1e-12)


@given(batches(), st.data())
def test_ignored_rows_are_the_rows_left_out(batch: tuple[np.ndarray, np.ndarray], data: st.DataObject) -> None:
    labels, q = batch
    drop = np.array(data.draw(st.lists(st.booleans(), min_size=len(labels), max_size=len(labels))))
    if drop.all():
        return
    masked = np.where(drop, -100, labels)
    for loss in (cross_entropy, focal_loss, perplexity, brier_score):
        assert math.isclose(loss(masked, q, ignore_index=-100), loss(labels[~drop], q[~drop]), rel_tol=1e-12)
    assert mean_denominator(masked, q, ignore_index=-100) == (~drop).sum()
    bins = calibration_bins(masked, q, ignore_index=-100)
    assert bins.ece() == calibration_bins(labels[~drop], q[~drop]).ece()


@given(batches(), st.integers(1, 11))
def test_chunks_reduce_to_the_whole(batch: tuple[np.ndarray, np.ndarray], cut: int) -> None:
    labels, q = batch
    cut = min(cut, len(labels))
    s = np.linspace(0.5, 2, len(labels))
    w = np.arange(1, q.shape[1] + 1, dtype=float)
    whole = cross_entropy(labels, q, weights=w, sample_weights=s)
    parts = [(labels[:cut], q[:cut], s[:cut]), (labels[cut:], q[cut:], s[cut:])]
    total = sum(cross_entropy(a, b, weights=w, sample_weights=c, reduction="sum") for a, b, c in parts)
    denominator = sum(mean_denominator(a, b, weights=w, sample_weights=c) for a, b, c in parts)
    assert math.isclose(total / denominator, whole, rel_tol=1e-12)
    e = calibration_bins(labels[:cut], q[:cut], bins=7) + calibration_bins(labels[cut:], q[cut:], bins=7)
    assert math.isclose(e.ece(), expected_calibration_error(labels, q, bins=7), rel_tol=1e-12, abs_tol=1e-16)


@given(batches())
def test_calibration_and_brier_ranges(batch: tuple[np.ndarray, np.ndarray]) -> None:
    labels, q = batch
    assert 0 <= expected_calibration_error(labels, q) <= 1
    assert 0 <= brier_score(labels, q) <= 2
    assert perplexity(labels, q) >= 1


@given(
    hnp.arrays(np.float64, st.integers(1, 10), elements=st.floats(-30, 30)),
    st.data(),
    st.floats(0, 4),
)
def test_sigmoid_focal_never_exceeds_bce(x: np.ndarray, data: st.DataObject, gamma: float) -> None:
    y = data.draw(hnp.arrays(np.float64, x.shape, elements=st.sampled_from([0.0, 1.0])))
    focal = sigmoid_focal_loss(y, x, gamma=gamma, from_logits=True, reduction="none")
    bce = binary_cross_entropy(y, x, from_logits=True, reduction="none")
    assert (focal <= bce * (1 + 1e-15)).all()


@given(
    hnp.arrays(np.float64, st.integers(1, 8), elements=st.floats(0, 1)),
    st.floats(0, 0.99),
)
def test_bce_smoothing_is_bce_of_the_smoothed_label(y: np.ndarray, e: float) -> None:
    p = np.full(y.shape, 0.3)
    smoothed = y * (1 - e) + e / 2
    assert math.isclose(binary_cross_entropy(y, p, label_smoothing=e), binary_cross_entropy(smoothed, p), rel_tol=1e-14)


@given(batches())
def test_ignored_rows_have_zero_gradient(batch: tuple[np.ndarray, np.ndarray]) -> None:
    labels, q = batch
    z = np.log(q)
    masked = labels.copy()
    masked[::2] = 99
    grad = cross_entropy_grad(masked, z, ignore_index=99)
    assert (grad[::2] == 0).all()
    np.testing.assert_array_equal(grad[1::2], cross_entropy_grad(labels[1::2], z[1::2]))

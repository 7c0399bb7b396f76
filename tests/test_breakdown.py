"""Breakdowns: their terms add up to what the core computes, and show the prepared inputs."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xentcli.core import (
    InputError,
    binary_cross_entropy,
    cross_entropy,
    cross_entropy_grad,
    entropy,
    focal_loss,
    kl_divergence,
)
from xentcli.core.breakdown import (
    bce_breakdown,
    cross_entropy_breakdown,
    entropy_breakdown,
    focal_breakdown,
    grad_breakdown,
    kl_breakdown,
    log_name,
    reduce_rows,
    softmax_breakdown,
)

REDUCTIONS = ("mean", "sum", "none")


def _close(a: Any, b: Any) -> None:
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=1e-12, atol=1e-14)


# ---------------------------------------------------------- hand-computed values


def test_entropy_terms_by_hand() -> None:
    b = entropy_breakdown([0.2, 0.3, 0.5])
    hand = [-0.2 * math.log(0.2), -0.3 * math.log(0.3), -0.5 * math.log(0.5)]
    _close(b.terms[0], hand)
    _close(b.value, sum(hand))
    assert b.unit == "nats"


def test_cross_entropy_one_hot_by_hand() -> None:
    b = cross_entropy_breakdown([1, 0, 0], [0.7, 0.2, 0.1], base=2)
    _close(b.terms[0], [-math.log2(0.7), 0.0, 0.0])
    assert b.unit == "bits"
    assert log_name(b.ln_base) == "log2"


def test_class_index_becomes_one_hot() -> None:
    b = cross_entropy_breakdown(2, [0.1, 0.2, 0.7])
    assert b.labels is not None and b.labels.tolist() == [2]
    assert b.target is not None and b.target.tolist() == [[0.0, 0.0, 1.0]]
    _close(b.value, -math.log(0.7))


def test_label_smoothing_target() -> None:
    b = cross_entropy_breakdown(0, [0.7, 0.2, 0.1], label_smoothing=0.3)
    assert b.raw_target is not None and b.raw_target.tolist() == [[1.0, 0.0, 0.0]]
    assert b.target is not None
    _close(b.target[0], [0.8, 0.1, 0.1])  # (1 - 0.3) y + 0.3 / 3


def test_logits_softmax_step() -> None:
    b = cross_entropy_breakdown(2, [-1.0, 0.0, 2.0], from_logits=True)
    assert b.logits is not None and b.prob is not None
    total = math.exp(-1) + 1 + math.exp(2)
    _close(b.prob[0], [math.exp(-1) / total, 1 / total, math.exp(2) / total])
    _close(b.value, -math.log(math.exp(2) / total))


def test_eps_clips_the_prediction() -> None:
    b = cross_entropy_breakdown([0, 1], [1.0, 0.0], eps=1e-7)
    assert b.prob is not None and b.prob.tolist() == [[1 - 1e-7, 1e-7]]
    _close(b.value, -math.log(1e-7))


def test_kl_identity_by_hand() -> None:
    p, q = [0.2, 0.3, 0.5], [0.1, 0.2, 0.7]
    b = kl_breakdown(p, q)
    assert b.reference is not None
    h_p, h_pq = b.reference[:, 0]
    hand_h_p = -sum(a * math.log(a) for a in p)
    hand_h_pq = -sum(a * math.log(c) for a, c in zip(p, q, strict=True))
    _close([h_p, h_pq], [hand_h_p, hand_h_pq])
    _close(b.value, sum(a * math.log(a / c) for a, c in zip(p, q, strict=True)))
    _close(b.value, hand_h_pq - hand_h_p)


def test_focal_factor_by_hand() -> None:
    b = focal_breakdown(2, [0.1, 0.2, 0.7], gamma=2, alpha=0.25)
    assert b.factor is not None and b.weights is not None
    _close(b.factor[0], [0.81, 0.64, 0.09])
    _close(b.value, 0.25 * 0.09 * -math.log(0.7))
    assert b.weights.tolist() == [0.25, 0.25, 0.25]


def test_bce_parts_by_hand() -> None:
    b = bce_breakdown([1, 0, 1], [0.9, 0.2, 0.6], reduction="sum", pos_weight=2)
    assert b.reference is not None
    _close(b.reference[0, 0], [-2 * math.log(0.9), 0.0, -2 * math.log(0.6)])
    _close(b.reference[1, 0], [0.0, -math.log(0.8), 0.0])


def test_softmax_steps() -> None:
    b = softmax_breakdown([1.0, 2.0, 3.0])
    assert b.target is not None
    _close(b.target[0], [math.exp(-2), math.exp(-1), 1.0])
    _close(b.rows, [math.exp(-2) + math.exp(-1) + 1.0])


def test_grad_is_softmax_minus_target() -> None:
    b = grad_breakdown(1, [0.0, 0.0, 0.0])
    _close(b.terms[0], [1 / 3, -2 / 3, 1 / 3])
    _close(b.value, b.terms[0])


def test_infinite_term() -> None:
    b = cross_entropy_breakdown([0, 1], [1.0, 0.0])
    assert b.terms[0].tolist() == [0.0, math.inf]
    assert b.value == math.inf


def test_errors_are_the_cores() -> None:
    with pytest.raises(InputError) as mine:
        cross_entropy_breakdown(3, [0.2, 0.8])
    with pytest.raises(InputError) as theirs:
        cross_entropy(3, [0.2, 0.8])
    assert str(mine.value) == str(theirs.value)


def test_log_names() -> None:
    assert [log_name(math.log(b)) for b in (math.e, 2.0, 10.0, 3.0)] == [
        "ln", "log2", "log10", "log_3"
    ]


# ------------------------------------------------------------ sums match the core

probs = st.lists(st.floats(0.01, 1.0), min_size=2, max_size=5)


def _dist(rows: int, k: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).dirichlet(np.ones(k), size=rows)


@settings(max_examples=40)
@given(st.integers(1, 4), st.integers(2, 5), st.integers(0, 10_000), st.sampled_from(REDUCTIONS))
def test_entropy_and_kl_sums(rows: int, k: int, seed: int, reduction: str) -> None:
    p, q = _dist(rows, k, seed), _dist(rows, k, seed + 1)
    b = entropy_breakdown(p, base=2, reduction=reduction)
    _close(reduce_rows(b, reduction), entropy(p, base=2, reduction=reduction))
    b = kl_breakdown(p, q, reduction=reduction)
    _close(reduce_rows(b, reduction), b.value)
    _close(b.value, kl_divergence(p, q, reduction=reduction))


@settings(max_examples=60)
@given(
    st.integers(1, 4),
    st.integers(2, 5),
    st.integers(0, 10_000),
    st.sampled_from(REDUCTIONS),
    st.booleans(),
    st.booleans(),
    st.sampled_from([0.0, 0.1]),
    st.sampled_from([None, 1e-3]),
)
def test_cross_entropy_sums(
    rows: int,
    k: int,
    seed: int,
    reduction: str,
    indices: bool,
    logits: bool,
    smoothing: float,
    eps: float | None,
) -> None:
    rng = np.random.default_rng(seed)
    pred = rng.normal(size=(rows, k)) * 3 if logits else _dist(rows, k, seed)
    target: Any = rng.integers(0, k, size=rows) if indices else _dist(rows, k, seed + 7)
    weights = rng.uniform(0.5, 2.0, size=k)
    options = {
        "from_logits": logits, "label_smoothing": smoothing, "eps": eps, "reduction": reduction,
    }
    for w in (None, weights):
        b = cross_entropy_breakdown(target, pred, weights=w, **options)
        _close(b.value, cross_entropy(target, pred, weights=w, **options))
        _close(reduce_rows(b, reduction), b.value)
    b = focal_breakdown(target, pred, gamma=1.5, alpha=weights, **options)
    _close(reduce_rows(b, reduction), focal_loss(target, pred, gamma=1.5, alpha=weights, **options))


@settings(max_examples=40)
@given(
    st.integers(1, 3), st.integers(1, 4), st.integers(0, 10_000),
    st.sampled_from(REDUCTIONS), st.booleans(), st.sampled_from([None, 1e-4]),
)
def test_bce_sums(
    rows: int, k: int, seed: int, reduction: str, logits: bool, eps: float | None
) -> None:
    rng = np.random.default_rng(seed)
    pred = rng.normal(size=(rows, k)) * 4 if logits else rng.uniform(size=(rows, k))
    target = rng.uniform(size=(rows, k))
    options = {"from_logits": logits, "eps": eps, "reduction": reduction, "pos_weight": 1.5}
    b = bce_breakdown(target, pred, **options)
    _close(reduce_rows(b, reduction), binary_cross_entropy(target, pred, **options))


@settings(max_examples=30)
@given(st.integers(1, 3), st.integers(2, 5), st.integers(0, 10_000), st.sampled_from(REDUCTIONS))
def test_grad_matches(rows: int, k: int, seed: int, reduction: str) -> None:
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(rows, k))
    target = rng.integers(0, k, size=rows)
    b = grad_breakdown(target, z, weights=np.arange(1, k + 1), reduction=reduction)
    expected = cross_entropy_grad(target, z, weights=np.arange(1, k + 1), reduction="none")
    _close(b.terms, expected)
    _close(b.value, cross_entropy_grad(target, z, weights=np.arange(1, k + 1), reduction=reduction))


def test_rows_are_the_measures_own_numbers() -> None:
    """The breakdown's rows are the kernel's per-row values, bit for bit (not a
    second computation that agrees to rounding)."""
    rng = np.random.default_rng(3)
    p = rng.dirichlet(np.ones(4), size=5)
    q = p * (1 + 1e-9 * rng.normal(size=p.shape))  # KL ~ 1e-18: a plain sum keeps no digit
    q /= q.sum(axis=1, keepdims=True)
    z = rng.normal(size=(5, 4)) * 3
    labels = rng.integers(0, 4, size=5)
    pairs = [
        (kl_breakdown(p, q, reduction="none"), kl_divergence(p, q, reduction="none")),
        (entropy_breakdown(p, reduction="none"), entropy(p, reduction="none")),
        (
            cross_entropy_breakdown(labels, z, from_logits=True, weights=[1, 2, 3, 4], reduction="none"),
            cross_entropy(labels, z, from_logits=True, weights=[1, 2, 3, 4], reduction="none"),
        ),
        (
            focal_breakdown(labels, z, from_logits=True, alpha=0.25, reduction="none"),
            focal_loss(labels, z, from_logits=True, alpha=0.25, reduction="none"),
        ),
    ]
    for b, rows in pairs:
        assert b.rows.tolist() == rows.tolist(), b.measure
    grad = grad_breakdown(labels, z)
    assert grad.terms.tolist() == cross_entropy_grad(labels, z).tolist()


def test_a_base_near_one_gives_inf_terms_not_nan_rows() -> None:
    """Issue 17 D3: the breakdown of a base near 1 with huge weights warned and
    gave a row sum of inf - inf."""
    import warnings

    base = 1.0000000000000002
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = grad_breakdown(0, [0.0, 0.0], weights=[1e300, 1], base=base)
        assert g.terms.tolist() == [[-math.inf, math.inf]]
        assert not np.isnan(g.rows).any()
        b = bce_breakdown([1, 0], [0.5, 0.5], pos_weight=1e300, base=base, reduction="sum")
        assert b.terms[0, 0] == math.inf and b.rows[0] == math.inf


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ignored_rows_and_sample_weights_reduce_like_the_measure(reduction: str) -> None:
    from xentcli.core import binary_cross_entropy, js_divergence, sigmoid_focal_loss
    from xentcli.core.breakdown import js_breakdown, sigmoid_focal_breakdown

    rng = np.random.default_rng(7)
    z = rng.normal(size=(6, 3)) * 2
    labels = np.array([0, -100, 2, 1, -100, 0])
    s = rng.uniform(0.5, 2, size=6)
    w = [1.0, 2.0, 0.5]
    options: dict[str, Any] = {"from_logits": True, "reduction": reduction, "sample_weights": s}
    b = cross_entropy_breakdown(labels, z, weights=w, ignore_index=-100, **options)
    assert b.ignored is not None and b.ignored.tolist() == (labels == -100).tolist()
    assert (b.terms[labels == -100] == 0).all() and (b.rows[labels == -100] == 0).all()
    _close(reduce_rows(b, reduction), cross_entropy(labels, z, weights=w, ignore_index=-100, **options))
    f = focal_breakdown(labels, z, gamma=2, ignore_index=-100, **options)
    _close(reduce_rows(f, reduction), focal_loss(labels, z, gamma=2, ignore_index=-100, **options))
    g = grad_breakdown(labels, z, ignore_index=-100, reduction="mean")
    assert (g.terms[labels == -100] == 0).all()
    p, q = rng.dirichlet(np.ones(3), size=6), rng.dirichlet(np.ones(3), size=6)
    k = kl_breakdown(p, q, reduction=reduction, sample_weights=s)
    _close(reduce_rows(k, reduction), kl_divergence(p, q, reduction=reduction, sample_weights=s))
    for distance in (False, True):
        j = js_breakdown(p, q, distance=distance, base=2, reduction=reduction, sample_weights=s)
        _close(j.rows, j.terms.sum(axis=-1))
        expected = js_divergence(p, q, distance=distance, base=2, reduction=reduction, sample_weights=s)
        _close(reduce_rows(j, reduction), expected)
    y = (rng.random((6, 3)) < 0.5).astype(float)
    for weights in (s, rng.uniform(0.5, 2, size=(6, 3))):
        opts: dict[str, Any] = {"from_logits": True, "reduction": reduction, "sample_weights": weights}
        bb = bce_breakdown(y, z, pos_weight=2.0, label_smoothing=0.1, **opts)
        _close(reduce_rows(bb, reduction), binary_cross_entropy(y, z, pos_weight=2.0, label_smoothing=0.1, **opts))
        sf = sigmoid_focal_breakdown(y, z, alpha=0.25, **opts)
        _close(reduce_rows(sf, reduction), sigmoid_focal_loss(y, z, alpha=0.25, **opts))
        assert sf.factor is not None and sf.reference is not None
        # each element: alpha_t * factor * BCE, the three numbers the table shows
        _close(sf.terms, sf.reference[1] * sf.factor * sf.reference[0])

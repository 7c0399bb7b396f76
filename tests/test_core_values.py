"""The classic worked numbers (entropy of [0.2, 0.3, 0.5], the panda, the dog, the
loaded coin), computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from xentcli.core import (
    InputError,
    binary_cross_entropy,
    cross_entropy,
    cross_entropy_grad,
    entropy,
    focal_loss,
    kl_divergence,
    log_softmax,
    logsumexp,
    softmax,
    surprisal,
)


def test_panda_surprisal() -> None:
    # A panda seen with probability 0.001 is very surprising; a bird at 0.5 is not.
    assert surprisal(0.001) == pytest.approx(-math.log(0.001), rel=1e-15)
    assert surprisal(0.001, base=2) == pytest.approx(math.log2(1000), rel=1e-15)
    assert surprisal(0.5, base="bits") == 1.0


def test_surprisal_is_elementwise_and_zero_is_infinite() -> None:
    out = surprisal([1.0, 0.5, 0.0], base=2)
    assert out.tolist() == [0.0, 1.0, math.inf]


def test_entropy_of_panda_bird_dog() -> None:
    expected = -(0.2 * math.log(0.2) + 0.3 * math.log(0.3) + 0.5 * math.log(0.5))
    assert entropy([0.2, 0.3, 0.5]) == pytest.approx(expected, rel=1e-15)
    assert entropy([0.2, 0.3, 0.5], base=2) == pytest.approx(expected / math.log(2), rel=1e-15)


def test_entropy_extremes() -> None:
    assert entropy([1.0, 0.0, 0.0]) == 0.0  # 0 log 0 = 0: no NaN
    assert entropy([0.25] * 4, base=2) == pytest.approx(2.0, rel=1e-15)


def test_dog_prediction_one_hot_and_index() -> None:
    # The model says [panda, bird, dog] = [0.1, 0.2, 0.7] and it is a dog.
    expected = -math.log(0.7)
    assert cross_entropy([0, 0, 1], [0.1, 0.2, 0.7]) == pytest.approx(expected, rel=1e-15)
    assert cross_entropy(2, [0.1, 0.2, 0.7]) == pytest.approx(expected, rel=1e-15)


def test_practice_question_07_02_01_on_first_class() -> None:
    value = cross_entropy([1, 0, 0], [0.7, 0.2, 0.1])
    assert abs(value - 0.35667494393873245) <= 1e-15
    assert isinstance(value, float)


def test_loaded_coin() -> None:
    # Heads 99% of the time, but we believed tails 99% of the time.
    truth, belief = [0.99, 0.01], [0.01, 0.99]
    expected = -(0.99 * math.log(0.01) + 0.01 * math.log(0.99))
    assert cross_entropy(truth, belief) == pytest.approx(expected, rel=1e-14)
    assert cross_entropy(truth, belief) > entropy(truth)
    assert kl_divergence(truth, belief) == pytest.approx(
        expected - entropy(truth), rel=1e-13
    )


def test_kl_zero_for_identical_and_asymmetric() -> None:
    p, q = [0.2, 0.3, 0.5], [0.1, 0.2, 0.7]
    assert kl_divergence(p, p) == 0.0
    assert kl_divergence(p, q) != pytest.approx(kl_divergence(q, p))


def test_binary_cross_entropy_by_hand() -> None:
    assert binary_cross_entropy(1, 0.8) == pytest.approx(-math.log(0.8), rel=1e-15)
    assert binary_cross_entropy(0, 0.8) == pytest.approx(-math.log(0.2), rel=1e-14)
    labels, probs = [1, 0, 1], [0.9, 0.2, 0.6]
    terms = [-math.log(0.9), -math.log(0.8), -math.log(0.6)]
    assert binary_cross_entropy(labels, probs, reduction="sum") == pytest.approx(sum(terms))
    assert binary_cross_entropy(labels, probs) == pytest.approx(sum(terms) / 3)
    assert binary_cross_entropy(labels, probs, reduction="none") == pytest.approx(terms)


def test_pos_weight_scales_positive_term_only() -> None:
    assert binary_cross_entropy(1, 0.8, pos_weight=3) == pytest.approx(-3 * math.log(0.8))
    assert binary_cross_entropy(0, 0.8, pos_weight=3) == pytest.approx(-math.log(0.2))


def test_bce_from_logits_matches_sigmoid() -> None:
    z = 0.4
    p = 1 / (1 + math.exp(-z))
    assert binary_cross_entropy(1, z, from_logits=True) == pytest.approx(-math.log(p), rel=1e-14)
    # Extreme logits neither overflow nor lose the answer.
    assert binary_cross_entropy(0, 800.0, from_logits=True) == pytest.approx(800.0)
    assert binary_cross_entropy(1, -800.0, from_logits=True) == pytest.approx(800.0)
    assert binary_cross_entropy(1, -math.inf, from_logits=True) == math.inf
    assert binary_cross_entropy(0, -math.inf, from_logits=True) == 0.0


def test_weighted_cross_entropy_is_torch_weighted_mean_for_indices() -> None:
    q = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
    labels = np.array([0, 2])
    w = np.array([1.0, 2.0, 3.0])
    losses = np.array([-1 * math.log(0.7), -3 * math.log(0.6)])
    assert cross_entropy(labels, q, weights=w) == pytest.approx(losses.sum() / (1 + 3))
    assert cross_entropy(labels, q, weights=w, reduction="sum") == pytest.approx(losses.sum())
    one_hot = np.eye(3)[labels]
    assert cross_entropy(one_hot, q, weights=w) == pytest.approx(losses.sum() / 4)


def test_label_smoothing_by_hand() -> None:
    eps = 0.1
    y = [(1 - eps) * t + eps / 3 for t in (0, 0, 1)]
    expected = -sum(t * math.log(q) for t, q in zip(y, [0.1, 0.2, 0.7], strict=True))
    assert cross_entropy(2, [0.1, 0.2, 0.7], label_smoothing=eps) == pytest.approx(expected)


def test_focal_by_hand() -> None:
    q = 0.7
    for gamma in (0.0, 0.5, 2.0, 5.0):
        expected = -((1 - q) ** gamma) * math.log(q)
        assert focal_loss(2, [0.1, 0.2, 0.7], gamma=gamma) == pytest.approx(expected, rel=1e-14)
    assert focal_loss(2, [0.1, 0.2, 0.7], gamma=2, alpha=0.25) == pytest.approx(
        -0.25 * 0.09 * math.log(0.7)
    )


def test_focal_saturated_with_small_gamma_is_zero_not_nan() -> None:
    assert focal_loss(0, [1.0, 0.0], gamma=0.5) == 0.0
    # q = sigmoid-like softmax of a gap of 400: 1 - q = e^-400 (to double precision), so
    # the loss is (e^-400)^0.3 * -ln q = e^-120 * e^-400 = e^-520.
    assert focal_loss(0, [200.0, -200.0], gamma=0.3, from_logits=True) == pytest.approx(
        math.exp(-520), rel=1e-12
    )


def test_softmax_and_log_softmax_by_hand() -> None:
    z = [1.0, 2.0, 3.0]
    total = sum(math.exp(v) for v in z)
    assert softmax(z) == pytest.approx([math.exp(v) / total for v in z], rel=1e-15)
    assert log_softmax(z) == pytest.approx([v - math.log(total) for v in z], rel=1e-15)
    assert logsumexp(z) == pytest.approx(math.log(total), rel=1e-15)


def test_masked_logits() -> None:
    z = [0.0, -math.inf, 0.0]
    assert softmax(z).tolist() == [0.5, 0.0, 0.5]
    assert cross_entropy(1, z, from_logits=True) == math.inf
    assert cross_entropy(0, z, from_logits=True) == pytest.approx(math.log(2))
    assert logsumexp([-math.inf, -math.inf]) == -math.inf


def test_masked_logits_with_soft_targets() -> None:
    # A target of 0 on a logit of -inf adds nothing (not 0 * -inf = nan); a target
    # above 0 there is an infinite loss. Many rows: the batch runs block by block.
    z = np.tile([0.0, -math.inf, 0.0], (5000, 1))
    y = np.tile([0.25, 0.0, 0.75], (5000, 1))
    got = cross_entropy(y, z, from_logits=True, reduction="none")
    assert got.tolist() == [math.log(2)] * 5000
    y[4321] = [0.5, 0.25, 0.25]
    got = cross_entropy(y, z, from_logits=True, reduction="none")
    assert got[4321] == math.inf and np.isfinite(np.delete(got, 4321)).all()
    # Finite logits with zero targets: the unmasked product gives exactly the same.
    zf = np.tile([0.0, -800.0, 0.0], (5000, 1))
    assert cross_entropy(y[:4000], zf[:4000], from_logits=True) == pytest.approx(math.log(2))


def _softmax_by_hand(z: list[float]) -> list[float]:
    total = sum(math.exp(v) for v in z)
    return [math.exp(v) / total for v in z]


def test_gradient_softmax_minus_target() -> None:
    z = [1.0, 2.0, 3.0]
    expected = [s - y for s, y in zip(_softmax_by_hand(z), [0, 0, 1], strict=True)]
    assert cross_entropy_grad(2, z) == pytest.approx(expected, rel=1e-14)
    assert cross_entropy_grad([0, 0, 1], z) == pytest.approx(expected, rel=1e-14)


def test_gradient_mean_reduction_divides_by_rows() -> None:
    z = [[1.0, 2.0], [0.5, -0.5]]
    rows = [[s - y for s, y in zip(_softmax_by_hand(row), onehot, strict=True)]
            for row, onehot in zip(z, [[1, 0], [0, 1]], strict=True)]
    # The gradient of the mean loss: each row's softmax - y, divided by the 2 rows.
    expected = [[g / 2 for g in row] for row in rows]
    got = cross_entropy_grad([0, 1], z, reduction="mean")
    assert got.tolist() == [pytest.approx(row, rel=1e-14) for row in expected]


def test_gradient_mean_with_weights_divides_by_the_targets_weights() -> None:
    # Row n's gradient is w[y_n] (softmax - y); for the weighted mean each is
    # divided by sum w[y_n] = 1 + 3 = 4, not by the 2 rows (torch's weighted mean).
    z = [[1.0, 2.0, 0.0], [0.5, -0.5, 1.5]]
    labels, w = [0, 2], [1.0, 2.0, 3.0]
    rows = []
    for row, label in zip(z, labels, strict=True):
        s = _softmax_by_hand(row)
        rows.append([w[label] * (s[i] - (i == label)) for i in range(3)])
    expected = [[g / 4 for g in row] for row in rows]
    got = cross_entropy_grad(labels, z, weights=w, reduction="mean")
    assert got.tolist() == [pytest.approx(row, rel=1e-14) for row in expected]


def test_bce_eps_clips_both_ends() -> None:
    # A label 0 predicted 1.0 (and a label 1 predicted 0.0) costs -ln(eps), not inf.
    assert binary_cross_entropy(0, 1.0, eps=1e-7) == pytest.approx(-math.log(1e-7), rel=1e-8)
    assert binary_cross_entropy(1, 0.0, eps=1e-7) == pytest.approx(-math.log(1e-7), rel=1e-12)


def test_kl_of_nearly_equal_distributions_is_never_negative() -> None:
    # p and q differ in the last bit of two entries: the terms' rounding sums to
    # -3e-17 here, which is rounding, not a negative divergence (Gibbs: KL >= 0).
    p = [0.6482021419113102, 0.35166006400659455, 0.00013779408209523564]
    q = [0.6482021419113103, 0.3516600640065945, 0.00013779408209523564]
    assert kl_divergence(p, q) == 0.0


def test_a_distribution_must_sum_to_one_within_1e_6() -> None:
    entropy([0.2, 0.3, 0.5 - 9e-7])  # off by 9e-7: accepted
    with pytest.raises(InputError, match="P sums to 0.9999, not 1"):
        entropy([0.2, 0.3, 0.4999])


def test_zero_probability_on_true_class_is_infinite_not_error() -> None:
    assert cross_entropy([0, 1], [1.0, 0.0]) == math.inf
    assert kl_divergence([0.5, 0.5], [1.0, 0.0]) == math.inf
    # Unless eps clips it, as asked.
    assert cross_entropy([0, 1], [1.0, 0.0], eps=1e-7) == pytest.approx(-math.log(1e-7))


def test_normalize_rescales_explicitly() -> None:
    assert entropy([2, 3, 5], normalize=True) == pytest.approx(entropy([0.2, 0.3, 0.5]))
    assert cross_entropy([0, 0, 2], [1, 2, 7], normalize=True) == pytest.approx(-math.log(0.7))


def test_batch_reductions() -> None:
    p = np.array([[0.5, 0.5], [1.0, 0.0]])
    per_row = entropy(p, reduction="none")
    assert per_row.shape == (2,)
    assert per_row.tolist() == [pytest.approx(math.log(2)), 0.0]
    assert entropy(p) == pytest.approx(math.log(2) / 2)
    assert entropy(p, reduction="sum") == pytest.approx(math.log(2))


def test_float32_stays_float32() -> None:
    q = np.array([[0.7, 0.2, 0.1]], dtype=np.float32)
    z = np.array([[1.0, 2.0, 3.0]], dtype=np.float32)
    assert cross_entropy(np.array([0]), q).dtype == np.float32
    assert cross_entropy(np.array([0]), z, from_logits=True).dtype == np.float32
    assert softmax(z).dtype == np.float32
    assert entropy(q).dtype == np.float32
    assert kl_divergence(q, q).dtype == np.float32
    assert binary_cross_entropy(q, q).dtype == np.float32


def test_no_warnings_on_zeros_and_infinities() -> None:
    # pytest turns warnings into errors: these would fail on any RuntimeWarning.
    entropy([0.0, 1.0])
    cross_entropy([0.0, 1.0], [1.0, 0.0])
    kl_divergence([0.0, 1.0], [0.0, 1.0])
    binary_cross_entropy([0.0, 1.0], [0.0, 1.0])
    focal_loss([0.0, 1.0], [1.0, 0.0], gamma=0.5)
    softmax([-math.inf, 0.0])
    binary_cross_entropy([1.0], [-1000.0], from_logits=True, eps=1e-7)


def test_zero_results_are_positive_zero_not_minus_zero() -> None:
    # `-0.0` would print as "-0.0" and read as a sign in a table or a script.
    results = [
        surprisal(1.0),
        entropy([[1.0, 0.0]], reduction="none")[0],
        cross_entropy(np.array([0]), [[1.0, 0.0]], reduction="none")[0],
        cross_entropy([[1.0, 0.0]], [[1.0, 0.0]], reduction="none")[0],
        focal_loss(np.array([0]), [[1.0, 0.0]], reduction="none")[0],
    ]
    assert [math.copysign(1.0, float(r)) for r in results] == [1.0] * len(results)

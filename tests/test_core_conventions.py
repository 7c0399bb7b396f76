"""Conventions of the core (negative weights, empty batches, 0-d logits) and the
exact messages of the new options' bad input."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from xentcli.core import (
    InputError,
    binary_cross_entropy,
    brier_score,
    calibration_bins,
    cross_entropy,
    cross_entropy_grad,
    entropy,
    expected_calibration_error,
    focal_loss,
    js_divergence,
    kl_divergence,
    log_softmax,
    logsumexp,
    perplexity,
    sigmoid_focal_loss,
    softmax,
    surprisal,
)

Q = [[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]]


# ------------------------------------------------------------- negative weights


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: cross_entropy(0, [0.5, 0.5], weights=[-1, 2]), "weights must be finite and >= 0; got -1 at index 0"),
        (lambda: focal_loss(0, [0.5, 0.5], alpha=[1, -0.5]), "alpha must be finite and >= 0; got -0.5 at index 1"),
        (lambda: binary_cross_entropy(1, 0.5, pos_weight=-2), "pos weight must be finite and >= 0; got -2"),
        (lambda: cross_entropy([0, 1], Q, sample_weights=[1, -1]), "sample weights must be finite and >= 0; got -1 at index 1"),
        (lambda: sigmoid_focal_loss(1, 0.5, alpha=-0.25), "alpha must be a finite number >= 0; got -0.25"),
    ],
)
def test_negative_weights_are_refused(call: Callable[[], Any], message: str) -> None:
    with pytest.raises(InputError) as err:
        call()
    assert str(err.value) == message


# ---------------------------------------------------------------- empty batches


def test_a_batch_of_no_rows_sums_to_zero_and_has_no_mean() -> None:
    empty_q = np.zeros((0, 3))
    labels = np.zeros(0, dtype=int)
    assert cross_entropy(labels, empty_q, reduction="sum") == 0.0
    assert cross_entropy(labels, empty_q, reduction="none").shape == (0,)
    assert entropy(empty_q, reduction="sum") == 0.0
    assert kl_divergence(empty_q, empty_q, reduction="sum") == 0.0
    assert js_divergence(empty_q, empty_q, reduction="none").shape == (0,)
    assert focal_loss(labels, empty_q, reduction="sum") == 0.0
    assert binary_cross_entropy(np.zeros((0, 2)), np.zeros((0, 2)), reduction="sum") == 0.0
    assert cross_entropy_grad(labels, empty_q).shape == (0, 3)
    assert softmax(empty_q).shape == (0, 3)
    for call in (
        lambda: cross_entropy(labels, empty_q),
        lambda: entropy(empty_q),
        lambda: kl_divergence(empty_q, empty_q),
        lambda: cross_entropy_grad(labels, empty_q, reduction="mean"),
    ):
        with pytest.raises(InputError) as err:
            call()
        assert str(err.value) == "the mean of 0 rows is undefined (use --reduction sum)"
    with pytest.raises(InputError) as err:
        binary_cross_entropy([], [])
    assert str(err.value) == "the mean of 0 elements is undefined (use --reduction sum)"
    with pytest.raises(InputError) as err:
        expected_calibration_error(labels, empty_q)
    assert str(err.value) == "the calibration error of 0 rows is undefined"


def test_no_classes_is_still_refused() -> None:
    with pytest.raises(InputError) as err:
        entropy(np.zeros((2, 0)))
    assert str(err.value) == "P is empty"
    with pytest.raises(InputError) as err:
        softmax([])
    assert str(err.value) == "Z is empty"


# --------------------------------------------------------------- 0-d logits


def test_a_single_logit_is_one_class() -> None:
    assert softmax(3.0) == 1.0 and softmax(3.0).shape == ()
    assert log_softmax(-2.5) == 0.0 and log_softmax(-2.5).shape == ()
    assert logsumexp(3.0) == 3.0
    assert logsumexp(-math.inf) == -math.inf
    assert softmax(np.float32(1)).dtype == np.float32
    with pytest.raises(InputError) as err:
        softmax(math.nan)
    assert str(err.value) == "Z has an invalid logit nan at index 0 (-inf is allowed)"
    with pytest.raises(InputError) as err:
        softmax(2.0, axis=1)
    assert str(err.value) == "axis 1 is out of range for a single number"


# ------------------------------------------------------------ the new options' errors

CASES: list[tuple[Callable[[], Any], str]] = [
    (lambda: cross_entropy(Q, Q, ignore_index=-100), "ignore index applies to class-index targets, not to distributions"),
    (lambda: cross_entropy([0, 1], Q, ignore_index=1.5), "ignore index must be a whole number; got 1.5"),
    (lambda: cross_entropy([0, 1], Q, ignore_index="pad"), "ignore index must be a whole number; got 'pad'"),
    (lambda: cross_entropy([0, 1], Q, ignore_index=math.inf), "ignore index must be a whole number; got inf"),
    (lambda: cross_entropy([0, 5], Q, ignore_index=-100), "TARGET class index 5 at index 1 is out of range for 3 classes (0 to 2)"),
    (lambda: cross_entropy([-100, -100], Q, ignore_index=-100), "the mean is undefined: every row's target is the ignore index"),
    (lambda: cross_entropy_grad([-1, -1], Q, ignore_index=-1, reduction="mean"), "the mean is undefined: every row's target is the ignore index"),
    (lambda: cross_entropy([0, 1], Q, sample_weights=[1, 2, 3]), "sample weights must have shape (2,), one per row; got shape (3,)"),
    (lambda: cross_entropy([0, 1], Q, sample_weights=[0, 0]), "the weighted mean is undefined: the sample weights sum to 0"),
    (lambda: kl_divergence(Q, Q, sample_weights=[1, math.nan]), "sample weights must be finite and >= 0; got nan at index 1"),
    (lambda: binary_cross_entropy([[1, 0]], [[0.5, 0.5]], sample_weights=[1, 2, 3]), "sample weights must have shape (1,) (one per row) or (1, 2) (one per element); got shape (3,)"),
    (lambda: binary_cross_entropy([1, 0], [0.5, 0.5], label_smoothing=1), "label smoothing must be in [0, 1); got 1"),
    (lambda: sigmoid_focal_loss(1, 0.5, alpha=1.5), "alpha must be in [0, 1] for the sigmoid focal loss; got 1.5"),
    (lambda: sigmoid_focal_loss(1, 0.5, gamma=-1), "gamma must be a finite number >= 0; got -1"),
    (lambda: sigmoid_focal_loss(2, 0.5), "TARGET label 2 is outside [0, 1]"),
    (lambda: sigmoid_focal_loss(1, math.inf, from_logits=True), "PRED has an invalid logit inf at index 0 (-inf is allowed)"),
    (lambda: js_divergence([0.5, 0.5], [0.5, 0.6]), "Q sums to 1.1, not 1 (use --normalize to rescale it)"),
    (lambda: js_divergence([0.5, 0.5], [1.0]), "P has 2 values but Q has 1"),
    (lambda: expected_calibration_error([0, 1], Q, bins=0), "bins must be a whole number from 1 to 10000; got 0"),
    (lambda: expected_calibration_error([0, 1], Q, bins=2.5), "bins must be a whole number from 1 to 10000; got 2.5"),
    (lambda: expected_calibration_error([0, 1], Q, bins="ten"), "bins must be a whole number from 1 to 10000; got 'ten'"),
    (lambda: expected_calibration_error([0, 3], Q), "TARGET class index 3 at index 1 is out of range for 3 classes (0 to 2)"),
    (lambda: brier_score([0, 1], [[0.5, 0.6, 0.1], [0.1, 0.3, 0.6]]), "PRED row 0 sums to 1.2, not 1 (use --normalize to rescale it)"),
    (lambda: brier_score([0, 1], Q, normalize=True, from_logits=True), "--normalize applies to probabilities, not to logits"),
    (lambda: perplexity([0, 1], Q, sample_weights=[0, 0]), "the weighted mean is undefined: the sample weights sum to 0"),
    (lambda: calibration_bins([0], [[1.0, 0.0]], bins=3) + calibration_bins([0], [[1.0, 0.0]], bins=4), "calibration bins of different sizes cannot be combined"),
]


@pytest.mark.parametrize(("call", "message"), CASES)
def test_new_options_bad_input(call: Callable[[], Any], message: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(InputError) as err:
            call()
    assert str(err.value) == message


# --------------------------------------------------------------- huge weights


def test_huge_class_and_sample_weights_cancel_in_the_mean() -> None:
    q = [[0.5, 0.5], [0.5, 0.5]]
    assert math.isclose(cross_entropy([1, 1], q, weights=1e308), math.log(2), rel_tol=1e-15)
    assert math.isclose(cross_entropy([0, 0], [[0.05, 0.95]] * 2, weights=[1e308, 1e308]), -math.log(0.05), rel_tol=1e-15)
    assert math.isclose(cross_entropy([1, 1], q, sample_weights=[1e308, 1e308]), math.log(2), rel_tol=1e-15)
    grad = cross_entropy_grad([1, 1], [[0.0, 0.0]] * 2, weights=1e308, reduction="mean")
    np.testing.assert_allclose(grad, [[0.25, -0.25]] * 2, rtol=1e-15)
    assert cross_entropy([0, 0], [[0.05, 0.95]] * 2, weights=1e308, reduction="sum") == math.inf  # 6e308
    f32 = np.array(q, dtype=np.float32)
    assert math.isclose(cross_entropy([1, 1], f32, weights=1e308), math.log(2), rel_tol=1e-6)


# ------------------------------------------- hostile input: overflowing sums and units

OVERFLOWING_SUMS: list[tuple[Callable[[], Any], str]] = [
    (lambda: entropy([1e308, 1e308]), "P sums to inf, not 1 (use --normalize to rescale it)"),
    (lambda: entropy([[0.5, 0.5], [1e308, 1e308]]), "P row 1 sums to inf, not 1 (use --normalize to rescale it)"),
    (lambda: cross_entropy([0, 1], [1e308, 1e308]), "PRED sums to inf, not 1 (use --normalize to rescale it)"),
    (lambda: kl_divergence([0.5, 0.5], [1e308, 1e308]), "Q sums to inf, not 1 (use --normalize to rescale it)"),
    (lambda: kl_divergence([1e308, 1e308], [0.5, 0.5]), "P sums to inf, not 1 (use --normalize to rescale it)"),
    (lambda: focal_loss(0, [1e308, 1e308]), "PRED sums to inf, not 1 (use --normalize to rescale it)"),
    (lambda: js_divergence([1e308, 1e308], [0.5, 0.5]), "P sums to inf, not 1 (use --normalize to rescale it)"),
    (lambda: brier_score([0], [[1e308, 1e308]]), "PRED row 0 sums to inf, not 1 (use --normalize to rescale it)"),
]


@pytest.mark.parametrize(("call", "message"), OVERFLOWING_SUMS)
def test_a_sum_that_overflows_is_named_not_an_internal_error(call: Callable[[], Any], message: str) -> None:
    """Issue 17 D1: entropy([1e308, 1e308]) raised IndexError after numpy warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(InputError) as err:
            call()
    assert str(err.value) == message


HUGE_BESIDE_NON_FINITE: list[tuple[Callable[[], Any], str]] = [
    (lambda: entropy([1e308, 1e308, -math.inf]), "P has a non-finite value -inf at index 2"),
    (lambda: entropy([math.nan, 1e308, 1e308]), "P has a non-finite value nan at index 0"),
    (lambda: cross_entropy(0, [1e308, 1e308, -math.inf]), "PRED has a non-finite value -inf at index 2"),
    (lambda: cross_entropy([1e308, 1e308, -math.inf], [0.2, 0.3, 0.5]), "TARGET has a non-finite value -inf at index 2"),
    (lambda: cross_entropy([[0.2, 0.3, 0.5], [1e308, -math.inf, 1e308]], Q), "TARGET has a non-finite value -inf at index [1, 1]"),
    (lambda: kl_divergence([0.2, 0.3, 0.5], [1e308, 1e308, math.nan]), "Q has a non-finite value nan at index 2"),
    (lambda: kl_divergence([1e308, -math.inf, 1e308], [0.2, 0.3, 0.5]), "P has a non-finite value -inf at index 1"),
    (lambda: js_divergence([0.2, 0.3, 0.5], [1e308, 1e308, -math.inf]), "Q has a non-finite value -inf at index 2"),
    (lambda: focal_loss(0, [1e308, 1e308, -math.inf], normalize=True), "PRED has a non-finite value -inf at index 2"),
    (lambda: perplexity(0, [1e308, 1e308, math.nan]), "PRED has a non-finite value nan at index 2"),
    (lambda: brier_score(0, [1e308, 1e308, -math.inf]), "PRED has a non-finite value -inf at index 2"),
    (lambda: expected_calibration_error(0, [1e308, 1e308, -math.inf]), "PRED has a non-finite value -inf at index 2"),
    (lambda: cross_entropy_grad([1e308, 1e308, -math.inf], [0.0, 0.0, 0.0]), "TARGET has a non-finite value -inf at index 2"),
    (lambda: binary_cross_entropy([1, 1, 1], [1e308, 1e308, -math.inf]), "PRED has a non-finite value -inf at index 2"),
]


@pytest.mark.parametrize(("call", "message"), HUGE_BESIDE_NON_FINITE)
def test_a_huge_entry_beside_a_non_finite_one_is_named_without_a_warning(
    call: Callable[[], Any], message: str,
) -> None:
    """Issue 17 (fuzz): 1e308 + 1e308 + -inf summed to NaN, with RuntimeWarnings,
    before the -inf was named. The entries are now checked before they are added."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(InputError) as err:
            call()
    assert str(err.value) == message


def test_a_one_row_target_is_named_by_its_own_positions() -> None:
    # One typed vector, not row 0 of a batch: 'index 1', 'TARGET sums to'.
    with pytest.raises(InputError, match=r"^TARGET has a negative probability -0\.3 at index 1$"):
        cross_entropy([0.2, -0.3, 0.4], [0.2, 0.3, 0.5])
    with pytest.raises(InputError, match=r"^TARGET sums to 0\.9, not 1 "):
        cross_entropy([0.2, 0.3, 0.4], [0.2, 0.3, 0.5])


def test_the_breakdown_normalizes_a_row_whose_sum_overflows_like_the_measure() -> None:
    from xentcli.core.breakdown import cross_entropy_breakdown

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        b = cross_entropy_breakdown([0.2, 0.3, 0.5], [1e308, 1e308, 0], normalize=True)
    assert b.prob is not None
    assert b.prob.tolist() == [[0.5, 0.5, 0.0]]  # was [[0, 0, 0]]: 1e308 / inf


def test_normalize_rescales_rows_whose_sum_overflows() -> None:
    assert entropy([1e308, 1e308], normalize=True) == math.log(2)
    assert cross_entropy([[0, 1]], [[1e308, 1e308]], normalize=True) == math.log(2)
    assert kl_divergence([1e308, 3e307], [1, 0.3], normalize=True) == 0.0
    assert brier_score([0], [[1e308, 1e308]], normalize=True) == 0.5


def test_huge_weights_give_the_right_value_never_nan() -> None:
    """Issue 17 D2: weights of 1e308 gave NaN (inf / inf) and 0.0 for 0.6931."""
    two_rows = [[0.05, 0.95], [0.05, 0.95]]
    assert math.isclose(cross_entropy([0, 0], two_rows, weights=1e308), -math.log(0.05), rel_tol=1e-15)
    assert math.isclose(cross_entropy([1, 1], [[0.5, 0.5]] * 2, weights=1e308), math.log(2), rel_tol=1e-15)
    # a sum beyond the largest float is inf, which is the right float
    assert cross_entropy([0, 0], two_rows, weights=1e308, reduction="sum") == math.inf
    grad = cross_entropy_grad([1, 1], [[0.0, 0.0]] * 2, weights=1e308, reduction="mean")
    np.testing.assert_allclose(grad, [[0.25, -0.25]] * 2, rtol=1e-15)
    assert not np.isnan(cross_entropy_grad([1, 1], [[0.0, 0.0]] * 2, weights=1e308)).any()
    # four losses of 6.9e307: the sum overflows, the mean does not
    mean = binary_cross_entropy(np.ones(4), np.full(4, 0.5), pos_weight=1e308)
    assert math.isclose(mean, 1e308 * math.log(2), rel_tol=1e-15)


def test_a_base_near_one_with_huge_weights_warns_nothing() -> None:
    """Issue 17 D3: base 1 + 2^-52 with pos weight 1e300 leaked RuntimeWarnings."""
    base = 1.0000000000000002
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert binary_cross_entropy(1, 0.5, base=base, pos_weight=1e300) == math.inf  # 3e315
        assert binary_cross_entropy([1], [0.5], base=base, pos_weight=1e300, reduction="none")[0] == math.inf
        assert cross_entropy(0, [0.5, 0.5], base=base, weights=[1e300, 1], reduction="none") == math.inf
        assert math.isclose(cross_entropy(0, [0.5, 0.5], base=base, weights=[1e300, 1]), math.log(2) / math.log(base), rel_tol=1e-15)
        assert cross_entropy_grad(0, [0.0, 0.0], base=base, weights=[1e300, 1]).tolist() == [-math.inf, math.inf]
        assert math.isclose(surprisal(1e-300, base=base), 300 * math.log(10) / math.log(base), rel_tol=1e-14)

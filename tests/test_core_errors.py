"""Every way to give the core bad input, and the exact message it answers with."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

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
    resolve_base,
    softmax,
    surprisal,
)

Q = [0.7, 0.2, 0.1]

CASES: list[tuple[Callable[[], Any], str]] = [
    (lambda: entropy([0.2, math.nan, 0.8]), "P has a non-finite value nan at index 1"),
    (lambda: entropy([0.2, math.inf]), "P has a non-finite value inf at index 1"),
    (lambda: entropy([0.5, -0.1, 0.6]), "P has a negative probability -0.1 at index 1"),
    (
        lambda: entropy([0.2, 0.3, 0.4]),
        "P sums to 0.9, not 1 (use --normalize to rescale it)",
    ),
    (
        lambda: entropy([[0.5, 0.5], [0.2, 0.3]]),
        "P row 1 sums to 0.5, not 1 (use --normalize to rescale it)",
    ),
    (lambda: entropy([[0.5, 0.5], [0, 0]], normalize=True), "P cannot be normalized: row 1 sums to 0"),
    (lambda: entropy([]), "P is empty"),
    (lambda: entropy(0.5), "P must be a vector of values, got a single number"),
    (lambda: entropy([[0.5, 0.5], [1.0]]), "P has rows of different lengths"),
    (lambda: entropy(["a", "b"]), "P must contain numbers only"),
    (lambda: entropy([0.5, 0.5], base=1), "base must be a positive finite number other than 1; got 1"),
    (lambda: entropy([0.5, 0.5], base=-2), "base must be a positive finite number other than 1; got -2"),
    (lambda: entropy([0.5, 0.5], base=0), "base must be a positive finite number other than 1; got 0"),
    (
        lambda: entropy([0.5, 0.5], base="foo"),
        "base must be e, 2, 10, nats, bits, bans or a positive number; got 'foo'",
    ),
    (lambda: entropy([0.5, 0.5], base=math.inf), "base must be a positive finite number other than 1; got inf"),
    (lambda: entropy([0.5, 0.5], reduction="avg"), "reduction must be mean, sum or none; got 'avg'"),
    (lambda: surprisal([0.5, 1.5]), "P has a probability 1.5 above 1 at index 1"),
    (lambda: surprisal(-0.5), "P has a negative probability -0.5 at index 0"),
    (lambda: cross_entropy([1, 0], Q), "TARGET has 2 values but PRED has 3"),
    (
        lambda: cross_entropy([[1, 0, 0]], [Q, Q]),
        "TARGET has shape (1, 3) but PRED has shape (2, 3)",
    ),
    (
        lambda: cross_entropy(3, Q),
        "TARGET class index 3 is out of range for 3 classes (0 to 2)",
    ),
    (
        lambda: cross_entropy(np.array([0, -1]), [Q, Q]),
        "TARGET class index -1 at index 1 is out of range for 3 classes (0 to 2)",
    ),
    (
        lambda: cross_entropy(np.array([0.5]), [Q]),
        "TARGET class index 0.5 at index 0 is not a whole number",
    ),
    (lambda: cross_entropy(0, [0.7, -0.2, 0.5]), "PRED has a negative probability -0.2 at index 1"),
    (
        lambda: cross_entropy(0, [0.7, 0.2, 0.2]),
        "PRED sums to 1.1, not 1 (use --normalize to rescale it)",
    ),
    (
        lambda: cross_entropy(0, [1.0, math.nan], from_logits=True),
        "PRED has an invalid logit nan at index 1 (-inf is allowed)",
    ),
    (
        lambda: cross_entropy(0, [1.0, math.inf], from_logits=True),
        "PRED has an invalid logit inf at index 1 (-inf is allowed)",
    ),
    (
        lambda: cross_entropy(0, [-math.inf, -math.inf], from_logits=True),
        "PRED has every logit -inf: at least one class must be possible",
    ),
    (
        lambda: cross_entropy(0, [0.5, 0.5], from_logits=True, normalize=True),
        "--normalize applies to probabilities, not to logits",
    ),
    (lambda: cross_entropy(0, Q, label_smoothing=1.0), "label smoothing must be in [0, 1); got 1"),
    (
        lambda: cross_entropy(0, Q, label_smoothing=-0.1),
        "label smoothing must be in [0, 1); got -0.1",
    ),
    (lambda: cross_entropy(0, Q, eps=0.7), "eps must be between 0 and 0.5 (exclusive); got 0.7"),
    (lambda: cross_entropy(0, Q, eps=0), "eps must be between 0 and 0.5 (exclusive); got 0"),
    (
        lambda: cross_entropy(0, Q, weights=[1, 2]),
        "weights must have one value per class (3); got shape (2,)",
    ),
    (
        lambda: cross_entropy(0, Q, weights=[1, -2, 1]),
        "weights must be finite and >= 0; got -2 at index 1",
    ),
    (
        lambda: cross_entropy(0, Q, weights=[0, 1, 1]),
        "the weighted mean is undefined: the targets' weights sum to 0",
    ),
    (lambda: kl_divergence([0.5, 0.5], Q), "P has 2 values but Q has 3"),
    (lambda: kl_divergence([0.5, 0.5], [0.5, -0.5]), "Q has a negative probability -0.5 at index 1"),
    (lambda: binary_cross_entropy([1.5], [0.5]), "TARGET label 1.5 at index 0 is outside [0, 1]"),
    (lambda: binary_cross_entropy([math.nan], [0.5]), "TARGET label nan at index 0 is outside [0, 1]"),
    (lambda: binary_cross_entropy([1, 0], [0.5]), "TARGET has 2 values but PRED has 1"),
    (lambda: binary_cross_entropy(1, 1.2), "PRED has a probability 1.2 above 1 at index 0"),
    (
        lambda: binary_cross_entropy(1, math.nan, from_logits=True),
        "PRED has an invalid logit nan at index 0 (-inf is allowed)",
    ),
    (lambda: binary_cross_entropy(1, 0.5, pos_weight=-1), "pos weight must be finite and >= 0; got -1"),
    (lambda: binary_cross_entropy([1, 0], [0.5, 0.5], pos_weight=[1, math.nan]), "pos weight must be finite and >= 0; got nan at index 1"),
    (lambda: cross_entropy(1.5, Q), "TARGET class index 1.5 is not a whole number"),
    (
        lambda: binary_cross_entropy([1, 0], [0.5, 0.5], pos_weight=[1, 2, 3]),
        "pos weight has shape (3,), which does not fit PRED's shape (2,)",
    ),
    (lambda: focal_loss(0, Q, gamma=-1), "gamma must be a finite number >= 0; got -1"),
    (lambda: focal_loss(0, Q, alpha=[1, 1]), "alpha must have one value per class (3); got shape (2,)"),
    (lambda: softmax([0.0, math.nan]), "Z has an invalid logit nan at index 1 (-inf is allowed)"),
    (lambda: log_softmax([[0.0, 1.0], [math.inf, 0.0]]), "Z has an invalid logit inf at index [1, 0] (-inf is allowed)"),
    (lambda: logsumexp([math.nan]), "Z has an invalid logit nan at index 0 (-inf is allowed)"),
    (lambda: cross_entropy_grad(5, [0.0, 1.0]), "TARGET class index 5 is out of range for 2 classes (0 to 1)"),
    (lambda: cross_entropy_grad([1, 0, 0], [0.0, 1.0]), "TARGET has 3 values but Z has 2"),
    (lambda: resolve_base(True), "base must be a number or e, 2, 10, nats, bits, bans; got True"),
]


@pytest.mark.parametrize(("call", "message"), CASES, ids=[m for _, m in CASES])
def test_input_error_message(call: Callable[[], Any], message: str) -> None:
    with pytest.raises(InputError) as info:
        call()
    assert str(info.value) == message


def test_input_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="P is empty"):
        entropy([])

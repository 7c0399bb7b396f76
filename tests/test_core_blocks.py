"""The blocked, threaded kernel equals the plain formulas, at every block boundary."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from xentcli.core import (
    _blocks,
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


@pytest.fixture(autouse=True)
def tiny_blocks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # A few elements per block and threads from the first element: every batch
    # below spans many blocks, and their edges fall everywhere.
    monkeypatch.setattr(_blocks, "BLOCK_ELEMENTS", 7)
    monkeypatch.setattr(_blocks, "PARALLEL_MIN_ELEMENTS", 0)
    yield


def plain_log_softmax(z: np.ndarray) -> np.ndarray:
    m = z.max(axis=-1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))


@st.composite
def batches(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = draw(st.integers(1, 40))
    k = draw(st.integers(1, 9))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    z = (rng.standard_normal((n, k)) * draw(st.sampled_from([0.1, 3.0, 30.0]))).astype(dtype)
    labels = rng.integers(0, k, n)
    soft = rng.random((n, k)) + 0.01
    soft = (soft / soft.sum(axis=1, keepdims=True)).astype(dtype)
    return z, labels, soft


def close(a: np.ndarray, b: np.ndarray, dtype: np.dtype) -> None:
    tight = dtype == np.float64
    np.testing.assert_allclose(a, b, rtol=1e-12 if tight else 2e-5, atol=1e-12 if tight else 1e-5)


@given(batches())
def test_cross_entropy_blocks_equal_plain_formula(b: tuple[np.ndarray, ...]) -> None:
    z, labels, soft = b
    log_q = plain_log_softmax(z.astype(np.float64))
    nll = -log_q[np.arange(len(labels)), labels]
    got = cross_entropy(labels, z, from_logits=True, reduction="none")
    assert got.dtype == z.dtype
    close(got, nll, z.dtype)
    close(cross_entropy(soft, z, from_logits=True, reduction="none"),
          -(soft * log_q).sum(axis=1), z.dtype)
    probs = np.exp(log_q).astype(z.dtype)  # may underflow to 0 in float32: then inf
    with np.errstate(divide="ignore"):
        plain = -np.log(probs[np.arange(len(labels)), labels] / probs.sum(axis=1))
    close(cross_entropy(labels, probs, normalize=True, reduction="none"), plain, z.dtype)
    w = np.linspace(0.5, 2.0, z.shape[1])
    weighted = nll * w[labels]
    close(cross_entropy(labels, z, from_logits=True, weights=w), weighted.sum() / w[labels].sum(),
          z.dtype)
    eps = 0.1
    y = np.full(z.shape, eps / z.shape[1])
    y[np.arange(len(labels)), labels] += 1 - eps
    close(cross_entropy(labels, z, from_logits=True, label_smoothing=eps, reduction="sum"),
          -(y * log_q).sum(), z.dtype)


@given(batches())
def test_other_measures_blocks_equal_plain_formulas(b: tuple[np.ndarray, ...]) -> None:
    z, labels, soft = b
    log_q = plain_log_softmax(z.astype(np.float64))
    q = np.exp(log_q)
    close(log_softmax(z), log_q, z.dtype)
    close(softmax(z), q, z.dtype)
    m = z.astype(np.float64).max(axis=1)
    close(logsumexp(z), m + np.log(np.exp(z - m[:, None]).sum(axis=1)), z.dtype)
    close(entropy(soft, reduction="none"), -(soft * np.log(soft)).sum(axis=1), z.dtype)
    close(kl_divergence(soft, z, from_logits=True, reduction="none"),
          np.maximum((soft * (np.log(soft) - log_q)).sum(axis=1), 0), z.dtype)
    g = 2.0
    close(focal_loss(labels, z, from_logits=True, gamma=g, reduction="none"),
          (-(1 - q) ** g * log_q)[np.arange(len(labels)), labels], z.dtype)
    onehot = np.eye(z.shape[1])[labels]
    close(cross_entropy_grad(labels, z), q - onehot, z.dtype)
    y01 = (soft > soft.mean()).astype(z.dtype)
    x = z.astype(np.float64)
    softplus_neg = np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))  # -log sigmoid(x)
    plain_bce = (1 - y01) * x + softplus_neg  # torch's BCE-with-logits formula
    close(binary_cross_entropy(y01, z, from_logits=True, reduction="none"), plain_bce, z.dtype)
    close(binary_cross_entropy(y01, z, from_logits=True), plain_bce.mean(), z.dtype)
    pw = np.linspace(1.0, 3.0, z.shape[1])
    weighted = (1 - y01) * x + (1 + (pw - 1) * y01) * softplus_neg
    close(binary_cross_entropy(y01, z, from_logits=True, pos_weight=pw, reduction="sum"),
          weighted.sum(), z.dtype)


@given(batches(), st.integers(0, 39), st.integers(0, 8))
def test_bad_value_anywhere_is_reported_with_its_global_position(
    b: tuple[np.ndarray, ...], row: int, col: int
) -> None:
    z, labels, soft = b
    row, col = row % z.shape[0], col % z.shape[1]
    bad = soft.copy()
    bad[row, col] = np.nan
    with pytest.raises(ValueError) as info:
        cross_entropy(labels, bad)
    where = f"index {col}" if bad.ndim == 1 else f"index [{row}, {col}]"
    assert str(info.value) == f"PRED has a non-finite value nan at {where}"

"""The new measures and options against their peers' formulas, written out here.

Each reference below is the peer's own formula re-implemented plainly in numpy
(torchvision's ``sigmoid_focal_loss``, torch's ``ignore_index``, sklearn's
``sample_weight``, scipy's ``jensenshannon``, keras's binary label smoothing),
not a call into xentcli. Where torch is installed, one more test runs torch
itself; it is skipped otherwise (torch is never a dependency).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

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

RNG = np.random.default_rng(18)
RTOL = 1e-12


def _log_softmax(z: np.ndarray) -> np.ndarray:
    m = z.max(axis=-1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))


def _logits(n: int, k: int, scale: float = 3.0) -> np.ndarray:
    return RNG.normal(size=(n, k)) * scale


def _probs(n: int, k: int) -> np.ndarray:
    return RNG.dirichlet(np.ones(k), size=n)


# ----------------------------------------------------------- torchvision focal


def torchvision_sigmoid_focal(
    x: np.ndarray, y: np.ndarray, alpha: float, gamma: float
) -> np.ndarray:
    """torchvision.ops.sigmoid_focal_loss, reduction="none", in numpy."""
    p = 1 / (1 + np.exp(-x))
    ce = np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x)))  # BCE with logits
    p_t = p * y + (1 - p) * (1 - y)
    loss = ce * ((1 - p_t) ** gamma)
    if alpha >= 0:
        loss = (alpha * y + (1 - alpha) * (1 - y)) * loss
    return loss


@pytest.mark.parametrize("alpha", [-1.0, 0.25, 0.9])
@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 5.0])
@pytest.mark.parametrize("scale", [1.0, 8.0])
def test_sigmoid_focal_matches_torchvision(alpha: float, gamma: float, scale: float) -> None:
    x = _logits(40, 5, scale)
    y = (RNG.random((40, 5)) < 0.3).astype(float)
    ref = torchvision_sigmoid_focal(x, y, alpha, gamma)
    a = None if alpha < 0 else alpha
    got = sigmoid_focal_loss(y, x, gamma=gamma, alpha=a, from_logits=True, reduction="none")
    # torchvision forms 1 - p_t by subtraction, which keeps only about
    # eps / (1 - p_t) of its digits on easy examples; xentcli does not (mpmath
    # decides in test_core_reference), so the peer is held to what it can give.
    p = 1 / (1 + np.exp(-x))
    miss = np.abs(y - p)
    peer_error = 1e-12 + gamma * 2.3e-16 / np.maximum(miss, 1e-300)
    assert (np.abs(got - ref) <= peer_error * np.abs(ref)).all()
    mean = sigmoid_focal_loss(y, x, gamma=gamma, alpha=a, from_logits=True)
    assert math.isclose(mean, ref.mean(), rel_tol=1e-12)
    total = sigmoid_focal_loss(y, x, gamma=gamma, alpha=a, from_logits=True, reduction="sum")
    assert math.isclose(total, ref.sum(), rel_tol=1e-12)


def test_sigmoid_focal_from_probabilities_matches_logits() -> None:
    x = _logits(30, 4)
    y = RNG.random((30, 4))  # soft labels use the same formulas
    p = 1 / (1 + np.exp(-x))
    by_logits = sigmoid_focal_loss(y, x, alpha=0.25, from_logits=True, reduction="none")
    by_probs = sigmoid_focal_loss(y, p, alpha=0.25, reduction="none")
    np.testing.assert_allclose(by_probs, by_logits, rtol=1e-9)


def test_sigmoid_focal_gamma_zero_without_alpha_is_bce() -> None:
    x, y = _logits(20, 3), (RNG.random((20, 3)) < 0.5).astype(float)
    assert math.isclose(
        sigmoid_focal_loss(y, x, gamma=0, from_logits=True),
        binary_cross_entropy(y, x, from_logits=True),
        rel_tol=1e-14,
    )


# -------------------------------------------------------------- torch ignore_index


def torch_nll(
    labels: np.ndarray, z: np.ndarray, ignore: int, w: np.ndarray | None
) -> tuple[float, float]:
    """torch.nn.functional.cross_entropy(z, labels, weight=w, ignore_index=ignore):
    (mean, sum) over the rows that are not ignored, the mean weighted by w[y_n]."""
    keep = labels != ignore
    log_q = _log_softmax(z[keep])
    y = labels[keep]
    wy = np.ones(len(y)) if w is None else w[y]
    losses = -wy * log_q[np.arange(len(y)), y]
    return losses.sum() / wy.sum(), losses.sum()


@pytest.mark.parametrize("ignore", [-100, 2])
@pytest.mark.parametrize("weighted", [False, True])
def test_ignore_index_matches_torch(ignore: int, weighted: bool) -> None:
    z = _logits(50, 4)
    labels = RNG.integers(0, 4, 50)
    labels[RNG.random(50) < 0.3] = ignore
    w = RNG.random(4) + 0.1 if weighted else None
    mean, total = torch_nll(labels, z, ignore, w)
    kw = {"from_logits": True, "weights": w, "ignore_index": ignore}
    assert math.isclose(cross_entropy(labels, z, **kw), mean, rel_tol=RTOL)
    assert math.isclose(cross_entropy(labels, z, reduction="sum", **kw), total, rel_tol=RTOL)
    rows = cross_entropy(labels, z, reduction="none", **kw)
    assert (rows[labels == ignore] == 0).all() and (rows[labels != ignore] > 0).all()
    assert math.isclose(
        mean_denominator(labels, z.shape, weights=w, ignore_index=ignore),
        (labels != ignore).sum() if w is None else w[labels[labels != ignore]].sum(),
        rel_tol=RTOL,
    )


def test_ignore_index_focal_perplexity_and_gradient() -> None:
    z = _logits(30, 5)
    labels = RNG.integers(0, 5, 30)
    labels[::4] = -100
    keep = labels != -100
    q = np.exp(_log_softmax(z))
    ref_focal = np.mean(
        [-((1 - q[n, t]) ** 2) * math.log(q[n, t]) for n, t in enumerate(labels) if t >= 0]
    )
    got = focal_loss(labels, z, from_logits=True, ignore_index=-100)
    assert math.isclose(got, ref_focal, rel_tol=RTOL)
    nll = -_log_softmax(z[keep])[np.arange(keep.sum()), labels[keep]]
    assert math.isclose(
        perplexity(labels, z, from_logits=True, ignore_index=-100),
        math.exp(nll.mean()),
        rel_tol=RTOL,
    )
    # torch: the gradient of the mean loss is (softmax - onehot) / (kept rows), 0 where ignored
    onehot = np.zeros_like(z)
    onehot[np.flatnonzero(keep), labels[keep]] = 1
    ref_grad = np.where(keep[:, None], q - onehot, 0) / keep.sum()
    grad = cross_entropy_grad(labels, z, ignore_index=-100, reduction="mean")
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-12, atol=1e-17)
    assert (cross_entropy_grad(labels, z, ignore_index=-100)[~keep] == 0).all()


# ------------------------------------------------------------ sklearn sample_weight


def sklearn_log_loss(labels: np.ndarray, q: np.ndarray, s: np.ndarray) -> float:
    """sklearn.metrics.log_loss(labels, q, sample_weight=s): np.average of -log q_y."""
    return float(np.average(-np.log(q[np.arange(len(labels)), labels]), weights=s))


def test_sample_weights_match_sklearn_log_loss() -> None:
    q = _probs(60, 4)
    labels = RNG.integers(0, 4, 60)
    s = RNG.random(60) * 3
    assert math.isclose(cross_entropy(labels, q, sample_weights=s), sklearn_log_loss(labels, q, s), rel_tol=RTOL)
    per_row = -np.log(q[np.arange(60), labels])
    assert math.isclose(cross_entropy(labels, q, sample_weights=s, reduction="sum"), (s * per_row).sum(), rel_tol=RTOL)
    np.testing.assert_allclose(cross_entropy(labels, q, sample_weights=s, reduction="none"), s * per_row, rtol=RTOL)
    assert math.isclose(mean_denominator(labels, q, sample_weights=s), s.sum(), rel_tol=RTOL)


def test_sample_weights_on_bce_kl_js_focal() -> None:
    p, q = _probs(25, 3), _probs(25, 3)
    s = RNG.random(25)
    for measure in (kl_divergence, js_divergence):
        rows = measure(p, q, reduction="none")
        assert math.isclose(measure(p, q, sample_weights=s), np.average(rows, weights=s), rel_tol=RTOL)
    rows = focal_loss(p, q, reduction="none")
    assert math.isclose(focal_loss(p, q, sample_weights=s), np.average(rows, weights=s), rel_tol=RTOL)
    y, x = (RNG.random((25, 3)) < 0.5).astype(float), RNG.random((25, 3))
    elements = binary_cross_entropy(y, x, reduction="none")
    # one weight per row counts for each of the row's elements (sklearn on the flat labels)
    ref = np.average(elements, weights=np.broadcast_to(s[:, None], elements.shape))
    assert math.isclose(binary_cross_entropy(y, x, sample_weights=s), ref, rel_tol=RTOL)
    per_element = RNG.random((25, 3))
    ref = np.average(elements, weights=per_element)
    assert math.isclose(binary_cross_entropy(y, x, sample_weights=per_element), ref, rel_tol=RTOL)


def test_integer_sample_weights_repeat_rows() -> None:
    q = _probs(8, 3)
    labels = RNG.integers(0, 3, 8)
    s = np.array([0, 1, 2, 3, 1, 0, 2, 1])
    repeated = cross_entropy(np.repeat(labels, s), np.repeat(q, s, axis=0), weights=[1, 2, 3])
    assert math.isclose(cross_entropy(labels, q, weights=[1, 2, 3], sample_weights=s), repeated, rel_tol=RTOL)


# --------------------------------------------------------------- scipy jensenshannon


def scipy_jensenshannon(p: np.ndarray, q: np.ndarray, base: float | None = None) -> float:
    """scipy.spatial.distance.jensenshannon: sqrt of (rel_entr(p, m) + rel_entr(q, m)) / 2."""
    m = (p + q) / 2

    def rel_entr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        out = np.zeros_like(a)
        pos = a > 0
        out[pos] = a[pos] * np.log(a[pos] / b[pos])
        return out

    js = (rel_entr(p, m).sum() + rel_entr(q, m).sum()) / 2
    if base is not None:
        js /= np.log(base)
    return float(np.sqrt(js))


@pytest.mark.parametrize("base", [None, 2.0, 10.0])
def test_js_distance_matches_scipy(base: float | None) -> None:
    for p, q in zip(_probs(30, 6), _probs(30, 6), strict=True):
        p[RNG.random(6) < 0.2] = 0  # exact zeros on either side
        p /= p.sum()
        ref = scipy_jensenshannon(p, q, base)
        got = js_divergence(p, q, distance=True, base="e" if base is None else base)
        assert math.isclose(got, ref, rel_tol=1e-12), (p, q)
        assert math.isclose(js_divergence(p, q, base="e" if base is None else base), ref**2, rel_tol=1e-12)


def test_js_disjoint_is_one_bit_and_identical_is_zero() -> None:
    assert js_divergence([1, 0, 0], [0, 0.5, 0.5], base=2) == 1.0
    assert js_divergence([0.2, 0.8], [0.2, 0.8]) == 0.0


# ------------------------------------------------------------- keras label smoothing


@pytest.mark.parametrize("smoothing", [0.0, 0.1, 0.5, 0.99])
def test_bce_label_smoothing_matches_keras(smoothing: float) -> None:
    """keras.losses.binary_crossentropy(..., label_smoothing=E): y * (1 - E) + 0.5 * E."""
    y = (RNG.random((10, 4)) < 0.5).astype(float)
    x = _logits(10, 4)
    ys = y * (1 - smoothing) + 0.5 * smoothing
    ref = np.maximum(x, 0) - x * ys + np.log1p(np.exp(-np.abs(x)))
    got = binary_cross_entropy(y, x, from_logits=True, label_smoothing=smoothing, reduction="none")
    np.testing.assert_allclose(got, ref, rtol=1e-12)
    p = 1 / (1 + np.exp(-x))
    got_p = binary_cross_entropy(y, p, label_smoothing=smoothing, reduction="none")
    np.testing.assert_allclose(got_p, ref, rtol=1e-9)


# ---------------------------------------------------------- calibration, perplexity


def reference_ece(labels: np.ndarray, q: np.ndarray, bins: int) -> float:
    """Guo et al.'s ECE, bins (lo, hi] by a plain loop over the rows."""
    conf, top = q.max(axis=1), q.argmax(axis=1)
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        inside = (conf > lo) & (conf <= hi) if lo > 0 else conf <= hi
        if inside.any():
            acc = (top[inside] == labels[inside]).mean()
            total += inside.sum() / len(labels) * abs(acc - conf[inside].mean())
    return total


@pytest.mark.parametrize("bins", [1, 5, 15, 100])
def test_ece_matches_a_plain_loop(bins: int) -> None:
    z = _logits(300, 4, 2.0)
    labels = RNG.integers(0, 4, 300)
    q = np.exp(_log_softmax(z))
    ref = reference_ece(labels, q, bins)
    assert math.isclose(expected_calibration_error(labels, q, bins=bins), ref, rel_tol=1e-12, abs_tol=1e-15)
    assert math.isclose(
        expected_calibration_error(labels, z, bins=bins, from_logits=True), ref, rel_tol=1e-9, abs_tol=1e-15
    )


def test_ece_confidence_on_an_edge_closes_the_lower_bin() -> None:
    # 0.6 lies on an edge of 5 bins: it belongs to (0.4, 0.6], not (0.6, 0.8]
    b = calibration_bins([0], [[0.6, 0.4]], bins=5)
    assert b.counts.tolist() == [0, 0, 1, 0, 0]


def test_ece_chunks_add_up_to_the_whole() -> None:
    q = _probs(100, 3)
    labels = RNG.integers(0, 3, 100)
    whole = calibration_bins(labels, q, bins=10)
    parts = calibration_bins(labels[:37], q[:37], bins=10) + calibration_bins(labels[37:], q[37:], bins=10)
    assert math.isclose(parts.ece(), whole.ece(), rel_tol=1e-14)
    assert parts.accuracy() == whole.accuracy() == (q.argmax(1) == labels).mean()


def test_brier_matches_its_formula() -> None:
    q = _probs(40, 5)
    labels = RNG.integers(0, 5, 40)
    onehot = np.eye(5)[labels]
    ref = ((q - onehot) ** 2).sum(axis=1)
    assert math.isclose(brier_score(labels, q), ref.mean(), rel_tol=RTOL)
    assert math.isclose(brier_score(onehot, q), ref.mean(), rel_tol=RTOL)
    z = np.log(q)
    assert math.isclose(brier_score(labels, z, from_logits=True), ref.mean(), rel_tol=1e-10)


def test_perplexity_is_exp_of_mean_nats() -> None:
    q = _probs(20, 7)
    labels = RNG.integers(0, 7, 20)
    nats = -np.log(q[np.arange(20), labels]).mean()
    assert math.isclose(perplexity(labels, q), math.exp(nats), rel_tol=RTOL)
    assert math.isclose(math.log2(perplexity(labels, q)), cross_entropy(labels, q, base=2), rel_tol=1e-12)


# ----------------------------------------------------------------- torch itself


def test_against_torch_when_installed() -> None:
    torch = pytest.importorskip("torch")
    z = _logits(30, 4)
    labels = RNG.integers(0, 4, 30)
    labels[::5] = -100
    w = RNG.random(4) + 0.5
    tz = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    tl = torch.tensor(labels)
    ref = torch.nn.functional.cross_entropy(tz, tl, weight=torch.tensor(w), ignore_index=-100)
    got = cross_entropy(labels, z, from_logits=True, weights=w, ignore_index=-100)
    assert math.isclose(got, float(ref), rel_tol=1e-12)
    ref_plain = torch.nn.functional.cross_entropy(tz, tl, ignore_index=-100)
    ref_plain.backward()
    grad = cross_entropy_grad(labels, z, ignore_index=-100, reduction="mean")
    np.testing.assert_allclose(grad, tz.grad.numpy(), rtol=1e-10, atol=1e-16)
    y = (RNG.random((30, 4)) < 0.4).astype(float)
    ty, tx = torch.tensor(y), torch.tensor(z)
    p = torch.sigmoid(tx)
    ce = torch.nn.functional.binary_cross_entropy_with_logits(tx, ty, reduction="none")
    p_t = p * ty + (1 - p) * (1 - ty)
    focal = (0.25 * ty + 0.75 * (1 - ty)) * ce * (1 - p_t) ** 2
    got_focal = sigmoid_focal_loss(y, z, alpha=0.25, from_logits=True, reduction="none")
    np.testing.assert_allclose(got_focal, focal.numpy(), rtol=1e-10)

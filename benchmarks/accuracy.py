"""Worst relative error of xentcli.core against the 50-digit mpmath reference.

Run:  python benchmarks/accuracy.py

Uses the extreme inputs and the reference functions of
tests/test_core_reference.py (logits of +-1e4, probabilities down to 1e-300 and
subnormals, exact zeros) and prints, per function, the largest relative error
(absolute error where the true value is below 1e-300). The tests assert 1e-12.

A second table follows KL and JS as Q -> P (Q = P (1 + delta * noise),
renormalized, so that the divergence is ~delta^2): xentcli beside the plain
``sum p log(p / q)`` that scipy's ``rel_entr`` and most libraries add up, whose
relative error grows like 1e-16 / divergence.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import mpmath
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import test_core_reference as ref  # noqa: E402  (the tests' reference, not a copy)

from xentcli.core import (  # noqa: E402
    binary_cross_entropy,
    brier_score,
    cross_entropy,
    entropy,
    focal_loss,
    js_divergence,
    kl_divergence,
    log_softmax,
    logsumexp,
    perplexity,
    sigmoid_focal_loss,
    softmax,
)

worst: dict[str, float] = {}


def error(value: Any, truth: Any) -> float:
    truth = mpmath.mpf(truth)
    err = abs(mpmath.mpf(float(value)) - truth)
    if abs(truth) >= 1e-300:
        err /= abs(truth)
    return float(err)


def record(name: str, value: Any, truth: Any) -> None:
    if mpmath.isinf(truth) or (abs(truth) > sys.float_info.max and math.isinf(value)):
        return  # beyond the largest float: inf is the right answer
    worst[name] = max(worst.get(name, 0.0), error(value, truth))


def mp_kl(p: Any, q: Any) -> Any:
    pairs = zip(p, q, strict=True)
    total = mpmath.fsum(mpmath.mpf(a) * (ref.mlog(a) - ref.mlog(b)) for a, b in pairs if a)
    return max(total, mpmath.mpf(0))


def mp_js(p: Any, q: Any) -> Any:
    terms = []
    for a, b in zip(p, q, strict=True):
        ma, mb = mpmath.mpf(a), mpmath.mpf(b)
        m = (ma + mb) / 2
        terms += [ma * mpmath.log(ma / m)] if a else []
        terms += [mb * mpmath.log(mb / m)] if b else []
    return mpmath.fsum(terms) / 2


def plain_kl(p: np.ndarray, q: np.ndarray) -> float:
    """scipy.special.rel_entr(p, q).sum(): one term per class, added up."""
    pos = p > 0
    return float(np.sum(p[pos] * np.log(p[pos] / q[pos])))


def plain_js(p: np.ndarray, q: np.ndarray) -> float:
    m = (p + q) / 2
    return (plain_kl(p, m) + plain_kl(q, m)) / 2


def extremes() -> None:
    for z in ref.EXTREME_LOGITS:
        finite = [v for v in z if v != -math.inf]
        record("logsumexp", logsumexp(z), ref.ref_lse(finite))
        exact = iter(ref.ref_log_softmax(finite))
        for k, zk in enumerate(z):
            if zk == -math.inf:
                continue
            log_q = next(exact)
            record("cross_entropy, logits", cross_entropy(k, z, from_logits=True), -log_q)
            record("perplexity, logits", perplexity(k, z, from_logits=True), mpmath.exp(-log_q))
            record("log_softmax", log_softmax(z)[k], log_q)
            record("softmax", softmax(z)[k], mpmath.exp(log_q))
        if len(finite) < len(z):
            continue  # focal loss of a masked class is inf: nothing to compare
        qs = [mpmath.exp(v) for v in ref.ref_log_softmax(z)]
        for k in range(len(z)):
            truth = mpmath.fsum((q - (1 if i == k else 0)) ** 2 for i, q in enumerate(qs))
            record("brier_score, logits", brier_score(k, z, from_logits=True), truth)
        for gamma in (0.25, 0.5, 2.0, 5.0):
            for k, log_q in enumerate(ref.ref_log_softmax(z)):
                q = mpmath.exp(log_q)
                record("focal_loss, logits", focal_loss(k, z, gamma=gamma, from_logits=True),
                       -((1 - q) ** gamma) * log_q)
    for p in ref.TINY_DISTRIBUTIONS:
        record("entropy", entropy(p), -mpmath.fsum(mpmath.mpf(v) * ref.mlog(v) for v in p if v))
        for q in ref.TINY_DISTRIBUTIONS:
            if len(p) != len(q):
                continue
            log_q = [ref.mlog(v) for v in q]
            record("cross_entropy, probs", cross_entropy(p, q), ref.ref_ce(p, log_q))
            record("kl_divergence", kl_divergence(p, q), mp_kl(p, q))
            record("js_divergence", js_divergence(p, q), mp_js(p, q))
    for z in (1e4, -1e4, 30.0, -30.0, 1e-8, 0.0, 745.0, -745.0):
        mz = mpmath.mpf(z)
        log_p, log_1mp = -mpmath.log1p(mpmath.exp(-mz)), -mpmath.log1p(mpmath.exp(mz))
        for y in (0.0, 1.0, 0.3):
            my = mpmath.mpf(y)
            truth = -(my * log_p + (1 - my) * log_1mp)
            record("binary_cross_entropy, logits",
                   binary_cross_entropy(y, z, from_logits=True), truth)
            miss = my * mpmath.exp(log_1mp) + (1 - my) * mpmath.exp(log_p)
            record("sigmoid_focal_loss, logits",
                   sigmoid_focal_loss(y, z, gamma=2.0, from_logits=True), truth * miss**2)


def near(deltas: tuple[float, ...] = (1e-2, 1e-4, 1e-6, 1e-8, 1e-10, 1e-12)) -> None:
    rng = np.random.default_rng(2026)
    print("\nKL and JS as Q -> P (worst relative error over 20 rows of 3 to 100 classes):")
    print(f"  {'delta':>7} {'KL':>10} {'KL plain':>10} {'JS':>10} {'JS plain':>10}")
    for delta in deltas:
        errs = [0.0, 0.0, 0.0, 0.0]
        for row in range(20):
            k = (3, 10, 100)[row % 3]
            p = rng.dirichlet(np.ones(k))
            q = p * (1 + delta * rng.normal(size=k))
            q /= q.sum()
            kl, js = mp_kl(p, q), mp_js(p, q)
            for i, (value, truth) in enumerate(
                ((kl_divergence(p, q), kl), (plain_kl(p, q), kl),
                 (js_divergence(p, q), js), (plain_js(p, q), js))
            ):
                errs[i] = max(errs[i], error(value, truth))
        print(f"  {delta:>7.0e} " + " ".join(f"{e:>10.1e}" for e in errs))


def main() -> None:
    extremes()
    print(f"mpmath {mpmath.__version__} at {mpmath.mp.dps} digits; worst error per function:")
    for name, err in worst.items():
        print(f"  {name:<30} {err:.2e}")
    near()


if __name__ == "__main__":
    main()

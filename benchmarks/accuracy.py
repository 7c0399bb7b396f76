"""Worst relative error of xentcli.core against the 50-digit mpmath reference.

Run:  python benchmarks/accuracy.py

Uses the extreme inputs and the reference functions of
tests/test_core_reference.py (logits of +-1e4, probabilities down to 1e-300 and
subnormals, exact zeros) and prints, per function, the largest relative error
(absolute error where the true value is below 1e-300). The tests assert 1e-12.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import mpmath

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import test_core_reference as ref  # noqa: E402  (the tests' reference, not a copy)

from xentcli.core import (  # noqa: E402
    binary_cross_entropy,
    cross_entropy,
    entropy,
    focal_loss,
    kl_divergence,
    log_softmax,
    logsumexp,
    softmax,
)

worst: dict[str, float] = {}


def record(name: str, value: Any, truth: Any) -> None:
    if mpmath.isinf(truth):
        return
    truth = mpmath.mpf(truth)
    error = abs(mpmath.mpf(float(value)) - truth)
    if abs(truth) >= 1e-300:
        error /= abs(truth)
    worst[name] = max(worst.get(name, 0.0), float(error))


def main() -> None:
    for z in ref.EXTREME_LOGITS:
        finite = [v for v in z if v != -math.inf]
        record("logsumexp", logsumexp(z), ref.ref_lse(finite))
        exact = iter(ref.ref_log_softmax(finite))
        for k, zk in enumerate(z):
            if zk == -math.inf:
                continue
            log_q = next(exact)
            record("cross_entropy, logits", cross_entropy(k, z, from_logits=True), -log_q)
            record("log_softmax", log_softmax(z)[k], log_q)
            record("softmax", softmax(z)[k], mpmath.exp(log_q))
        if len(finite) < len(z):
            continue  # focal loss of a masked class is inf: nothing to compare
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
            kl = mpmath.fsum(mpmath.mpf(a) * (ref.mlog(a) - b)
                             for a, b in zip(p, log_q, strict=True) if a)
            record("kl_divergence", kl_divergence(p, q), max(kl, mpmath.mpf(0)))
    for z in (1e4, -1e4, 30.0, -30.0, 1e-8, 0.0, 745.0, -745.0):
        for y in (0.0, 1.0, 0.3):
            mz = mpmath.mpf(z)
            truth = y * mpmath.log1p(mpmath.exp(-mz)) + (1 - mpmath.mpf(y)) * mpmath.log1p(
                mpmath.exp(mz)
            )
            record("binary_cross_entropy, logits",
                   binary_cross_entropy(y, z, from_logits=True), truth)
    print(f"mpmath {mpmath.__version__} at {mpmath.mp.dps} digits; worst error per function:")
    for name, error in worst.items():
        print(f"  {name:<30} {error:.2e}")


if __name__ == "__main__":
    main()

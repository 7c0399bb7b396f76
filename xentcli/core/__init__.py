"""The numeric core: information measures and classification losses on numpy arrays.

Pure functions, no I/O. Last axis = classes, leading axes = batch rows. Argument
order follows the math, target first: ``cross_entropy(target, pred)`` is
H(target, pred) and ``kl_divergence(p, q)`` is D_KL(p || q). Invalid input raises
:class:`InputError` with the message the CLI prints.

>>> from xentcli.core import cross_entropy, entropy, kl_divergence
>>> p, q = [0.2, 0.3, 0.5], [0.1, 0.2, 0.7]
>>> bool(abs(cross_entropy(p, q) - (entropy(p) + kl_divergence(p, q))) < 1e-15)
True
"""

from xentcli.core._checks import resolve_base
from xentcli.core.binary import binary_cross_entropy, sigmoid_focal_loss
from xentcli.core.calibration import (
    CalibrationBins,
    brier_score,
    calibration_bins,
    expected_calibration_error,
)
from xentcli.core.information import (
    cross_entropy,
    entropy,
    js_divergence,
    kl_divergence,
    perplexity,
    surprisal,
)
from xentcli.core.losses import cross_entropy_grad, focal_loss
from xentcli.core.softmax import log_softmax, logsumexp, softmax
from xentcli.core.streaming import mean_denominator
from xentcli.errors import InputError

__all__ = [
    "CalibrationBins",
    "InputError",
    "binary_cross_entropy",
    "brier_score",
    "calibration_bins",
    "cross_entropy",
    "cross_entropy_grad",
    "entropy",
    "expected_calibration_error",
    "focal_loss",
    "js_divergence",
    "kl_divergence",
    "log_softmax",
    "logsumexp",
    "mean_denominator",
    "perplexity",
    "resolve_base",
    "sigmoid_focal_loss",
    "softmax",
    "surprisal",
]

"""The numeric core: information measures and classification losses on numpy arrays.

Pure functions, no I/O. Last axis = classes, leading axes = batch rows. Argument
order follows the math, target first: ``cross_entropy(target, pred)`` is
H(target, pred) and ``kl_divergence(p, q)`` is D_KL(p || q). Invalid input raises
:class:`InputError` with the message the CLI prints.

Conventions (what numpy does with the same shapes, where it has an answer):

* Weights (class ``weights``, ``alpha``, ``pos_weight``, ``sample_weights``) are
  importance, finite and >= 0: a negative weight would reward a wrong
  prediction and could cancel the mean's denominator, so it is refused. A
  weight multiplies the log, never the target: a term is 0 only where its
  target is 0 or its weight is 0, never because a product underflowed.
* A batch of 0 rows, shape (0, K), is valid: ``reduction="none"`` gives an
  empty array, ``"sum"`` gives 0 (as ``np.sum([])``), ``"mean"`` raises (the mean
  of nothing is undefined; numpy warns and returns nan). No classes (K = 0) is
  refused.
* A 0-d input to ``softmax``, ``log_softmax`` and ``logsumexp`` is one logit over
  one class (numpy's and torch's reading): 1, 0 and the logit itself.
* Chunks: the "mean" of a batch is the sum of its chunks' ``reduction="sum"``
  values over the sum of their :func:`mean_denominator`; the ECE adds
  :func:`calibration_bins` with ``+``.

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

"""Calibration: the expected calibration error (ECE) and the Brier score.

A classifier is calibrated when, among the rows it predicts with confidence
0.8, about 80 % are right. Both measures read class-index targets (or
distributions, whose largest entry names the class) and predicted
distributions or logits, shape (..., K).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from xentcli.core._checks import (
    FloatArray,
    as_float_array,
    check_logits,
    check_probabilities,
    check_reduction,
)
from xentcli.core._prepare import (
    check_sample_weights,
    finish,
    parse_target,
    reduce_rows,
    refuse_normalized_logits,
)
from xentcli.errors import InputError


def _check_bins(bins: Any) -> int:
    try:
        ok = not isinstance(bins, bool) and float(bins).is_integer() and 1 <= int(bins) <= 10_000
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok:
        raise InputError(f"bins must be a whole number from 1 to 10000; got {bins!r}")
    return int(bins)


def _probabilities(pred: Any, from_logits: bool, normalize: bool) -> FloatArray:
    """Validated predicted distributions as (N, K) float rows (softmax of logits)."""
    refuse_normalized_logits(from_logits, normalize)
    arr = as_float_array(pred, "PRED")
    if from_logits:
        from xentcli.core.softmax import softmax

        check_logits(arr, "PRED")
        q: FloatArray = softmax(arr)
    else:
        q = check_probabilities(arr, "PRED", distribution=True, normalize=normalize)
    return q.reshape(-1, arr.shape[-1])


def _labels_of(
    target: Any, shape: tuple[int, ...], ignore_index: int | None, normalize: bool
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.bool_] | None, FloatArray | None]:
    """(class per row, ignored rows or None, the dense target rows or None)."""
    tgt = parse_target(target, shape, ignore_index=ignore_index)
    if tgt.labels is not None:
        return tgt.labels, tgt.ignored, None
    assert tgt.dense is not None
    dense = check_probabilities(tgt.dense, "TARGET", distribution=True, normalize=normalize)
    return np.argmax(dense, axis=-1), None, dense


@dataclass(frozen=True)
class CalibrationBins:
    """Per-bin sums of top-label confidence: everything the ECE needs, chunk by chunk.

    Bin ``b`` holds the rows whose confidence (largest predicted probability)
    lies in ``(edges[b], edges[b + 1]]`` with ``edges = np.linspace(0, 1, bins + 1)``
    (a confidence of exactly 0 counts in bin 0). Two chunks combine with ``+``
    (the sums add), so a file of any size needs memory for one chunk only.

    Attributes:
        counts: rows per bin, ``n_b``.
        confidence: sum of the rows' confidences per bin.
        correct: number of rows per bin whose top class is the target's.
    """

    counts: FloatArray
    confidence: FloatArray
    correct: FloatArray

    def __add__(self, other: CalibrationBins) -> CalibrationBins:
        if other.counts.shape != self.counts.shape:
            raise InputError("calibration bins of different sizes cannot be combined")
        return CalibrationBins(
            self.counts + other.counts,
            self.confidence + other.confidence,
            self.correct + other.correct,
        )

    @property
    def rows(self) -> int:
        return int(self.counts.sum())

    def ece(self) -> float:
        """``sum_b (n_b / N) |acc_b - conf_b| = (1/N) sum_b |correct_b - confidence_b|``."""
        n = self.counts.sum()
        if n == 0:
            raise InputError("the calibration error of 0 rows is undefined")
        return float(np.abs(self.correct - self.confidence).sum() / n)

    def accuracy(self) -> float:
        """The fraction of rows whose top class is right."""
        n = self.counts.sum()
        if n == 0:
            raise InputError("the accuracy of 0 rows is undefined")
        return float(self.correct.sum() / n)


def calibration_bins(
    target: Any,
    pred: Any,
    *,
    bins: int = 15,
    from_logits: bool = False,
    normalize: bool = False,
    ignore_index: int | None = None,
) -> CalibrationBins:
    """The per-bin counts, confidence sums and correct counts of a batch.

    ``expected_calibration_error(t, q) == calibration_bins(t, q).ece()``; for a
    batch read in chunks, add the chunks' bins and call ``.ece()`` once (and
    ``.accuracy()`` for the top-1 accuracy). Rows with ``ignore_index`` are left
    out. Ties for the top class go to the first (``np.argmax``).

    >>> b = calibration_bins([0, 1], [[0.9, 0.1], [0.8, 0.2]], bins=10)
    >>> b.counts[7:].tolist(), b.correct[7:].tolist()
    ([1.0, 1.0, 0.0], [0.0, 1.0, 0.0])
    """
    n_bins = _check_bins(bins)
    arr_shape = np.shape(pred)
    q = _probabilities(pred, from_logits, normalize)
    labels, ignored, _ = _labels_of(target, tuple(arr_shape), ignore_index, normalize)
    if ignored is not None:
        q, labels = q[~ignored], labels[~ignored]
    top = np.argmax(q, axis=-1)
    conf = q[np.arange(q.shape[0]), top].astype(np.float64)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # searchsorted(side="left") - 1: a confidence equal to an edge closes the bin below.
    which = np.clip(np.searchsorted(edges, conf, side="left") - 1, 0, n_bins - 1)
    counts: FloatArray = np.bincount(which, minlength=n_bins).astype(np.float64)
    confidence: FloatArray = np.bincount(which, weights=conf, minlength=n_bins).astype(
        np.float64
    )
    right = (top == labels).astype(np.float64)
    correct: FloatArray = np.bincount(which, weights=right, minlength=n_bins).astype(np.float64)
    return CalibrationBins(counts, confidence, correct)


def expected_calibration_error(
    target: Any,
    pred: Any,
    *,
    bins: int = 15,
    from_logits: bool = False,
    normalize: bool = False,
    ignore_index: int | None = None,
) -> float:
    """Top-label expected calibration error ``sum_b (n_b / N) |acc_b - conf_b|``.

    Each row's confidence is its largest predicted probability and it is right
    when that class is the target's. Rows fall into ``bins`` equal-width bins
    ``(lo, hi]`` of confidence; in each bin the accuracy ``acc_b`` and the mean
    confidence ``conf_b`` are compared, and the gaps are averaged, weighted by
    the bins' sizes. 0 is perfect calibration; the largest value is 1.

    Args:
        target: class indices, shape ``pred.shape[:-1]``, or distributions of
            ``pred``'s shape (their largest entry names the class).
        pred: probabilities or, with ``from_logits``, logits; shape (..., K).
        bins: number of bins (default 15, as in the paper that named it).
        from_logits: ``pred`` holds logits.
        normalize: rescale rows that do not sum to 1.
        ignore_index: with class indices, rows with this index are left out.

    Returns:
        The ECE, a fraction in [0, 1] (no unit). For chunks: :func:`calibration_bins`.

    >>> round(expected_calibration_error([0, 1, 1], [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]), 6)
    0.3
    """
    return calibration_bins(
        target, pred, bins=bins, from_logits=from_logits, normalize=normalize,
        ignore_index=ignore_index,
    ).ece()


def brier_score(
    target: Any,
    pred: Any,
    *,
    from_logits: bool = False,
    normalize: bool = False,
    reduction: str = "mean",
    ignore_index: int | None = None,
    sample_weights: Any = None,
) -> Any:
    """Multi-class Brier score: per row ``sum_k (q_k - y_k)^2``, then reduced.

    The squared distance between the predicted distribution and the target (one
    hot for a class index): 0 for a certain, right prediction, 2 for a certain,
    wrong one. Unlike the cross-entropy it stays finite when the true class gets
    probability 0. Some texts divide by K or, for two classes, keep only the
    positive class (half this value).

    Args:
        target: class indices, shape ``pred.shape[:-1]``, or distributions of
            ``pred``'s shape.
        pred: probabilities or, with ``from_logits``, logits; shape (..., K).
        from_logits: ``pred`` holds logits.
        normalize: rescale rows that do not sum to 1.
        reduction: over the rows: "mean" (default), "sum" or "none".
        ignore_index: with class indices, rows with this index leave the loss and
            the mean's denominator.
        sample_weights: one weight >= 0 per row: the mean is ``sum s_n b_n / sum s_n``.

    Returns:
        The score (no unit). For chunks: the sum of ``reduction="sum"`` values over
        the sum of :func:`~xentcli.core.mean_denominator`.

    >>> round(float(brier_score(0, [0.7, 0.2, 0.1])), 6)  # 0.3^2 + 0.2^2 + 0.1^2
    0.14
    """
    how = check_reduction(reduction)
    arr_shape = tuple(np.shape(pred))
    q = _probabilities(pred, from_logits, normalize)
    dtype = q.dtype
    labels, ignored, dense = _labels_of(target, arr_shape, ignore_index, normalize)
    lead = arr_shape[:-1]
    rows_w = check_sample_weights(sample_weights, lead, dtype, scale=how == "mean")
    if dense is not None:
        diff = q - dense.astype(dtype)
    else:
        diff = q.copy()
        idx = np.arange(q.shape[0])
        if from_logits:
            # q_y - 1 as minus the other classes' total: 1 - q_y would keep none of
            # its digits where q_y rounds to 1 (a confident, right prediction).
            diff[idx, labels] = 0
            diff[idx, labels] = -diff.sum(axis=-1)
        else:
            diff[idx, labels] -= 1  # exact: q_y is a given float in [0, 1]
    per_row = np.einsum("nk,nk->n", diff, diff).astype(dtype)
    return finish(reduce_rows(per_row.reshape(lead), how, 1.0, None, rows_w, ignored))

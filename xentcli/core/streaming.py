"""What a mean over a batch divides by, so that a batch can be reduced in chunks.

Every reduced measure's mean is ``(sum over rows) / (denominator)``. Reading a
file chunk by chunk, a caller adds up each chunk's ``reduction="sum"`` value
and each chunk's :func:`mean_denominator`, and divides once at the end: the
same number as the whole batch at once, in memory for one chunk only. (The ECE
combines per-bin sums instead: :func:`~xentcli.core.calibration_bins`.)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from xentcli.core._checks import as_float_array, check_smoothing
from xentcli.core._prepare import check_sample_weights, class_weights, parse_target


def mean_denominator(
    target: Any,
    pred: Any,
    *,
    weights: Any = None,
    label_smoothing: float = 0.0,
    normalize: bool = False,
    ignore_index: int | None = None,
    sample_weights: Any = None,
    elementwise: bool = False,
) -> float:
    """The number the "mean" reduction divides the "sum" reduction by.

    - no options: the number of rows (``elementwise=True``: of elements, for
      :func:`~xentcli.core.binary_cross_entropy` and
      :func:`~xentcli.core.sigmoid_focal_loss`, with ``target=None``);
    - ``sample_weights``: their total ``sum_n s_n`` (elements: each row's
      weight once per element, or the per-element weights' total);
    - ``ignore_index``: the rows whose target is not that index;
    - ``weights`` (class weights, cross-entropy): ``sum_n s_n sum_i w_i y_ni``
      on the smoothed target, ``sum_n s_n w[y_n]`` for class indices.

    ``pred`` may be the predictions or only their shape. Nothing is validated
    beyond what the count needs: the measure itself checks its input.

    >>> mean_denominator([0, 2, -100], (3, 3), ignore_index=-100)
    2.0
    >>> mean_denominator([0, 2], (2, 3), weights=[1, 1, 4], sample_weights=[0.5, 1])
    4.5
    """
    shape = tuple(pred) if isinstance(pred, tuple) else tuple(np.shape(pred))
    if elementwise:
        if sample_weights is None:
            return float(np.prod(shape, dtype=np.float64))
        s = as_float_array(sample_weights, "sample weights", vector=False).astype(np.float64)
        per = 1 if s.shape == shape else (shape[-1] if shape else 1)
        return float(s.sum() * per)
    lead = shape[:-1]
    rows_w = check_sample_weights(sample_weights, lead, np.dtype(np.float64))
    n = int(np.prod(lead, dtype=np.int64))
    row = np.ones(n)
    if ignore_index is not None or weights is not None:
        tgt = parse_target(target, shape, ignore_index=ignore_index)
        if weights is not None:
            k = shape[-1]
            w = class_weights(weights, k, np.dtype(np.float64))
            assert w is not None
            smoothing = check_smoothing(label_smoothing)
            if tgt.labels is not None:
                y = np.full((n, k), smoothing / k)
                y[np.arange(n), tgt.labels] += 1 - smoothing
            else:
                assert tgt.dense is not None
                y = tgt.dense.astype(np.float64)
                if normalize:
                    y = y / y.sum(axis=-1, keepdims=True)
                y = y * (1 - smoothing) + smoothing / k
            row = y @ w
        if tgt.ignored is not None:
            row[tgt.ignored] = 0
    if rows_w is not None:
        row = row * rows_w
    return float(row.sum())

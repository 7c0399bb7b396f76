"""The row-block kernel runner that every measure uses, and its building blocks.

A batch of shape (N, K) is processed in blocks of rows small enough to stay in
the CPU cache. Each block is copied *transposed*, to shape (K, C): numpy reduces
a short last axis (K = 10 classes) slowly, one tiny reduction per row, whereas
over axis 0 a row-wise max or sum becomes K element-wise operations on long
vectors, which vectorize. The copy is also the block's scratch space, so the
math runs in place (``out=``) and the extra memory is a few blocks, not a copy
of the input. Large inputs spread their blocks over a small thread pool (numpy
releases the GIL inside ufuncs); every block writes its own slice of the
output, so the result does not depend on the order the threads run in.

Validation is folded into the same passes: a block reports ``False`` when its
cheap checks fail (a NaN or an infinity always reaches a row's max or sum), and
the measure then runs the slow, exact diagnostics of :mod:`._checks` on the
whole input to say which value is wrong.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from xentcli.core._checks import SUM_TOLERANCE, FloatArray

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

#: Elements per block (rows x classes): 2**16 float64 = 512 KiB, cache-sized.
BLOCK_ELEMENTS = 1 << 16
#: Below this many elements, threads cost more than they save.
PARALLEL_MIN_ELEMENTS = 1 << 18

_pool: ThreadPoolExecutor | None = None


def _workers() -> int:
    return min(4, os.cpu_count() or 1)


def _get_pool() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        # Imported here: concurrent.futures (and the logging it pulls in) costs
        # start-up time, and only large batches use the pool.
        from concurrent.futures import ThreadPoolExecutor

        _pool = ThreadPoolExecutor(max_workers=_workers(), thread_name_prefix="xent")
    return _pool


def rows_per_block(k: int) -> int:
    return max(1, BLOCK_ELEMENTS // max(k, 1))


def run_blocks(block: Callable[[slice], bool], n_rows: int, k: int) -> bool:
    """Call ``block(rows)`` on consecutive row slices; True when every block was valid."""
    step = rows_per_block(k)
    slices = [slice(start, min(start + step, n_rows)) for start in range(0, n_rows, step)]

    def guarded(rows: slice) -> bool:
        # log(0) = -inf and exp(large) = inf are the intended IEEE results here
        # (0 * log 0 is masked separately). errstate is per thread, so set it here.
        with np.errstate(divide="ignore", over="ignore", under="ignore"):
            return block(rows)

    if len(slices) > 1 and n_rows * k >= PARALLEL_MIN_ELEMENTS and _workers() > 1:
        return all(list(_get_pool().map(guarded, slices)))
    return all(guarded(rows) for rows in slices)


def transposed(x2: FloatArray, rows: slice) -> FloatArray:
    """A fresh (K, C) C-ordered copy of rows of a (N, K) array: scratch space we may overwrite."""
    block: FloatArray = x2[rows].T.copy(order="C")
    return block


def sum_tolerance(k: int, dtype: np.dtype[Any]) -> float:
    """How far a row sum may stray from 1: 1e-6, or float32's rounding over K terms."""
    return max(SUM_TOLERANCE, 4 * k * float(np.finfo(dtype).eps))


def column_sums(t: FloatArray) -> FloatArray:
    sums: FloatArray = np.add.reduce(t, axis=0)
    return sums


def distribution_ok(t: FloatArray, tol: float, normalize: bool) -> bool:
    """Columns of ``t`` are distributions: entries >= 0, finite sums equal to 1.

    With ``normalize`` the columns are rescaled in place instead (a zero sum fails).

    The minimum is checked before anything is added: NaN fails the comparison
    and -inf is negative, so the sums only ever add entries in [0, inf] and
    cannot meet inf + -inf (1e308 + 1e308 + -inf would make a NaN, and warn).
    """
    if not t.min() >= 0:
        return False
    sums = column_sums(t)
    if not np.isfinite(sums).all():
        if not (normalize and t.max() < np.inf):
            return False
        # Finite entries whose sum overflows (1e308 + 1e308): scale each column by
        # its largest entry first, then normalize as usual.
        t /= np.maximum.reduce(t, axis=0)
        sums = column_sums(t)
    if normalize:
        if not sums.all():
            return False
        t /= sums
        return True
    return bool((np.abs(sums - 1) <= tol).all())


def shift_logits(t: FloatArray) -> bool:
    """Subtract each column's maximum in place; False for NaN, +inf or an all -inf column."""
    top = np.maximum.reduce(t, axis=0)
    if not np.isfinite(top).all():
        return False
    t -= top
    return True


def log_norm(shifted: FloatArray, work: FloatArray) -> FloatArray:
    """``log(sum(exp(shifted)))`` per column, for logits whose column maximum is 0.

    The maximum's term is exactly 1; adding the others to it first would round
    away a small rest (z = [20, 0, 0] has log-sum-exp 20 + 4.1e-9), so the
    log is ``log1p(rest)``, the rest being every term but one copy of the max.
    ``work`` is scratch of the same shape.
    """
    np.exp(shifted, out=work)
    is_top = shifted == 0
    # The top terms are exactly 1, so subtracting the mask zeroes them (cheaper
    # than a masked copy); ties are counted in bytes, the fastest reduction.
    np.subtract(work, is_top, out=work)
    counter = np.uint8 if shifted.shape[0] < 256 else np.int64
    ties = np.add.reduce(is_top.view(np.uint8), axis=0, dtype=counter)
    rest = column_sums(work)
    rest += ties.astype(work.dtype) - 1  # in this order: an exact 0 unless there are ties
    return np.log1p(rest, out=rest)


def take_per_column(t: FloatArray, labels: npt.NDArray[np.intp]) -> FloatArray:
    """``t[labels[j], j]`` for each column j, via a flat index (2-D fancy indexing is slower)."""
    cols = t.shape[1]
    picked: FloatArray = np.take(t.reshape(-1), labels * cols + np.arange(cols))
    return picked


@dataclass(frozen=True)
class Prediction:
    """How to read a block of predictions."""

    from_logits: bool
    eps: float | None  # clip probabilities to [eps, 1 - eps]; None: exact
    normalize: bool  # rescale rows that do not sum to 1
    tol: float  # how far a row sum may stray from 1


def log_probs(t: FloatArray, work: FloatArray, how: Prediction) -> bool:
    """Turn a block of predictions into log-probabilities, in place.

    Logits become ``z - logsumexp(z)`` (never ``log(softmax(z))``); probabilities
    are checked and logged (``log 0 = -inf``). ``eps`` clips the probabilities
    to ``[eps, 1 - eps]`` first, only when it is given.
    """
    if how.from_logits:
        if not shift_logits(t):
            return False
        t -= log_norm(t, work)
        if how.eps is None:
            return True
        np.exp(t, out=t)
    elif not distribution_ok(t, how.tol, how.normalize):
        return False
    if how.eps is not None:
        np.clip(t, how.eps, 1 - how.eps, out=t)
    np.log(t, out=t)
    return True


def neg_log_prob_at(
    t: FloatArray, work: FloatArray, labels: npt.NDArray[np.intp], how: Prediction
) -> FloatArray | None:
    """``-log q[label]`` per column, without forming every log-probability.

    With class indices only the true class matters: from logits that is
    ``logsumexp(z) - z[label]``; from probabilities, one log per row.
    Returns None when the block is not valid.
    """
    if how.from_logits:
        if not shift_logits(t):
            return None
        picked = take_per_column(t, labels)
        norm = log_norm(t, work)
        if how.eps is None:
            return norm - picked
        q = np.exp(picked - norm)
    else:
        if not distribution_ok(t, how.tol, how.normalize):
            return None
        q = take_per_column(t, labels)
    if how.eps is not None:
        np.clip(q, how.eps, 1 - how.eps, out=q)
    loss: FloatArray = 0.0 - np.log(q)  # 0.0 - x, not -x: no -0.0 when q = 1
    return loss


def xlogx(p: FloatArray, work: FloatArray) -> FloatArray:
    """``sum_i p_i log p_i`` per column, with 0 log 0 = 0.

    ``log(p + (p == 0))`` is ``log p`` where p > 0 and ``log 1 = 0`` where p = 0,
    so the zero terms come out exactly 0 with no masked (slow) ufunc.
    """
    np.add(p, p == 0, out=work)
    np.log(work, out=work)
    work *= p
    return column_sums(work)


def plogx(p: FloatArray, log_x: FloatArray, work: FloatArray) -> FloatArray:
    """``sum_i p_i * log_x_i`` per column, with 0 * log 0 = 0 (terms where p = 0 are 0)."""
    work.fill(0)
    np.multiply(p, log_x, out=work, where=p != 0)
    return column_sums(work)


def plogq(p: FloatArray, log_q: FloatArray, work: FloatArray) -> FloatArray:
    """:func:`plogx` for a log-softmax of logits, where ``log_q`` is almost always finite.

    A finite ``log_q`` makes every term with p = 0 exactly 0 (or -0.0, which adds
    nothing), so the product needs no mask: one plain multiply instead of a fill,
    a comparison and a masked multiply (several times slower). A logit of -inf
    gives a log of -inf, and then the masked :func:`plogx` runs as before.
    """
    if not log_q.size or not log_q.min() > -np.inf:  # -inf: 0 * -inf must not make a NaN
        return plogx(p, log_q, work)
    np.multiply(p, log_q, out=work)
    return column_sums(work)


def scale_classes(log_x: FloatArray, w: FloatArray) -> None:
    """Multiply each class (row of a transposed block) of ``log_x`` by its weight, in place.

    The weight multiplies the log, not the target: ``y * (w * log q)``. Then a
    subnormal target times a weight below 1 cannot underflow to 0 and hide an
    infinite term (``1e-323 * 0.2 == 0`` but ``1e-323 * (0.2 * -inf) == -inf``);
    a term is 0 only where its target *is* 0, or where its class weight is 0
    (that class is switched off, even where its log is -inf).
    """
    off = w == 0
    if off.any():
        np.multiply(log_x, w[:, None], out=log_x, where=~off[:, None])  # no 0 * -inf
        log_x[off] = 0
    else:
        log_x *= w[:, None]  # unmasked: a masked ufunc is several times slower


@dataclass
class Trace:
    """The working of one measure's call, written by its own blocks.

    A breakdown (tables, ``--explain``) asks for it through :func:`tracing`;
    every other call leaves it off and pays nothing. Arrays are (rows, classes)
    in natural logs, in the order of the flattened batch.

    Attributes:
        terms: each class's (or element's) contribution to its row's value, the
            very numbers the row sums (for the gradient: the gradient rows).
        rows: each row's value before the reduction (and before sample weights).
        log_prob: the log-probabilities the measure used (after softmax, clipping).
        target: the target as used (one-hot for a class index, smoothed, normalized).
        factor: the focal factor ``(1 - q)^gamma`` (sigmoid focal: ``(1 - p_t)^gamma``).
        prob: the prediction as used, where the measure needs no log of it (JS's Q).
    """

    terms: FloatArray | None = None
    rows: FloatArray | None = None
    log_prob: FloatArray | None = None
    target: FloatArray | None = None
    factor: FloatArray | None = None
    prob: FloatArray | None = None

    def drop_rows(self, ignored: npt.NDArray[np.bool_] | None) -> None:
        """Ignored rows (``ignore_index``) add nothing: their recorded working is 0."""
        if ignored is None:
            return
        for values in (self.terms, self.rows, self.target):
            if values is not None:
                values[ignored] = 0

    def allocate(self, n: int, k: int, dtype: np.dtype[Any], *names: str) -> None:
        for name in names:
            setattr(self, name, np.zeros((n, k), dtype=dtype))


_TRACE: ContextVar[Trace | None] = ContextVar("xent_trace", default=None)


@contextmanager
def tracing() -> Iterator[Trace]:
    """Record the working of the measures called inside the ``with`` block."""
    trace = Trace()
    token = _TRACE.set(trace)
    try:
        yield trace
    finally:
        _TRACE.reset(token)


def current_trace() -> Trace | None:
    """The trace a breakdown asked for, read once per call (blocks may run in threads)."""
    return _TRACE.get()

"""Input validation shared by every measure.

Each check either returns a clean array or raises :class:`InputError` with a
message that names the argument (in the CLI's terms: P, Q, TARGET, PRED, Z) and
the offending value and position. Checks are written so the common, valid case
costs a couple of reductions and no full-size temporary: a NaN or an infinity
always shows up in a row sum, so the element-wise hunt for the culprit only runs
when something is already known to be wrong.
"""

from __future__ import annotations

import math
from typing import Any, Literal, Union

import numpy as np
import numpy.typing as npt

from xentcli.errors import InputError

FloatArray = npt.NDArray[np.floating[Any]]
Base = Union[float, int, str]  # noqa: UP007 (a runtime alias: 3.10 has no `type`)
Reduction = Literal["mean", "sum", "none"]

#: How far a distribution's sum may stray from 1 before it is refused.
SUM_TOLERANCE = 1e-6

_NAMED_BASES: dict[str, float] = {
    "e": math.e,
    "nat": math.e,
    "nats": math.e,
    "2": 2.0,
    "bit": 2.0,
    "bits": 2.0,
    "10": 10.0,
    "ban": 10.0,
    "bans": 10.0,
}
_UNITS = {math.e: "nats", 2.0: "bits", 10.0: "bans"}
_REDUCTIONS = ("mean", "sum", "none")


def resolve_base(base: Base) -> tuple[float, str]:
    """Return ``(ln(base), unit name)`` for a log base.

    ``base`` is ``"e"``, ``"2"``, ``"10"``, ``"nats"``, ``"bits"``, ``"bans"``
    or any positive number other than 1.

    >>> resolve_base("bits")
    (0.6931471805599453, 'bits')
    >>> resolve_base(3)[1]
    'base-3 units'
    """
    if isinstance(base, bool):
        raise InputError(f"base must be a number or e, 2, 10, nats, bits, bans; got {base!r}")
    if isinstance(base, str):
        key = base.strip().lower()
        if key in _NAMED_BASES:
            value = _NAMED_BASES[key]
        else:
            try:
                value = float(key)
            except ValueError:
                raise InputError(
                    f"base must be e, 2, 10, nats, bits, bans or a positive number; got {base!r}"
                ) from None
    else:
        value = float(base)
    if not math.isfinite(value) or value <= 0 or value == 1:
        raise InputError(
            f"base must be a positive finite number other than 1; got {_short(value)}"
        )
    if value in _UNITS:
        # Exact constants: base e divides by exactly 1.0, base 2 by ln 2.
        return (1.0 if value == math.e else math.log(value)), _UNITS[value]
    return math.log(value), f"base-{_short(value)} units"


def _short(value: float) -> str:
    """The shortest of ``%g`` and ``repr`` that still reads back as ``value``."""
    short = f"{value:g}"
    return short if float(short) == value else repr(value)


def check_reduction(reduction: str) -> Reduction:
    if reduction not in _REDUCTIONS:
        raise InputError(f"reduction must be mean, sum or none; got {reduction!r}")
    return reduction  # type: ignore[return-value]  # narrowed by the membership test


def check_eps(eps: float | None) -> float | None:
    if eps is None:
        return None
    value = float(eps)
    if not (math.isfinite(value) and 0 < value < 0.5):
        raise InputError(f"eps must be between 0 and 0.5 (exclusive); got {value:g}")
    return value


def check_smoothing(label_smoothing: float) -> float:
    value = float(label_smoothing)
    if not (math.isfinite(value) and 0 <= value < 1):
        raise InputError(f"label smoothing must be in [0, 1); got {value:g}")
    return value


def check_nonneg_scalar(value: float, what: str) -> float:
    number = float(value)
    if not (math.isfinite(number) and number >= 0):
        raise InputError(f"{what} must be a finite number >= 0; got {number:g}")
    return number


def as_float_array(x: Any, name: str, *, vector: bool = True) -> FloatArray:
    """``x`` as a float32/float64 array (other numeric types become float64).

    With ``vector=True`` the array needs at least one axis and a non-empty
    last axis (the classes); a batch of 0 rows, shape (0, K), is valid.
    """
    try:
        arr = np.asarray(x)
    except ValueError:
        raise InputError(f"{name} has rows of different lengths") from None
    if arr.dtype.kind not in "biuf":
        raise InputError(f"{name} must contain numbers only")
    if arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float64)
    if vector:
        if arr.ndim == 0:
            raise InputError(f"{name} must be a vector of values, got a single number")
        if arr.shape[-1] == 0:
            raise InputError(f"{name} is empty")
    return arr


def position(shape: tuple[int, ...], flat_index: int) -> str:
    """Human position of an element: ``index 2`` or ``index [3, 2]``."""
    idx = np.unravel_index(flat_index, shape) if shape else ()
    if len(idx) <= 1:
        return f"index {int(idx[0]) if idx else 0}"
    return "index [" + ", ".join(str(int(i)) for i in idx) + "]"


def _first(arr: FloatArray, mask: npt.NDArray[np.bool_]) -> tuple[float, str]:
    flat = int(np.flatnonzero(mask)[0])
    return float(arr.reshape(-1)[flat]), position(arr.shape, flat)


def _fmt(value: float) -> str:
    return f"{value:.10g}"


def check_probabilities(
    arr: FloatArray,
    name: str,
    *,
    distribution: bool,
    normalize: bool = False,
    what: str = "probability",
) -> FloatArray:
    """Validate probabilities: finite, >= 0, and either <= 1 each or rows summing to 1.

    With ``normalize=True`` (distributions only) each row is rescaled to sum to 1.
    """
    if arr.size == 0:
        return arr
    # NaN and -inf always reach the minimum, +inf the sums: a non-negative
    # minimum and finite sums prove every entry is finite and >= 0. The minimum
    # comes first, so the sums only add entries in [0, inf] (never inf + -inf).
    if not arr.min() >= 0:
        _refuse_entry(arr, name, what)
    with np.errstate(over="ignore"):  # 1e308 + 1e308 is inf: said below, not warned
        sums = arr.sum(axis=-1) if distribution else arr
    if not np.isfinite(sums).all():
        _refuse_entry(arr, name, what)
        # Every entry is finite and >= 0, but a row's sum overflows.
        if normalize:
            scaled: FloatArray = arr / arr.max(axis=-1, keepdims=True)
            normalized: FloatArray = scaled / scaled.sum(axis=-1, keepdims=True)
            return normalized
    if not distribution:
        if arr.max() > 1:
            value, where = _first(arr, arr > 1)
            raise InputError(f"{name} has a {what} {_fmt(value)} above 1 at {where}")
        return arr
    if normalize:
        if (sums == 0).any():
            row = int(np.flatnonzero(sums == 0)[0])
            raise InputError(f"{name} cannot be normalized: {_row(arr, row)}sums to 0")
        return arr / sums[..., None]
    tolerance = max(SUM_TOLERANCE, 4 * arr.shape[-1] * float(np.finfo(arr.dtype).eps))
    off = np.abs(sums - 1) > tolerance
    if off.any():
        row = int(np.flatnonzero(off)[0])
        total = float(np.asarray(sums).reshape(-1)[row])
        raise InputError(
            f"{name} {_row(arr, row)}sums to {_fmt(total)}, not 1 "
            "(use --normalize to rescale it)"
        )
    return arr


def _refuse_entry(arr: FloatArray, name: str, what: str) -> None:
    """Raise for the first non-finite entry, else the first negative one; return
    when there is neither (finite entries >= 0 whose sum overflows)."""
    bad = ~np.isfinite(arr)
    if bad.any():
        value, where = _first(arr, bad)
        raise InputError(f"{name} has a non-finite value {_fmt(value)} at {where}")
    if arr.min() < 0:
        value, where = _first(arr, arr < 0)
        raise InputError(f"{name} has a negative {what} {_fmt(value)} at {where}")


def _row(arr: FloatArray, flat_row: int) -> str:
    if arr.ndim <= 1:
        return ""
    idx = np.unravel_index(flat_row, arr.shape[:-1])
    label = ", ".join(str(int(i)) for i in idx)
    return f"row {label} "


def check_logits(z: FloatArray, name: str) -> FloatArray:
    """Validate logits and return the row maxima (keepdims).

    -inf is allowed (probability 0, a masked class); NaN and +inf are not, and
    a row needs at least one finite logit. The maxima are needed by every
    log-sum-exp anyway, and NaN/+inf always reach them, so validation is free.
    """
    m: FloatArray = z.max(axis=-1, keepdims=True)
    if np.isfinite(m).all():
        return m
    check_elementwise_logits(z, name)
    row = int(np.flatnonzero(~np.isfinite(m))[0])
    raise InputError(
        f"{name} {_row(z, row)}has every logit -inf: at least one class must be possible"
    )


def check_elementwise_logits(z: FloatArray, name: str) -> None:
    """Logits used one by one (sigmoid): -inf is allowed, NaN and +inf are not."""
    ok = z < np.inf  # False for NaN and +inf
    if not ok.all():
        value, where = _first(z, ~ok)
        raise InputError(f"{name} has an invalid logit {_fmt(value)} at {where} (-inf is allowed)")


def check_class_weights(
    weights: Any, k: int, dtype: np.dtype[Any], what: str, *, scale: bool = False
) -> FloatArray:
    """Per-class values (``weights`` or ``alpha``): one finite value >= 0 per class.

    Checked before the cast to ``dtype`` (1e308 is finite, its float32 is not).
    ``scale`` divides them by a power of 2 so that the largest is <= 1 first,
    for a weighted mean (which does not change).
    """
    w = as_float_array(weights, what, vector=False)
    if w.ndim == 0:
        w = np.full(k, w, dtype=w.dtype)
    if w.shape != (k,):
        raise InputError(f"{what} must have one value per class ({k}); got shape {w.shape}")
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        value, where = _first(w, bad)
        raise InputError(f"{what} must be finite and >= 0; got {_fmt(value)} at {where}")
    return to_dtype(power_of_2_scaled(w) if scale else w, dtype)


def power_of_2_scaled(weights: FloatArray) -> FloatArray:
    """Weights divided by a power of 2 so that the largest is <= 1 (exact, no rounding).

    A weighted mean does not change (numerator and denominator scale alike), but
    huge weights (1e308) no longer overflow their products and sums into
    inf / inf = NaN.
    """
    top = float(weights.max()) if weights.size else 0.0
    if top <= 1:
        return weights
    _, exponent = np.frexp(top)
    scaled: FloatArray = np.ldexp(weights, -int(exponent)).astype(weights.dtype, copy=False)
    return scaled


def to_dtype(values: FloatArray, dtype: np.dtype[Any]) -> FloatArray:
    """``values`` as ``dtype``; a float64 beyond float32's range becomes inf quietly."""
    with np.errstate(over="ignore"):
        cast: FloatArray = values.astype(dtype, copy=False)
    return cast


def check_class_indices(target: Any, k: int, name: str) -> npt.NDArray[np.intp]:
    """Integer class indices in ``[0, k)`` (integral floats are accepted)."""
    t = np.asarray(target)
    if t.dtype.kind == "f":
        bad = ~np.isfinite(t) | (t != np.floor(t))
        if bad.any():
            value, where = _first(t, bad)
            at = f" at {where}" if t.ndim else ""
            raise InputError(f"{name} class index {_fmt(value)}{at} is not a whole number")
    elif t.dtype.kind not in "iu":
        raise InputError(f"{name} class indices must be whole numbers")
    # Two reductions prove the common case; only a bad input is searched.
    if t.size and (t.min() < 0 or t.max() >= k):
        out_of_range = (t < 0) | (t >= k)
        flat = int(np.flatnonzero(out_of_range)[0])
        value = t.reshape(-1)[flat]
        where = f" at {position(t.shape, flat)}" if t.ndim else ""
        raise InputError(
            f"{name} class index {_fmt(float(value))}{where} is out of range "
            f"for {k} classes (0 to {k - 1})"
        )
    return t.astype(np.intp, copy=False)


def shape_mismatch(
    name: str, shape: tuple[int, ...], other: str, other_shape: tuple[int, ...]
) -> str:
    """A plain sentence for two arrays that should have had the same shape."""
    if len(shape) == len(other_shape) and shape[:-1] == other_shape[:-1]:
        per = " per row" if len(shape) > 1 else ""
        return f"{name} has {shape[-1]} values{per} but {other} has {other_shape[-1]}"
    return (
        f"{name} has shape {format_shape(shape)} but {other} has shape "
        f"{format_shape(other_shape)}"
    )


def format_shape(shape: tuple[int, ...]) -> str:
    return str(tuple(int(n) for n in shape))

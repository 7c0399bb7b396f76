"""The functions and constants that expressions may use, and how values are shown.

Only :class:`Function` objects can be called from an expression, so nothing
outside these lists is ever reachable. Math functions check their arguments and
fail with plain-English :class:`~xentcli.errors.ExpressionError` messages; the
core's functions are imported on first call (answers and ``xent --help`` never
load numpy) and their vector results come back as lists.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from xentcli.errors import ExpressionError, XentError

__all__ = [
    "ANSWER_NAMES",
    "MAX_LIST",
    "Function",
    "bounded",
    "describe",
    "format_value",
    "formula_builtins",
    "formula_namespace",
    "from_python",
    "index_value",
    "is_number",
]

#: Longest list an expression may build or receive.
MAX_LIST = 1000

# Ints beyond this are turned into floats, so integer arithmetic can never grow
# without bound (Python ints are arbitrary-precision).
_MAX_INT = 2**63


def format_value(value: Any) -> str:
    """Render a value the way templates and messages show it.

    Floats use the shortest form with up to 6 significant digits, lists use
    brackets and commas, everything else its plain text.

    >>> format_value([0.2, 0.3, 0.5])
    '[0.2, 0.3, 0.5]'
    >>> format_value(0.35667494393873245), format_value(1e-07), format_value(-0.0)
    ('0.356675', '1e-07', '0')
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        text = format(value, ".6g")
        return "0" if text == "-0" else text
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    return str(value)


def describe(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Function):
        return "a function"
    return type(value).__name__


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def bounded(value: Any) -> Any:
    """Keep ints small (big ones become floats) and refuse NaN."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > _MAX_INT:
        try:
            return float(value)
        except OverflowError:
            raise ExpressionError("a number in the expression is too large") from None
    if isinstance(value, float) and math.isnan(value):
        raise ExpressionError("the expression does not give a number (NaN)")
    return value


def _number(value: Any, what: str) -> float:
    if not is_number(value):
        raise ExpressionError(f"{what} needs a number, not {describe(value)}")
    return float(value)


@dataclass(frozen=True)
class Function:
    """A function that expressions may call. Only these are callable."""

    name: str
    fn: Callable[..., Any]
    keywords: bool = False  # whether keyword arguments are accepted

    def __call__(self, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if kwargs and not self.keywords:
            raise ExpressionError(f"{self.name}() takes no keyword arguments")
        try:
            result = self.fn(*args, **kwargs)
        except ExpressionError:
            raise
        except XentError as exc:
            raise ExpressionError(f"{self.name}(): {exc}") from None
        except TypeError as exc:
            raise ExpressionError(f"{self.name}(): {_type_error(exc)}") from None
        except (ValueError, ArithmeticError, IndexError) as exc:
            raise ExpressionError(f"{self.name}(): {exc}") from None
        return from_python(result, self.name + "()")


def _type_error(exc: TypeError) -> str:
    # "_ln() takes 1 positional argument but 2 were given" -> without the Python name.
    text = str(exc)
    return re.sub(r"^\w+\(\) ", "", text)


def _ln(x: Any, base: Any = None) -> float:
    v = _number(x, "ln()")
    if v < 0:
        raise ExpressionError(f"the log of a negative number ({format_value(v)}) is undefined")
    if v == 0:
        raise ExpressionError("the log of 0 is minus infinity")
    if math.isinf(v):
        return v
    if base is None:
        return math.log(v)
    b = _number(base, "log()")
    if b <= 0 or b == 1:
        raise ExpressionError(f"a log base must be positive and not 1, not {format_value(b)}")
    return math.log(v) / math.log(b)


def _log2(x: Any) -> float:
    return _ln(x) / math.log(2)


def _log10(x: Any) -> float:
    return _ln(x) / math.log(10)


def _exp(x: Any) -> float:
    v = _number(x, "exp()")
    try:
        return math.exp(v)
    except OverflowError:
        raise ExpressionError(f"exp({format_value(v)}) is too large") from None


def _sqrt(x: Any) -> float:
    v = _number(x, "sqrt()")
    if v < 0:
        raise ExpressionError(
            f"the square root of a negative number ({format_value(v)}) is not real"
        )
    return math.sqrt(v)


def _abs(x: Any) -> Any:
    if not is_number(x):
        raise ExpressionError(f"abs() needs a number, not {describe(x)}")
    return abs(x)


def _sigmoid_one(x: Any) -> float:
    v = _number(x, "sigmoid()")
    # Two forms so that exp never overflows: exp(-|x|) is at most 1.
    if v >= 0:
        return 1.0 / (1.0 + math.exp(-v))
    z = math.exp(v)
    return z / (1.0 + z)


def _sigmoid(x: Any) -> Any:
    if isinstance(x, list):
        return [_sigmoid_one(v) for v in x]
    return _sigmoid_one(x)


def _numbers(name: str, args: tuple[Any, ...]) -> list[Any]:
    """``f(list)`` or ``f(a, b, ...)``: the numbers either way."""
    items = args[0] if len(args) == 1 and isinstance(args[0], list) else list(args)
    if not items:
        raise ExpressionError(f"{name}() needs at least one number")
    for v in items:
        if not is_number(v):
            raise ExpressionError(f"{name}() needs numbers, not {describe(v)}")
    return items


def _min(*args: Any) -> Any:
    return min(_numbers("min", args))


def _max(*args: Any) -> Any:
    return max(_numbers("max", args))


def _sum(*args: Any) -> Any:
    return math.fsum(_numbers("sum", args))


def _len(x: Any) -> int:
    if not isinstance(x, (list, str)):
        raise ExpressionError(f"len() needs a list, not {describe(x)}")
    return len(x)


def _round(x: Any, digits: Any = 0) -> Any:
    v = _number(x, "round()")
    if not isinstance(digits, int) or isinstance(digits, bool) or not -20 <= digits <= 20:
        raise ExpressionError("round() needs a whole number of digits between -20 and 20")
    return round(v, digits)


def _onehot(k: Any, i: Any) -> list[int]:
    size = index_value(k, "onehot(): the size")
    if not 1 <= size <= MAX_LIST:
        raise ExpressionError(f"onehot(): the size must be between 1 and {MAX_LIST}, not {size}")
    index = index_value(i, "onehot(): the index")
    if not 0 <= index < size:
        raise ExpressionError(f"onehot(): index {index} is out of range for size {size}")
    return [1 if j == index else 0 for j in range(size)]


def index_value(value: Any, what: str) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ExpressionError(f"{what} must be a whole number, not {format_value(value)}")
    return value


_MATH: dict[str, Function] = {
    f.name: f
    for f in (
        Function("ln", _ln),
        Function("log", _ln),
        Function("log2", _log2),
        Function("log10", _log10),
        Function("exp", _exp),
        Function("sqrt", _sqrt),
        Function("abs", _abs),
        Function("sigmoid", _sigmoid),
        Function("min", _min),
        Function("max", _max),
    )
}

#: What a user answer may name.
ANSWER_NAMES: dict[str, Any] = {**_MATH, "e": math.e, "pi": math.pi, "\u03c0": math.pi}

_FORMULA_EXTRAS: dict[str, Any] = {
    f.name: f
    for f in (
        Function("sum", _sum),
        Function("len", _len),
        Function("round", _round),
        Function("onehot", _onehot),
    )
}

_CORE_FUNCTIONS = (
    "surprisal",
    "entropy",
    "cross_entropy",
    "binary_cross_entropy",
    "kl_divergence",
    "focal_loss",
    "softmax",
    "log_softmax",
    "logsumexp",
    "cross_entropy_grad",
    "js_divergence",
    "perplexity",
    "brier_score",
    "expected_calibration_error",
    "sigmoid_focal_loss",
)


def _core_base(value: Any) -> Any:
    """A question binds ``base`` to a number; name the usual ones as the core does."""
    if is_number(value):
        for number, name in ((math.e, "e"), (2, "2"), (10, "10")):
            if value == number:
                return name
    return value


def _wrap_core(name: str) -> Function:
    def call(*args: Any, **kwargs: Any) -> Any:
        # Imported on first use: answers and `xent --help` never load numpy.
        import numpy as np

        from xentcli import core

        fn = getattr(core, name)
        if "base" in kwargs:
            kwargs["base"] = _core_base(kwargs["base"])

        # The core promises no numpy warnings; this guards the odd corner anyway
        # (tests run with warnings as errors).
        with np.errstate(all="ignore"):
            return fn(*args, **kwargs)

    return Function(name, call, keywords=True)


@lru_cache(maxsize=1)
def formula_builtins() -> dict[str, Any]:
    names: dict[str, Any] = {**ANSWER_NAMES, **_FORMULA_EXTRAS, "inf": math.inf}
    for name in _CORE_FUNCTIONS:
        names[name] = _wrap_core(name)
    return names


def formula_namespace() -> dict[str, Any]:
    """The functions and constants every bank formula can use.

    Math (``ln``, ``log``, ``log2``, ``log10``, ``exp``, ``sqrt``, ``abs``, ``min``,
    ``max``, ``sum``, ``len``, ``round``, ``sigmoid``, ``onehot``, ``e``, ``pi``,
    ``inf``) and the core's functions (``cross_entropy``, ``entropy``, ...), whose
    vector results come back as lists. Functions are :class:`Function` objects.
    """
    return dict(formula_builtins())


def from_python(value: Any, what: str) -> Any:
    """Turn a value from a namespace or a function into one the evaluator knows."""
    if isinstance(value, float):
        # numpy's float64 is a float, but its arithmetic warns on overflow
        # instead of giving the inf that _binop turns into a message.
        return bounded(float(value))
    if isinstance(value, (bool, int, str, Function)):
        return bounded(value)
    if isinstance(value, (list, tuple)):
        if len(value) > MAX_LIST:
            raise ExpressionError(f"{what} gives a list longer than {MAX_LIST} items")
        return [from_python(v, what) for v in value]
    tolist = getattr(value, "tolist", None)  # numpy scalars and arrays
    if callable(tolist):
        size = getattr(value, "size", 1)
        if isinstance(size, int) and size > MAX_LIST:
            raise ExpressionError(f"{what} gives a list longer than {MAX_LIST} items")
        return from_python(tolist(), what)
    raise ExpressionError(f"{what} has a value the expression cannot use ({type(value).__name__})")

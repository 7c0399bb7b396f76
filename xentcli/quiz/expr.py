"""The one safe expression evaluator, for user answers and bank formulas.

Text is parsed with :mod:`ast` and walked by a small interpreter that knows a
whitelist of node types; nothing is ever handed to ``eval`` or ``exec``. Two
modes share the interpreter:

- **answers** (:func:`evaluate_answer`): numbers (``1/6``, ``2.5e-3``), ``+ - * /``,
  ``**`` and ``^`` for powers, unary minus, parentheses, the math functions ``ln``,
  ``log`` (natural), ``log2``, ``log10``, ``exp``, ``sqrt``, ``abs``, ``sigmoid``,
  ``min``, ``max`` and the constants ``e`` and ``pi``.
- **formulas** (:func:`evaluate_formula`): all of that, plus names from a
  namespace (a question's parameters), list literals, indexing, keyword
  arguments, comparisons, ``and``/``or``/``not`` and the functions of
  :func:`formula_namespace` (the core's losses, with vector results as lists).

Everything that could hang or blow up memory is refused up front or on the way
(long text, deep nesting, many nodes, huge powers such as ``9**9**9``, big
lists), and every failure is an :class:`~xentcli.errors.ExpressionError` with a
message meant for the person who typed the text.

>>> evaluate_answer("-ln(0.7)")
0.35667494393873245
>>> evaluate_answer("1 - 0.3^2")
0.91
>>> evaluate_formula("p[y] * 2", {"p": [0.2, 0.3, 0.5], "y": 2})
1.0
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from xentcli.errors import ExpressionError, XentError

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_LIST",
    "MAX_NODES",
    "Formula",
    "Function",
    "compile_answer",
    "compile_formula",
    "evaluate_answer",
    "evaluate_formula",
    "format_value",
    "formula_namespace",
]

#: Longest accepted expression, in characters.
MAX_LENGTH = 500
#: Most AST nodes in one expression (operators and contexts not counted).
MAX_NODES = 300
#: Deepest nesting of AST nodes (``1+1+...`` nests once per ``+``).
MAX_DEPTH = 100
#: Longest list an expression may build or receive.
MAX_LIST = 1000

# Ints beyond this are turned into floats, so integer arithmetic can never grow
# without bound (Python ints are arbitrary-precision).
_MAX_INT = 2**63
# log2 of the largest finite float: a power whose result needs more bits than
# this overflows, so it is refused before it is computed.
_MAX_POWER_BITS = 1024.0

_UNITS = re.compile(r"\s*\b(?:nats?|bits?|bans?)\s*$", re.IGNORECASE)
_TRANSLATE = str.maketrans({"\u2212": "-", "\u00d7": "*", "\u00b7": "*", "\u00f7": "/"})


# --------------------------------------------------------------------------- helpers


def _short(text: str, limit: int = 40) -> str:
    """The text as quoted in a message: one line, cut to a readable length."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


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


def _describe(value: Any) -> str:
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


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _bounded(value: Any) -> Any:
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
    if not _is_number(value):
        raise ExpressionError(f"{what} needs a number, not {_describe(value)}")
    return float(value)


# ------------------------------------------------------------------------- functions


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
        return _from_python(result, self.name + "()")


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
    if not _is_number(x):
        raise ExpressionError(f"abs() needs a number, not {_describe(x)}")
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
        if not _is_number(v):
            raise ExpressionError(f"{name}() needs numbers, not {_describe(v)}")
    return items


def _min(*args: Any) -> Any:
    return min(_numbers("min", args))


def _max(*args: Any) -> Any:
    return max(_numbers("max", args))


def _sum(*args: Any) -> Any:
    return math.fsum(_numbers("sum", args))


def _len(x: Any) -> int:
    if not isinstance(x, (list, str)):
        raise ExpressionError(f"len() needs a list, not {_describe(x)}")
    return len(x)


def _round(x: Any, digits: Any = 0) -> Any:
    v = _number(x, "round()")
    if not isinstance(digits, int) or isinstance(digits, bool) or not -20 <= digits <= 20:
        raise ExpressionError("round() needs a whole number of digits between -20 and 20")
    return round(v, digits)


def _onehot(k: Any, i: Any) -> list[int]:
    size = _index_value(k, "onehot(): the size")
    if not 1 <= size <= MAX_LIST:
        raise ExpressionError(f"onehot(): the size must be between 1 and {MAX_LIST}, not {size}")
    index = _index_value(i, "onehot(): the index")
    if not 0 <= index < size:
        raise ExpressionError(f"onehot(): index {index} is out of range for size {size}")
    return [1 if j == index else 0 for j in range(size)]


def _index_value(value: Any, what: str) -> int:
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
_ANSWER_NAMES: dict[str, Any] = {**_MATH, "e": math.e, "pi": math.pi, "\u03c0": math.pi}

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
)


def _core_base(value: Any) -> Any:
    """A question binds ``base`` to a number; name the usual ones as the core does."""
    if _is_number(value):
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
def _formula_builtins() -> dict[str, Any]:
    names: dict[str, Any] = {**_ANSWER_NAMES, **_FORMULA_EXTRAS, "inf": math.inf}
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
    return dict(_formula_builtins())


def _from_python(value: Any, what: str) -> Any:
    """Turn a value from a namespace or a function into one the evaluator knows."""
    if isinstance(value, (bool, int, float, str, Function)):
        return _bounded(value)
    if isinstance(value, (list, tuple)):
        if len(value) > MAX_LIST:
            raise ExpressionError(f"{what} gives a list longer than {MAX_LIST} items")
        return [_from_python(v, what) for v in value]
    tolist = getattr(value, "tolist", None)  # numpy scalars and arrays
    if callable(tolist):
        size = getattr(value, "size", 1)
        if isinstance(size, int) and size > MAX_LIST:
            raise ExpressionError(f"{what} gives a list longer than {MAX_LIST} items")
        return _from_python(tolist(), what)
    raise ExpressionError(f"{what} has a value the expression cannot use ({type(value).__name__})")


# --------------------------------------------------------------------------- parsing

_OPERATOR_NAMES: dict[type, str] = {
    ast.FloorDiv: "'//' (floor division)",
    ast.Mod: "'%'",
    ast.MatMult: "'@'",
    ast.BitAnd: "'&'",
    ast.BitOr: "'|'",
    ast.BitXor: "'^'",
    ast.LShift: "'<<'",
    ast.RShift: "'>>'",
    ast.Invert: "'~'",
    ast.Is: "'is'",
    ast.IsNot: "'is not'",
    ast.In: "'in'",
    ast.NotIn: "'not in'",
}
_NODE_NAMES: dict[type, str] = {
    ast.Attribute: "attribute access ('.')",
    ast.Lambda: "lambda",
    ast.IfExp: "'if ... else'",
    ast.Dict: "dictionaries",
    ast.Set: "sets",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.Starred: "'*' unpacking",
    ast.Slice: "slices",
    ast.NamedExpr: "':='",
    ast.JoinedStr: "f-strings",
    ast.Await: "'await'",
    ast.Yield: "'yield'",
    ast.YieldFrom: "'yield'",
}

_BIN_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)
_CMP_OPS = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE)
_ANSWER_NODES = (ast.BinOp, ast.UnaryOp, ast.Constant, ast.Name, ast.Call)
_FORMULA_NODES = (*_ANSWER_NODES, ast.List, ast.Subscript, ast.Compare, ast.BoolOp, ast.keyword)
_ANSWER_ONLY_REFUSALS: dict[type, str] = {
    ast.List: "lists",
    ast.Subscript: "indexing ('[ ]')",
    ast.Compare: "comparisons",
    ast.BoolOp: "'and'/'or'",
    ast.keyword: "keyword arguments",
}


def _normalise(text: str) -> str:
    """Typographic operators to ASCII, and ``^`` (outside quotes) to ``**``.

    ``^`` must become ``**`` before parsing: Python's ``^`` binds more loosely
    than ``-``, so ``1 - 0.3^2`` would otherwise mean ``(1 - 0.3)^2``.
    """
    text = text.translate(_TRANSLATE)
    out: list[str] = []
    quote = ""
    for ch in text:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "^":
            out.append("**")
            continue
        elif ch in "\r\n\t":
            ch = " "
        out.append(ch)
    return "".join(out).strip()


def _parse(text: str, formula: bool) -> ast.expr:
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be text, not {_describe(text)}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"the expression is too long ({len(text)} characters; the limit is {MAX_LENGTH})"
        )
    source = _normalise(text)
    if not source:
        raise ExpressionError("the expression is empty")
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        what = "a formula" if formula else "a number or an arithmetic expression"
        raise ExpressionError(f"'{_short(text)}' is not {what}") from None
    _check(tree.body, formula)
    return tree.body


def _check(root: ast.expr, formula: bool) -> None:
    """Refuse any node outside the whitelist, and overly big or deep trees."""
    allowed = _FORMULA_NODES if formula else _ANSWER_NODES
    where = "a formula" if formula else "an answer"
    stack: list[tuple[ast.AST, int]] = [(root, 1)]
    count = 0
    while stack:
        node, depth = stack.pop()
        if isinstance(node, ast.expr_context):
            continue
        if isinstance(node, (ast.operator, ast.unaryop, ast.cmpop, ast.boolop)):
            ok = (
                isinstance(node, (*_BIN_OPS, ast.USub, ast.UAdd))
                or (formula and isinstance(node, (*_CMP_OPS, ast.Not, ast.And, ast.Or)))
            )
            if not ok:
                name = _OPERATOR_NAMES.get(type(node), f"'{type(node).__name__}'")
                if isinstance(node, ast.Not):
                    name = "'not'"
                raise ExpressionError(f"{name} cannot be used in {where}")
            continue
        count += 1
        if count > MAX_NODES:
            raise ExpressionError(f"the expression is too complex (more than {MAX_NODES} parts)")
        if depth > MAX_DEPTH:
            raise ExpressionError(
                f"the expression is nested too deeply (more than {MAX_DEPTH} levels)"
            )
        if not isinstance(node, allowed):
            if isinstance(node, ast.Tuple):
                hint = " (write decimals with a point: 0.5)" if not formula else ""
                raise ExpressionError(f"a comma is not allowed here{hint}")
            name = _NODE_NAMES.get(type(node)) or _ANSWER_ONLY_REFUSALS.get(
                type(node), type(node).__name__
            )
            raise ExpressionError(f"{name} cannot be used in {where}")
        if isinstance(node, ast.Constant):
            _check_constant(node.value, formula, where)
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name):
                raise ExpressionError("only named functions can be called, like ln(2)")
            if any(kw.arg is None for kw in node.keywords):
                raise ExpressionError("'**' unpacking is not allowed")
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
            raise ExpressionError(f"slices cannot be used in {where}")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


def _check_constant(value: Any, formula: bool, where: str) -> None:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        if formula and (isinstance(value, bool) or isinstance(value, str)):
            return
        raise ExpressionError(f"{_constant_name(value)} cannot be used in {where}")
    if isinstance(value, complex):
        raise ExpressionError("complex numbers are not allowed")
    if isinstance(value, float) and not math.isfinite(value):
        raise ExpressionError("a number in the expression is too large")
    if not isinstance(value, (int, float)):
        raise ExpressionError(f"{_constant_name(value)} cannot be used in {where}")


def _constant_name(value: Any) -> str:
    if isinstance(value, str):
        return "text in quotes"
    if value is None:
        return "'None'"
    if value is Ellipsis:
        return "'...'"
    return f"'{value!r}'"


# -------------------------------------------------------------------------- evaluating


class _Evaluator:
    def __init__(self, names: Mapping[str, Any], builtins: Mapping[str, Any], formula: bool):
        self.names = names
        self.builtins = builtins
        self.formula = formula

    def run(self, node: ast.expr) -> Any:
        try:
            return self.eval(node)
        except RecursionError:
            raise ExpressionError("the expression is nested too deeply") from None
        except MemoryError:
            raise ExpressionError("the expression needs too much memory") from None

    def eval(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Constant):
            return _bounded(node.value)
        if isinstance(node, ast.Name):
            return self.lookup(node.id)
        if isinstance(node, ast.BinOp):
            return _binop(node.op, self.eval(node.left), self.eval(node.right))
        if isinstance(node, ast.UnaryOp):
            value = self.eval(node.operand)
            if isinstance(node.op, ast.Not):
                return not value
            if not _is_number(value):
                raise ExpressionError(f"a sign needs a number, not {_describe(value)}")
            return -value if isinstance(node.op, ast.USub) else +value
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.List):
            if len(node.elts) > MAX_LIST:
                raise ExpressionError(f"a list may have at most {MAX_LIST} items")
            return [self.eval(elt) for elt in node.elts]
        if isinstance(node, ast.Subscript):
            return _index(self.eval(node.value), self.eval(node.slice))
        if isinstance(node, ast.Compare):
            left = self.eval(node.left)
            for op, right_node in zip(node.ops, node.comparators, strict=True):
                right = self.eval(right_node)
                if not _compare(op, left, right):
                    return False
                left = right
            return True
        if isinstance(node, ast.BoolOp):
            # Short-circuit as Python does, so `y < len(p) and p[y] > 0` is safe.
            result: Any = None
            for value_node in node.values:
                result = self.eval(value_node)
                if isinstance(node.op, ast.And) and not result:
                    return result
                if isinstance(node.op, ast.Or) and result:
                    return result
            return result
        raise ExpressionError(f"{type(node).__name__} is not allowed")  # pragma: no cover

    def lookup(self, name: str) -> Any:
        if self.formula and name in self.names:
            return _from_python(self.names[name], f"'{name}'")
        if name in self.builtins:
            return self.builtins[name]
        if self.formula:
            raise ExpressionError(f"unknown name '{name}'")
        raise ExpressionError(
            f"unknown name '{_short(name, 20)}' (answers may use numbers, + - * / ^, "
            "parentheses, ln, log, log2, log10, exp, sqrt, e and pi)"
        )

    def call(self, node: ast.Call) -> Any:
        assert isinstance(node.func, ast.Name)  # checked when parsed
        func = self.lookup(node.func.id)
        if not isinstance(func, Function):
            raise ExpressionError(f"'{node.func.id}' is not a function")
        args = [self.eval(arg) for arg in node.args]
        kwargs: dict[str, Any] = {}
        for kw in node.keywords:
            assert kw.arg is not None  # checked when parsed
            kwargs[kw.arg] = self.eval(kw.value)
        return func(args, kwargs)


def _binop(op: ast.operator, a: Any, b: Any) -> Any:
    symbol = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}[type(op)]
    for value in (a, b):
        if not _is_number(value):
            raise ExpressionError(f"'{symbol}' needs numbers, not {_describe(value)}")
    if isinstance(op, ast.Pow):
        return _power(a, b)
    if isinstance(op, ast.Div):
        if b == 0:
            raise ExpressionError("division by zero")
        result = a / b
    elif isinstance(op, ast.Add):
        result = a + b
    elif isinstance(op, ast.Sub):
        result = a - b
    else:
        result = a * b
    if isinstance(result, float) and math.isinf(result) and math.isfinite(a) and math.isfinite(b):
        raise ExpressionError(f"the result of {format_value(a)} {symbol} {format_value(b)} "
                              "is too large")
    return _bounded(result)


def _power(a: Any, b: Any) -> Any:
    shown = f"{_operand(a)} ** {_operand(b)}"
    too_large = f"{shown} is too large"
    if a == 0 and b < 0:
        raise ExpressionError("division by zero (0 to a negative power)")
    if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1:
        # Estimate the size first: 9**9**9 would otherwise run for a very long time.
        if b * math.log2(abs(a)) > _MAX_POWER_BITS:
            raise ExpressionError(too_large)
        return _bounded(a**b)
    try:
        result = float(a) ** float(b)
    except OverflowError:
        raise ExpressionError(too_large) from None
    except ZeroDivisionError:  # pragma: no cover - caught above
        raise ExpressionError("division by zero (0 to a negative power)") from None
    if isinstance(result, complex):
        raise ExpressionError(
            f"{shown} is not a real number (a negative number to a fractional power)"
        )
    if math.isinf(result) and math.isfinite(a) and math.isfinite(b):
        raise ExpressionError(too_large)
    return _bounded(result)


def _operand(value: Any) -> str:
    text = format_value(value)
    return f"({text})" if text.startswith("-") else text


def _index(container: Any, index: Any) -> Any:
    if not isinstance(container, list):
        raise ExpressionError(f"only lists can be indexed, not {_describe(container)}")
    i = _index_value(index, "an index")
    if not -len(container) <= i < len(container):
        raise ExpressionError(
            f"index {i} is out of range for a list of {len(container)} items"
        )
    return container[i]


def _compare(op: ast.cmpop, a: Any, b: Any) -> bool:
    if isinstance(op, ast.Eq):
        return bool(a == b)
    if isinstance(op, ast.NotEq):
        return bool(a != b)
    comparable = (_is_number(a) and _is_number(b)) or (isinstance(a, str) and isinstance(b, str))
    if not comparable:
        raise ExpressionError(f"cannot order {_describe(a)} and {_describe(b)}")
    if isinstance(op, ast.Lt):
        return bool(a < b)
    if isinstance(op, ast.LtE):
        return bool(a <= b)
    if isinstance(op, ast.Gt):
        return bool(a > b)
    return bool(a >= b)


def _free_names(node: ast.AST) -> frozenset[str]:
    return frozenset(n.id for n in ast.walk(node) if isinstance(n, ast.Name))


# ---------------------------------------------------------------------------- public


@dataclass(frozen=True)
class Formula:
    """A parsed, checked formula that can be evaluated many times."""

    text: str
    tree: ast.expr
    names: frozenset[str]  # every name it mentions (functions included)
    formula: bool = True

    def evaluate(self, names: Mapping[str, Any] | None = None) -> Any:
        """The value for these names (formula mode) or on its own (answer mode)."""
        if self.formula:
            return _Evaluator(names or {}, _formula_builtins(), True).run(self.tree)
        return _Evaluator({}, _ANSWER_NAMES, False).run(self.tree)


@lru_cache(maxsize=1024)
def compile_formula(text: str) -> Formula:
    """Parse and check a bank formula once, to evaluate it for many draws."""
    tree = _parse(text, formula=True)
    return Formula(text, tree, _free_names(tree), True)


def compile_answer(text: str) -> Formula:
    """Parse and check a user answer (numbers, operators and math functions)."""
    tree = _parse(_UNITS.sub("", text) if isinstance(text, str) else text, formula=False)
    return Formula(text, tree, _free_names(tree), False)


def evaluate_answer(text: str) -> float:
    """The number a user typed: ``0.36``, ``1/6``, ``-ln(0.7)``, ``log2(8)/3``, ``2^-3``.

    A trailing unit (``nats``, ``bits``, ``bans``) is ignored.

    >>> evaluate_answer("log2(8)/3"), evaluate_answer("1/8 bits")
    (1.0, 0.125)

    Raises:
        ExpressionError: the text is not a finite number or a safe arithmetic
            expression; the message says why.
    """
    value = compile_answer(text).evaluate()
    if not _is_number(value):  # pragma: no cover - answer mode only yields numbers
        raise ExpressionError(f"'{_short(text)}' is not a number")
    result = float(value)
    if not math.isfinite(result):
        raise ExpressionError(f"'{_short(text)}' is not a finite number")
    return result


def evaluate_formula(text: str, names: Mapping[str, Any]) -> Any:
    """Evaluate a bank formula with ``names`` (a question's parameters) in scope.

    ``names`` take precedence over the built-ins of :func:`formula_namespace`.
    The result is a number, a bool, a string or a list of them.

    >>> evaluate_formula("onehot(k, y)", {"k": 3, "y": 1})
    [0, 1, 0]

    Raises:
        ExpressionError: the formula is not allowed or cannot be evaluated.
    """
    return compile_formula(text).evaluate(names)

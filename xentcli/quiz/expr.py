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
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from xentcli.errors import ExpressionError
from xentcli.quiz.budget import Budget, spend
from xentcli.quiz.functions import (
    ANSWER_NAMES,
    MAX_LIST,
    Function,
    bounded,
    describe,
    format_value,
    formula_builtins,
    formula_namespace,
    from_python,
    index_value,
    is_number,
)

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
        raise ExpressionError(f"an expression must be text, not {describe(text)}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"the expression is too long ({len(text)} characters; the limit is {MAX_LENGTH})"
        )
    # Units come off only now: the regex backtracks over runs of spaces, so it
    # must never see more than MAX_LENGTH characters.
    source = _normalise(text if formula else _UNITS.sub("", text))
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
            if isinstance(node.func, ast.Constant):  # 2(3), 0.36 (approx)
                raise ExpressionError("a number cannot be followed by '(' (write * to multiply)")
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
    def __init__(self, names: Mapping[str, Any], builtins: Mapping[str, Any], formula: bool,
                 budget: Budget | None = None):
        self.names = names
        self.builtins = builtins
        self.formula = formula
        self.budget = budget

    def run(self, node: ast.expr) -> Any:
        try:
            return self.eval(node)
        except RecursionError:
            raise ExpressionError("the expression is nested too deeply") from None
        except MemoryError:
            raise ExpressionError("the expression needs too much memory") from None

    def eval(self, node: ast.AST) -> Any:
        spend(self.budget, 1)
        if isinstance(node, ast.Constant):
            return bounded(node.value)
        if isinstance(node, ast.Name):
            return self.lookup(node.id)
        if isinstance(node, ast.BinOp):
            return _binop(node.op, self.eval(node.left), self.eval(node.right))
        if isinstance(node, ast.UnaryOp):
            value = self.eval(node.operand)
            if isinstance(node.op, ast.Not):
                return not value
            if not is_number(value):
                raise ExpressionError(f"a sign needs a number, not {describe(value)}")
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
            return from_python(self.names[name], f"'{name}'", self.budget)
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
        return func(args, kwargs, self.budget)


def _binop(op: ast.operator, a: Any, b: Any) -> Any:
    symbol = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}[type(op)]
    for value in (a, b):
        if not is_number(value):
            raise ExpressionError(f"'{symbol}' needs numbers, not {describe(value)}")
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
    return bounded(result)


def _power(a: Any, b: Any) -> Any:
    shown = f"{_operand(a)} ** {_operand(b)}"
    too_large = f"{shown} is too large"
    if a == 0 and b < 0:
        raise ExpressionError("division by zero (0 to a negative power)")
    if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1:
        # Estimate the size first: 9**9**9 would otherwise run for a very long time.
        if b * math.log2(abs(a)) > _MAX_POWER_BITS:
            raise ExpressionError(too_large)
        return bounded(a**b)
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
    return bounded(result)


def _operand(value: Any) -> str:
    text = format_value(value)
    return f"({text})" if text.startswith("-") else text


def _index(container: Any, index: Any) -> Any:
    if not isinstance(container, list):
        raise ExpressionError(f"only lists can be indexed, not {describe(container)}")
    i = index_value(index, "an index")
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
    comparable = (is_number(a) and is_number(b)) or (isinstance(a, str) and isinstance(b, str))
    if not comparable:
        raise ExpressionError(f"cannot order {describe(a)} and {describe(b)}")
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


class Formula:
    """A parsed, checked formula that can be evaluated many times.

    Two formulas of the same text and mode are equal: parsing the same text
    twice (a bank read twice) gives the same formula.
    """

    __slots__ = ("formula", "names", "text", "tree")

    def __init__(self, text: str, tree: ast.expr, names: frozenset[str],
                 formula: bool = True) -> None:
        self.text = text
        self.tree = tree
        self.names = names  # every name it mentions (functions included)
        self.formula = formula

    def __repr__(self) -> str:
        return f"Formula({self.text!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Formula):
            return NotImplemented
        return (self.text, self.formula) == (other.text, other.formula)

    def __hash__(self) -> int:
        return hash((self.text, self.formula))

    def evaluate(self, names: Mapping[str, Any] | None = None,
                 budget: Budget | None = None) -> Any:
        """The value for these names (formula mode) or on its own (answer mode).

        Every step is charged to ``budget`` where there is one (a draw's).
        """
        if self.formula:
            return _Evaluator(names or {}, formula_builtins(), True, budget).run(self.tree)
        return _Evaluator({}, ANSWER_NAMES, False).run(self.tree)


@lru_cache(maxsize=1024)
def compile_formula(text: str) -> Formula:
    """Parse and check a bank formula once, to evaluate it for many draws."""
    tree = _parse(text, formula=True)
    return Formula(text, tree, _free_names(tree), True)


def compile_answer(text: str) -> Formula:
    """Parse and check a user answer (numbers, operators and math functions)."""
    tree = _parse(text, formula=False)
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
    if not is_number(value):  # pragma: no cover - answer mode only yields numbers
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

"""Text templates with ``{expr}`` and ``{expr:fmt}`` placeholders.

Each placeholder is a formula for the safe evaluator (:mod:`xentcli.quiz.expr`),
optionally followed by a Python format spec. ``{{`` and ``}}`` are literal
braces. Values without a format render in their short form (``0.356675``,
``[0.2, 0.3, 0.5]``); a format applies to each item of a list.

>>> render("H = {entropy:.3f} {unit}, p = {p}", {"entropy": 1.0296, "unit": "nats",
...        "p": [0.2, 0.3, 0.5]})
'H = 1.030 nats, p = [0.2, 0.3, 0.5]'
>>> render("{{literal}} and {k + 1}", {"k": 2})
'{literal} and 3'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from xentcli.errors import ExpressionError
from xentcli.quiz.budget import Budget, spend
from xentcli.quiz.expr import Formula, compile_formula, format_value
from xentcli.quiz.functions import Function

__all__ = ["MAX_FORMAT_NUMBER", "Placeholder", "Template", "compile_template", "render"]

#: Largest width or precision a format may ask for: ``{x:.300000000f}`` would
#: build a 300 MB string on every render.
MAX_FORMAT_NUMBER = 100


@dataclass(frozen=True)
class Placeholder:
    """One ``{expr:fmt}`` of a template."""

    source: str  # as written, with its braces: used to name it in messages
    formula: Formula
    fmt: str

    def render(self, names: Mapping[str, Any], budget: Budget | None = None) -> str:
        try:
            value = self.formula.evaluate(names, budget)
            return _format(value, self.fmt)
        except ExpressionError as exc:
            raise ExpressionError(f"in {self.source}: {exc}") from None


class Template:
    """A parsed template: literal text and placeholders, in order.

    Two templates of the same text are equal (see :class:`~xentcli.quiz.expr.Formula`).
    """

    __slots__ = ("parts", "text")

    def __init__(self, text: str, parts: tuple[str | Placeholder, ...]) -> None:
        self.text = text
        self.parts = parts

    def __repr__(self) -> str:
        return f"Template({self.text!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Template):
            return NotImplemented
        return self.text == other.text

    def __hash__(self) -> int:
        return hash(self.text)

    @property
    def names(self) -> frozenset[str]:
        """Every name the placeholders mention (for checking a bank statically)."""
        found: set[str] = set()
        for part in self.parts:
            if isinstance(part, Placeholder):
                found |= part.formula.names
        return frozenset(found)

    @property
    def placeholders(self) -> tuple[Placeholder, ...]:
        return tuple(p for p in self.parts if isinstance(p, Placeholder))

    def render(self, names: Mapping[str, Any], budget: Budget | None = None) -> str:
        """The text with every placeholder replaced by its value.

        Each character counts as a step of ``budget`` where there is one.
        """
        out: list[str] = []
        for part in self.parts:
            text = part if isinstance(part, str) else part.render(names, budget)
            spend(budget, len(text))
            out.append(text)
        return "".join(out)


def _format(value: Any, fmt: str) -> str:
    if isinstance(value, Function):
        # `{ln}` would print Python's repr of the function, memory address and all.
        raise ExpressionError(f"{value.name} is a function: call it, as in {value.name}(x)")
    if isinstance(value, list) and any(isinstance(v, Function) for v in value):
        raise ExpressionError("a list of functions cannot be shown: call them")
    if not fmt:
        return format_value(value)
    try:
        if isinstance(value, list):
            return "[" + ", ".join(_format(v, fmt) for v in value) + "]"
        if isinstance(value, bool):
            return format(format_value(value), fmt)
        return format(value, fmt)
    except (ValueError, TypeError):
        raise ExpressionError(f"the format ':{fmt}' does not fit {format_value(value)}") from None


def _split_spec(body: str) -> tuple[str, str]:
    """``expr:fmt`` -> (expr, fmt), at the first ``:`` outside brackets and quotes."""
    depth = 0
    quote = ""
    for i, ch in enumerate(body):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == ":" and depth == 0:
            return body[:i], body[i + 1 :]
    return body, ""


@lru_cache(maxsize=2048)
def compile_template(text: str) -> Template:
    """Parse a template once (placeholders are checked, not evaluated).

    Raises:
        ExpressionError: a brace is unmatched or a placeholder is not a valid
            formula; the message quotes the placeholder.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"a template must be text, not {type(text).__name__}")
    parts: list[str | Placeholder] = []
    literal: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "}":
            if text.startswith("}}", i):
                literal.append("}")
                i += 2
                continue
            raise ExpressionError(
                f"a single '}}' at character {i + 1} (write '}}}}' for a literal brace)"
            )
        if ch != "{":
            literal.append(ch)
            i += 1
            continue
        if text.startswith("{{", i):
            literal.append("{")
            i += 2
            continue
        end = _closing_brace(text, i)
        source = text[i : end + 1]
        expr, fmt = _split_spec(text[i + 1 : end])
        if not expr.strip():
            raise ExpressionError(f"in {source}: the placeholder is empty")
        if any(int(n) > MAX_FORMAT_NUMBER for n in re.findall(r"\d+", fmt)):
            raise ExpressionError(f"in {source}: a format's width and precision may be at "
                                  f"most {MAX_FORMAT_NUMBER}")
        try:
            formula = compile_formula(expr)
        except ExpressionError as exc:
            raise ExpressionError(f"in {source}: {exc}") from None
        if literal:
            parts.append("".join(literal))
            literal = []
        parts.append(Placeholder(source, formula, fmt))
        i = end + 1
    if literal:
        parts.append("".join(literal))
    return Template(text, tuple(parts))


def _closing_brace(text: str, start: int) -> int:
    quote = ""
    for j in range(start + 1, len(text)):
        ch = text[j]
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "{":
            break
        elif ch == "}":
            return j
    snippet = " ".join(text[start : start + 30].split())
    raise ExpressionError(f"the '{{' of '{snippet}' is never closed (write '{{{{' for a brace)")


def render(text: str, names: Mapping[str, Any]) -> str:
    """Replace each ``{expr}`` / ``{expr:fmt}`` of ``text`` by its value.

    ``names`` are the values formulas may use (a question's parameters), on
    top of the built-ins of :func:`xentcli.quiz.expr.formula_namespace`.

    Raises:
        ExpressionError: naming the placeholder that failed and why.
    """
    return compile_template(text).render(names)

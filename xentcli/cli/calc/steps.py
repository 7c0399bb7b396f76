"""The steps of a worked solution shared by every measure: numbers, vectors,
sums, and how the inputs are prepared (one-hot, smoothing, softmax, clipping).

Lines are plain text of at most :data:`WIDTH` characters;
:mod:`~xentcli.cli.calc.explain` puts them together per measure.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from xentcli.cli.calc.format import fmt as fmt6
from xentcli.core.breakdown import Breakdown, log_name

if TYPE_CHECKING:
    from xentcli.cli.calc.outcome import Outcome

WIDTH = 80
#: Per-class lines shown for one row; beyond, only the non-zero terms (up to this many).
MAX_TERMS = 12


# ------------------------------------------------------------------------ helpers


def fmt(value: Any) -> str:
    """A number as :func:`~xentcli.cli.calc.format.fmt` writes it, but never ``1`` for
    a number that is not 1: a clipped q = 1 - 1e-7 would read ``-ln(1 - 1) = 16.1``.

    >>> [fmt(v) for v in (0.35667494393873245, 1 - 1e-7, 1.0, -(1 - 1e-9), 0.9999996)]
    ['0.356675', '0.9999999', '1', '-0.999999999', '0.9999996']
    """
    text = fmt6(value)
    number = float(value)
    if text.lstrip("-") != "1" or abs(number) == 1:
        return text
    for digits in range(7, 18):
        text = f"{number:.{digits}g}"
        if text.lstrip("-") != "1":
            break
    return text


def vector(label: str, values: Any, indent: int = 2) -> list[str]:
    """``label = [a, b, c]``, wrapped to the width.

    >>> vector("q", [0.1, 0.2])
    ['  q = [0.1, 0.2]']
    """
    text = "[" + ", ".join(fmt(v) for v in np.asarray(values).reshape(-1)) + "]"
    first = " " * indent + f"{label} = "
    return textwrap.wrap(
        text, WIDTH, initial_indent=first, subsequent_indent=" " * len(first),
        break_on_hyphens=False,
    )


def total(symbol: str, parts: Sequence[float], result: float, unit: str) -> str:
    """``H = 0.1 + 0.2 - 0.05 = 0.25 nats``, or a short form when it would not fit.

    >>> total("H", [0.1, -0.05], 0.05, "nats")
    'H = 0.1 - 0.05 = 0.05 nats'
    """
    unit = f" {unit}" if unit else ""
    if len(parts) == 1:
        return f"{symbol} = {fmt(result)}{unit}"
    expr = fmt(parts[0])
    for part in parts[1:]:
        text = fmt(part)
        expr += f" - {text[1:]}" if text.startswith("-") else f" + {text}"
    line = f"{symbol} = {expr} = {fmt(result)}{unit}"
    if len(line) <= WIDTH:
        return line
    return f"{symbol} = sum of the {len(parts)} terms = {fmt(result)}{unit}"


def paren(value: float) -> str:
    """A number inside an expression: negative numbers in parentheses."""
    text = fmt(value)
    return f"({text})" if text.startswith("-") else text


def shown_terms(terms: Any) -> list[int]:
    """Which classes get a line: all of a short row, else the non-zero terms (up to a limit)."""
    k = len(terms)
    if k <= MAX_TERMS:
        return list(range(k))
    return [i for i in range(k) if terms[i] != 0][:MAX_TERMS]


def rows_header(outcome: Outcome, r: int) -> list[str]:
    b = outcome.breakdown
    assert b is not None
    if b.terms.shape[0] == 1 and not outcome.partial:
        return []
    n = n_rows(outcome)
    return ["", f"Row {r} (of {n}):"]


def n_rows(outcome: Outcome) -> int:
    values = outcome.main.values
    return 1 if values.ndim < 2 else int(values.shape[0])


# ------------------------------------------------------------ preparing the inputs


def target_steps(outcome: Outcome, b: Breakdown, r: int) -> list[str]:
    lines: list[str] = []
    k = b.terms.shape[1]
    if b.labels is not None:
        label = int(b.labels[r])
        lines.append(f"TARGET is class index {label}: y is one-hot, y_{label} = 1, the rest 0.")
    elif outcome.options.get("normalize"):
        raw = np.asarray(outcome.inputs["target"].values).reshape(-1, k)[r]
        lines.append(f"--normalize: TARGET divided by its sum {fmt(raw.sum())}.")
        prepared = b.target if b.raw_target is None else b.raw_target
        assert prepared is not None
        lines += vector("y", prepared[r])
    smoothing = outcome.options.get("label_smoothing") or 0.0
    if smoothing and b.target is not None:
        lines.append(
            f"Label smoothing ε = {fmt(smoothing)} over K = {k} classes: "
            f"y_i = (1 - ε) · y_i + ε/K"
        )
        lines += vector("y", b.target[r])
    return lines


def softmax_steps(z: Any, what: str) -> list[str]:
    """The softmax of one row of logits, step by step (compact)."""
    z = np.asarray(z, dtype=np.float64)
    top = float(z.max())
    with np.errstate(over="ignore"):  # z - max z may overflow to -inf: exp gives 0
        shifted = np.exp(z - top)
    norm = float(shifted.sum())
    lines = [f"{what} holds logits; softmax first, shifted by max z = {fmt(top)}:"]
    lines.append("  q_i = exp(z_i - max z) / Σ_j exp(z_j - max z)")
    lines += vector("z", z)
    lines += vector(f"exp(z - {fmt(top)})", shifted)
    lines.append(f"  Σ = {fmt(norm)}")
    lines += vector("q", shifted / norm)
    lines.append("  computed stably as ln q_i = z_i - logsumexp(z), where")
    lines.append(
        f"  logsumexp(z) = max z + ln Σ = {fmt(top)} + ln {fmt(norm)} = "
        f"{fmt(top + np.log(norm))}"
    )
    return lines


def prediction_steps(outcome: Outcome, b: Breakdown, r: int, what: str = "PRED") -> list[str]:
    lines: list[str] = []
    eps = outcome.options.get("eps")
    if b.logits is not None:
        lines += softmax_steps(b.logits[r], what)
    elif outcome.options.get("normalize"):
        key = "q" if what == "Q" else "pred"
        raw = np.asarray(outcome.inputs[key].values).reshape(-1, b.terms.shape[1])[r]
        lines.append(f"--normalize: {what} divided by its sum {fmt(raw.sum())}.")
        if eps is None:  # with --eps the clipped q follows
            assert b.prob is not None
            lines += vector("q", b.prob[r])
    if eps is not None and b.prob is not None:
        lines.append(f"--eps {fmt(eps)}: each q_i clipped to [{fmt(eps)}, 1 - {fmt(eps)}]")
        lines += vector("q", b.prob[r])
    return lines


def unit_note(b: Breakdown) -> list[str]:
    return unit_note_from(b.ln_base, b.unit)


# --------------------------------------------------------------------- measures


def rest_terms(terms: Any, shown: list[int]) -> list[str]:
    """The classes left out by :func:`shown_terms`, and whether their terms are 0.

    >>> rest_terms([0.5, 0.0, 0.25, 0.0], [0])
    ['  ... 3 more classes, not shown (1 with a non-zero term, in the sum)']
    >>> rest_terms([0.5, 0.0, 0.0], [0])
    ['  ... 2 more classes with a term of 0']
    """
    hidden = len(terms) - len(shown)
    if not hidden:
        return []
    nonzero = sum(1 for t in terms if t != 0) - sum(1 for i in shown if terms[i] != 0)
    if not nonzero:
        return [f"  ... {hidden} more classes with a term of 0"]
    if nonzero == hidden:
        return [f"  ... {hidden} more classes, not shown (their terms are in the sum)"]
    return [
        f"  ... {hidden} more classes, not shown ({nonzero} with a non-zero term, in the sum)"
    ]


def base_number(ln_base: float) -> str:
    """The base as written after ``ln`` (``2``, ``10``, ``3``).

    >>> [base_number(np.log(b)) for b in (2, 10, 3)]
    ['2', '10', '3']
    """
    return log_name(ln_base)[3:].lstrip("_")


def unit_note_from(ln_base: float, unit: str) -> list[str]:
    log = log_name(ln_base)
    if log == "ln":
        return []
    return [f"({log} x = ln x / ln {base_number(ln_base)}: results in {unit})"]

"""``--explain``: a calculator result worked out the way one writes it on a whiteboard.

:func:`explanation` turns an :class:`~xentcli.cli.calc.outcome.Outcome` (with its
breakdown) into plain lines of at most 80 characters: the formula, how the
inputs are prepared (class index to one-hot, label smoothing, softmax of logits,
clipping, weights), every term with its numbers, the sum with its unit, and the
reduction over rows. The numbers come from the breakdown; the final value is
the core's own result.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from xentcli.cli.calc.format import singular
from xentcli.cli.calc.outcome import has_breakdown
from xentcli.cli.calc.steps import (
    MAX_TERMS,
    WIDTH,
    base_number,
    fmt,
    n_rows,
    paren,
    prediction_steps,
    rest_terms,
    rows_header,
    shown_terms,
    softmax_steps,
    target_steps,
    total,
    unit_note,
    unit_note_from,
    vector,
)
from xentcli.core.breakdown import Breakdown, log_name

if TYPE_CHECKING:
    from xentcli.cli.calc.outcome import Outcome

def _entropy(outcome: Outcome, b: Breakdown, r: int) -> list[str]:
    log = log_name(b.ln_base)
    lines = []
    if outcome.options.get("normalize"):
        raw = np.asarray(outcome.inputs["p"].values).reshape(-1, b.terms.shape[1])[r]
        lines.append(f"--normalize: P divided by its sum {fmt(raw.sum())}.")
        lines += vector("p", b.target[r] if b.target is not None else raw)
    assert b.target is not None
    shown = shown_terms(b.terms[r])
    for i in shown:
        p = b.target[r, i]
        if p == 0:
            lines.append(f"  i={i}:  p_i = 0, and 0 · {log} 0 = 0")
        else:
            lines.append(f"  i={i}:  -{fmt(p)} · {log} {fmt(p)} = {fmt(b.terms[r, i])}")
    lines += rest_terms(b.terms[r], shown)
    k = b.terms.shape[1]
    lines.append(total("H(P)", b.terms[r].tolist(), b.rows[r], b.unit))
    if k > 1:
        bound = np.log(k) / b.ln_base
        lines.append(
            f"The most it can be for {k} classes is {log} {k} = {fmt(bound)} {b.unit} "
            "(all equally likely)."
        )
    return lines


def _cross_entropy(outcome: Outcome, b: Breakdown, r: int) -> list[str]:
    log = log_name(b.ln_base)
    lines = target_steps(outcome, b, r) + prediction_steps(outcome, b, r)
    assert b.target is not None and b.prob is not None
    weighted = b.weights is not None
    if weighted:
        lines += vector("Class weights w", b.weights, indent=0)
    lines.append(f"Terms -{'w_i · ' if weighted else ''}y_i · {log} q_i:")
    shown = shown_terms(b.terms[r])
    for i in shown:
        y, q = b.target[r, i], b.prob[r, i]
        w = f"{fmt(b.weights[i])} · " if b.weights is not None else ""
        if y == 0:
            lines.append(f"  i={i}:  y_i = 0, so the term is 0")
        else:
            lines.append(f"  i={i}:  -{w}{fmt(y)} · {log} {fmt(q)} = {fmt(b.terms[r, i])}")
    lines += rest_terms(b.terms[r], shown)
    lines.append(total("H", b.terms[r].tolist(), b.rows[r], b.unit))
    if b.raw_target is None and np.count_nonzero(b.target[r]) == 1 and not weighted:
        true = int(np.flatnonzero(b.target[r])[0])
        if b.target[r, true] == 1:
            lines.append(
                f"With a one-hot target only the true class counts: H = -{log} q_{true}."
            )
    return lines


def _kl(outcome: Outcome, b: Breakdown, r: int) -> list[str]:
    log = log_name(b.ln_base)
    assert b.target is not None and b.prob is not None and b.reference is not None
    lines = []
    if outcome.options.get("normalize"):
        raw = np.asarray(outcome.inputs["p"].values).reshape(-1, b.terms.shape[1])[r]
        lines.append(f"--normalize: P divided by its sum {fmt(raw.sum())}.")
        lines += vector("p", b.target[r])
    lines += prediction_steps(outcome, b, r, "Q")
    lines.append(f"Terms p_i · {log}(p_i / q_i):")
    shown = shown_terms(b.terms[r])
    for i in shown:
        p, q = b.target[r, i], b.prob[r, i]
        if p == 0:
            lines.append(f"  i={i}:  p_i = 0, so the term is 0")
        else:
            lines.append(f"  i={i}:  {fmt(p)} · {log}({fmt(p)} / {fmt(q)}) = {fmt(b.terms[r, i])}")
    lines += rest_terms(b.terms[r], shown)
    lines.append(total("D_KL", b.terms[r].tolist(), b.rows[r], b.unit))
    h_p, h_pq = b.reference[0, r], b.reference[1, r]
    lines += [
        "Check with the identity D_KL(P || Q) = H(P, Q) - H(P):",
        f"  H(P, Q) = -Σ p_i · {log} q_i = {fmt(h_pq)} {b.unit}",
        f"  H(P)    = -Σ p_i · {log} p_i = {fmt(h_p)} {b.unit}",
        f"  H(P, Q) - H(P) = {fmt(h_pq)} - {paren(h_p)} = {fmt(h_pq - h_p)} {b.unit}",
        "D_KL >= 0, with 0 only when Q = P; it is not symmetric in P and Q.",
    ]
    return lines


def _bce(outcome: Outcome, b: Breakdown, r: int) -> list[str]:
    log = log_name(b.ln_base)
    assert b.target is not None and b.prob is not None and b.weights is not None
    lines = []
    if b.logits is not None:
        lines.append("PRED holds logits x: p = sigmoid(x) = 1 / (1 + exp(-x)) per label")
        lines += vector("p", b.prob[r])
        lines.append("  (the code uses -ln p = softplus(-x), -ln(1 - p) = softplus(x))")
    eps = outcome.options.get("eps")
    if eps is not None:
        lines.append(f"--eps {fmt(eps)}: each p clipped to [{fmt(eps)}, 1 - {fmt(eps)}]")
    for j in range(min(b.terms.shape[1], MAX_TERMS)):
        y, p, w = b.target[r, j], b.prob[r, j], b.weights[j]
        wy = f"{fmt(w)} · " if w != 1 else ""
        pos = f"{wy}{fmt(y)} · {log} {fmt(p)}" if y != 1 else f"{wy}{log} {fmt(p)}"
        neg = f"{fmt(1 - y)} · {log}(1 - {fmt(p)})" if y != 0 else f"{log}(1 - {fmt(p)})"
        if y == 1:
            expr = f"-{pos}"
        elif y == 0:
            expr = f"-{neg}"
        else:
            expr = f"-[{pos} + {neg}]"
        lines.append(f"  j={j}:  y = {fmt(y)}, p = {fmt(p)}:  {expr} = {fmt(b.terms[r, j])}")
    if b.terms.shape[1] > MAX_TERMS:
        lines.append(f"  ... {b.terms.shape[1] - MAX_TERMS} more labels")
    return lines


def _focal(outcome: Outcome, b: Breakdown, r: int) -> list[str]:
    log = log_name(b.ln_base)
    gamma = outcome.options["gamma"]
    lines = target_steps(outcome, b, r) + prediction_steps(outcome, b, r)
    assert b.target is not None and b.prob is not None and b.factor is not None
    if b.weights is not None:
        lines += vector("α", b.weights, indent=0)
    a = "α_i · " if b.weights is not None else ""
    lines.append(f"Terms -{a}y_i · (1 - q_i)^γ · {log} q_i, with γ = {fmt(gamma)}:")
    shown = shown_terms(b.terms[r])
    for i in shown:
        y, q = b.target[r, i], b.prob[r, i]
        if y == 0:
            lines.append(f"  i={i}:  y_i = 0, so the term is 0")
            continue
        alpha = f"{fmt(b.weights[i])} · " if b.weights is not None else ""
        lines.append(
            f"  i={i}:  -{alpha}{fmt(y)} · (1 - {fmt(q)})^{fmt(gamma)} · {log} {fmt(q)}"
            f" = {fmt(b.terms[r, i])}"
        )
        lines.append(f"        (the factor (1 - q_i)^γ = {fmt(b.factor[r, i])})")
    lines += rest_terms(b.terms[r], shown)
    lines.append(total("FL", b.terms[r].tolist(), b.rows[r], b.unit))
    assert b.log_prob is not None
    weights = b.weights if b.weights is not None else 1.0
    with np.errstate(invalid="ignore"):  # 0 · -inf is a class with no target mass
        plain = float(np.where(b.target[r] != 0, -b.target[r] * weights * b.log_prob[r], 0).sum())
    # With α the γ = 0 loss is the α-weighted cross-entropy, not the plain one.
    ce = "the α-weighted cross-entropy" if b.weights is not None else "the cross-entropy"
    if gamma == 0:
        lines.append(f"With γ = 0 the factor is 1: this is {ce}.")
    else:
        lines.append(
            f"Without the factor (γ = 0) it would be {ce}, {fmt(plain / b.ln_base)} "
            f"{b.unit}: (1 - q)^γ shrinks the loss of classes predicted well."
        )
    return lines


def _softmax(outcome: Outcome, b: Breakdown, r: int) -> list[str]:
    assert b.logits is not None and b.target is not None and b.prob is not None
    z = b.logits[r]
    top = float(z.max())
    norm = float(b.rows[r])
    lines = [
        f"Subtract max z = {fmt(top)} first: the result is the same, and exp cannot overflow.",
    ]
    shown = range(min(len(z), MAX_TERMS))
    for i in shown:
        lines.append(f"  i={i}:  exp({fmt(z[i])} - {paren(top)}) = {fmt(b.target[r, i])}")
    lines.append(f"  Σ = {fmt(norm)}")
    if outcome.measure == "log-softmax":
        lse = top + np.log(norm)
        lines.append(
            f"logsumexp(z) = max z + ln Σ = {fmt(top)} + ln {fmt(norm)} = {fmt(lse)}"
        )
        lines.append("ln q_i = z_i - logsumexp(z):")
        assert b.log_prob is not None
        for i in shown:
            lines.append(f"  i={i}:  {fmt(z[i])} - {paren(lse)} = {fmt(b.log_prob[r, i])}")
    else:
        lines.append("q_i = exp(z_i - max z) / Σ:")
        for i in shown:
            lines.append(f"  i={i}:  {fmt(b.target[r, i])} / {fmt(norm)} = {fmt(b.prob[r, i])}")
    if len(z) > MAX_TERMS:
        lines.append(f"  ... {len(z) - MAX_TERMS} more classes")
    return lines


def _grad(outcome: Outcome, b: Breakdown, r: int) -> list[str]:
    assert b.logits is not None
    lines = target_steps(outcome, b, r) + softmax_steps(b.logits[r], "Z")[1:-2]
    assert b.target is not None and b.prob is not None and b.row_weight is not None
    weighted = b.weights is not None
    if weighted:
        lines += vector("Class weights w", b.weights, indent=0)
        lines.append(f"Σ_j w_j · y_j = {fmt(b.row_weight[r])}")
    # In another unit the loss is ln-loss / ln b, and so is its gradient.
    scale = "" if b.ln_base == 1 else f" / ln {base_number(b.ln_base)}"
    if scale:
        lines.append(f"The loss is in {b.unit}, so each component is divided by ln "
                     f"{base_number(b.ln_base)}:")
    for i in range(min(b.terms.shape[1], MAX_TERMS)):
        q, y = b.prob[r, i], b.target[r, i]
        if weighted:
            assert b.weights is not None
            expr = f"{fmt(b.row_weight[r])} · {fmt(q)} - {fmt(b.weights[i])} · {fmt(y)}"
        else:
            expr = f"{fmt(q)} - {fmt(y)}"
        if scale:
            expr = f"({expr}){scale}"
        lines.append(f"  i={i}:  {expr} = {fmt(b.terms[r, i])}")
    if b.terms.shape[1] > MAX_TERMS:
        lines.append(f"  ... {b.terms.shape[1] - MAX_TERMS} more classes, computed the same way")
    return lines


_HEADERS: dict[str, Callable[[Outcome, Breakdown], list[str]]] = {
    "entropy": lambda o, b: [
        f"Entropy  H(P) = -Σ p_i · {log_name(b.ln_base)} p_i   (0 · log 0 = 0)"
    ],
    "cross-entropy": lambda o, b: [
        f"Cross-entropy  H(y, q) = -Σ {'w_i · ' if b.weights is not None else ''}"
        f"y_i · {log_name(b.ln_base)} q_i   (y = TARGET, q = PRED)"
    ],
    "kl": lambda o, b: [
        f"KL divergence  D_KL(P || Q) = Σ p_i · {log_name(b.ln_base)}(p_i / q_i)"
    ],
    "bce": lambda o, b: [
        "Binary cross-entropy, one term per label (y = TARGET, p = PRED):",
        f"  l = -[{'w · ' if np.any(b.weights != 1) else ''}y · {log_name(b.ln_base)} p"
        f" + (1 - y) · {log_name(b.ln_base)}(1 - p)]",
    ],
    "focal": lambda o, b: [
        f"Focal loss  FL = -Σ {'α_i · ' if b.weights is not None else ''}y_i · (1 - q_i)^γ"
        f" · {log_name(b.ln_base)} q_i   (y = TARGET, q = PRED)"
    ],
    "softmax": lambda o, b: ["Softmax  q_i = exp(z_i) / Σ_j exp(z_j)"],
    "log-softmax": lambda o, b: ["Log-softmax  ln q_i = z_i - ln Σ_j exp(z_j)"],
    "grad": lambda o, b: [
        "Gradient of the cross-entropy with respect to the logits:",
        "  dH/dz_i = q_i - y_i, with q = softmax(z)"
        if b.weights is None
        else "  dH/dz_i = (Σ_j w_j y_j) · q_i - w_i · y_i, with q = softmax(z)",
    ],
}

_BODIES: dict[str, Callable[[Outcome, Breakdown, int], list[str]]] = {
    "entropy": _entropy,
    "cross-entropy": _cross_entropy,
    "kl": _kl,
    "bce": _bce,
    "focal": _focal,
    "softmax": _softmax,
    "log-softmax": _softmax,
    "grad": _grad,
}


def _reduction(outcome: Outcome, b: Breakdown) -> list[str]:
    """How the rows combine into the result (the core's value)."""
    value = outcome.value
    n = n_rows(outcome)
    unit = f" {outcome.unit}" if outcome.unit and not outcome.is_list else ""
    how = outcome.reduction
    if outcome.measure == "bce":
        count = int(np.asarray(outcome.main.values).size)
        if how == "none" or count == 1:
            return []
        parts = b.terms.reshape(-1).tolist()
        if how == "sum":
            return [total(f"sum over the {count} labels", parts, value, outcome.unit or "")]
        if outcome.partial or len(parts) > 8:
            return [f"mean over the {count} labels = {fmt(value)}{unit}"]
        expr = " + ".join(paren(t) for t in parts)
        line = f"mean over the {count} labels = ({expr}) / {count} = {fmt(value)}{unit}"
        short = f"mean over the {count} labels = {fmt(value)}{unit}"
        return [line if len(line) <= WIDTH else short]
    if how in (None, "none"):
        return []
    if outcome.measure == "grad":
        return _grad_reduction(outcome, b, n)
    weighted = b.row_weight is not None and outcome.measure == "cross-entropy"
    if n == 1 and not (weighted and how == "mean"):
        return []
    lines = [""] if n > 1 else []
    rows = b.rows.tolist()
    if how == "sum":
        if outcome.partial:
            lines.append(f"sum over the {n} rows = {fmt(value)}{unit}")
        else:
            lines.append(total(f"sum over the {n} rows", rows, value, outcome.unit or ""))
    elif weighted and b.row_weight is not None:
        lines.append("With weights the mean is weighted: Σ_n H_n / Σ_n Σ_i w_i · y_ni")
        if outcome.partial:
            lines.append(f"  = {fmt(value)}{unit}")
        else:
            top = " + ".join(paren(v) for v in rows)
            bottom = " + ".join(fmt(v) for v in b.row_weight.tolist())
            lines.append(f"  = ({top}) / ({bottom}) = {fmt(value)}{unit}")
    elif outcome.partial:
        lines.append(f"mean over the {n} rows = {fmt(value)}{unit}")
    else:
        expr = " + ".join(paren(v) for v in rows)
        line = f"mean over the {n} rows = ({expr}) / {n} = {fmt(value)}{unit}"
        short = f"mean over the {n} rows = {fmt(value)}{unit}"
        lines.append(line if len(line) <= WIDTH else short)
    return lines


def _grad_reduction(outcome: Outcome, b: Breakdown, n: int) -> list[str]:
    if outcome.reduction == "mean":
        denominator = "the rows' total weight" if b.weights is not None else f"{n} rows"
        return ["", f"--reduction mean: each row's gradient divided by {denominator}."]
    return []


def explanation(outcome: Outcome) -> list[str]:
    """The worked solution as lines of at most 80 characters (with the result last)."""
    if outcome.measure == "surprisal":
        return _surprisal(outcome)
    if not has_breakdown(outcome):
        from xentcli.cli.calc.worked import worked

        return _fit([*worked(outcome), _result_line(outcome)])
    b = outcome.breakdown
    assert b is not None
    lines = _HEADERS[outcome.measure](outcome, b) + unit_note(b)
    for r in range(b.terms.shape[0]):
        lines += rows_header(outcome, r) + _BODIES[outcome.measure](outcome, b, r)
    if outcome.partial:
        first, last = b.terms.shape[0], n_rows(outcome) - 1
        rows = f"row {first} is" if first == last else f"rows {first} to {last} are"
        lines += ["", f"({rows} computed the same way)"]
    lines += _reduction(outcome, b)
    lines.append(_result_line(outcome))
    return _fit(lines)


def _fit(lines: list[str]) -> list[str]:
    """Wrap any line wider than the width, keeping its indent (plus two)."""
    out: list[str] = []
    for text in lines:
        for line in singular(text).split("\n"):
            if len(line) <= WIDTH:
                out.append(line)
                continue
            indent = " " * (len(line) - len(line.lstrip()) + 2)
            out += textwrap.wrap(line, WIDTH, subsequent_indent=indent, break_on_hyphens=False)
    return out


def _result_line(outcome: Outcome) -> str:
    value = np.asarray(outcome.value)
    unit = f" {outcome.unit}" if outcome.unit else ""
    if value.ndim == 0:
        return f"Result: {outcome.symbol} = {fmt(value)}{unit}"
    if value.ndim == 1 and value.size <= MAX_TERMS:
        if outcome.measure == "grad" and outcome.unit:
            unit = f" (loss in {outcome.unit})"
        return "\n".join(vector(f"Result: {outcome.symbol}", value, indent=0)) + unit
    return f"Result: {outcome.symbol}, shape {tuple(value.shape)} (use -q or --json for all)"


def _surprisal(outcome: Outcome) -> list[str]:
    from xentcli.core import resolve_base

    unit = outcome.unit or ""

    ln_base, _ = resolve_base(outcome.base or "e")
    log = log_name(ln_base)
    p = np.asarray(outcome.inputs["p"].values).reshape(-1)
    s = np.asarray(outcome.value, dtype=np.float64).reshape(-1)
    lines = [f"Surprisal  I(p) = -{log} p: the rarer the outcome, the bigger the surprise"]
    lines += unit_note_from(ln_base, unit)
    for i in range(min(p.size, MAX_TERMS)):
        note = "  (an impossible outcome)" if p[i] == 0 else ""
        lines.append(f"  -{log} {fmt(p[i])} = {fmt(s[i])} {unit}{note}")
    if p.size > MAX_TERMS:
        lines.append(f"  ... {p.size - MAX_TERMS} more")
    lines.append(_result_line(outcome))
    return _fit(lines)


def write_explanation(outcome: Outcome) -> None:
    """Print the worked solution; the result line in bold."""
    from rich.text import Text

    from xentcli.cli.calc.render import result_console

    console = result_console()
    lines = explanation(outcome)
    for i, line in enumerate(lines):
        style = "bold" if i == len(lines) - 1 and line.startswith("Result") else ""
        console.print(Text(line, style=style), soft_wrap=True)

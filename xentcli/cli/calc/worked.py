"""``--explain`` for the measures worked row by row: JS, perplexity, the sigmoid
focal loss, ECE and the Brier score, and the losses whose options the core's
per-class breakdown does not cover (ignored rows, sample weights, binary label
smoothing).

Every loss shown is the core's own: per-row values come from the measure
itself with ``reduction="none"``, JS's two divergences from
:func:`~xentcli.core.breakdown.kl_breakdown`, the sigmoid focal loss's p,
(1 - p_t)^γ, -log p_t and α_t from
:func:`~xentcli.core.breakdown.sigmoid_focal_breakdown`, ECE's bins from
:func:`~xentcli.core.calibration_bins`. Only what the reader needs to follow
a step is worked here (the mixture M, p_t of a label, a class's square).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from xentcli.cli.calc.format import fmt as fmt6
from xentcli.cli.calc.inputs import Vector
from xentcli.cli.calc.outcome import EXPLAIN_ROWS, Outcome

__all__ = ["worked"]

#: Labels (sigmoid focal) or rows (ECE) listed one by one.
MAX_LINES = 12


def fmt(value: Any) -> str:
    return fmt6(value)


def _values(vector: Vector | None) -> Any:
    if vector is None:
        return None
    return vector.values.reshape(()) if vector.lone else vector.values


def _log(outcome: Outcome) -> str:
    from xentcli.core import resolve_base
    from xentcli.core.breakdown import log_name

    return log_name(resolve_base(outcome.base or "e")[0])


def _rows2(x: Any, k: int) -> Any:
    return np.asarray(x, dtype=np.float64).reshape(-1, k)


def _unit(outcome: Outcome) -> str:
    return f" {outcome.unit}" if outcome.unit else ""


def _mean_line(outcome: Outcome, per_row: Any, what: str = "rows") -> list[str]:
    """How the per-row values combine: the plain or weighted mean, or the sum."""
    values = np.asarray(per_row, dtype=np.float64).reshape(-1)
    o = outcome.options
    unit = _unit(outcome)
    keep = np.ones(values.shape, dtype=bool)
    lines: list[str] = []
    ignore = o.get("ignore_index")
    if ignore is not None and outcome.class_indices:
        keep = np.asarray(outcome.target).reshape(-1) != ignore
        dropped = int((~keep).sum())
        if dropped:
            lines.append(f"Rows whose class is {ignore} are ignored: {dropped} of "
                         f"{values.size} leave the loss and the mean.")
    weights = o.get("sample_weights")
    shown = values.size <= 8
    if outcome.reduction == "none":
        return lines
    if outcome.reduction == "sum":
        parts = " + ".join(fmt(v) for v in values[keep]) if shown else "..."
        lines.append(f"sum over the {what} = {parts} = {fmt(outcome.value)}{unit}")
        return lines
    if weights is not None:
        s = np.asarray(weights.values, dtype=np.float64).reshape(-1)
        lines.append("Sample weights s_n: the mean is Σ s_n · l_n / Σ s_n")
        if shown:
            top = " + ".join(f"{fmt(a)} · {fmt(b)}" for a, b in zip(s[keep], values[keep],
                                                                     strict=True))
            bottom = " + ".join(fmt(a) for a in s[keep])
            lines.append(f"  = ({top}) / ({bottom})")
        lines.append(f"  = {fmt(outcome.value)}{unit}")
        return lines
    n = int(keep.sum())
    if n == 1 and values.size == 1:
        return lines
    if shown:
        parts = " + ".join(fmt(v) for v in values[keep])
        lines.append(f"mean over the {n} {what} = ({parts}) / {n} = {fmt(outcome.value)}{unit}")
    else:
        lines.append(f"mean over the {n} {what} = {fmt(outcome.value)}{unit}")
    return lines


def _row_losses(outcome: Outcome) -> Any:
    """The per-row (or per-label) losses, from the core with ``reduction="none"``."""
    from xentcli import core

    o = outcome.options
    m = outcome.measure
    target = outcome.target
    if m in ("cross-entropy", "perplexity"):
        return core.cross_entropy(
            target, outcome.inputs["pred"].values, base="e" if m == "perplexity" else (
                outcome.base or "e"),
            from_logits=o["logits"], weights=_values(o.get("weights")),
            label_smoothing=o["label_smoothing"], eps=o["eps"], normalize=o["normalize"],
            ignore_index=o.get("ignore_index"), reduction="none",
        )
    if m == "focal":
        return core.focal_loss(
            target, outcome.inputs["pred"].values, gamma=o["gamma"],
            alpha=_values(o.get("alpha")), base=outcome.base or "e", from_logits=o["logits"],
            label_smoothing=o["label_smoothing"], eps=o["eps"], normalize=o["normalize"],
            ignore_index=o.get("ignore_index"), reduction="none",
        )
    if m == "kl":
        return core.kl_divergence(outcome.inputs["p"].values, outcome.inputs["q"].values,
                                  base=outcome.base or "e", from_logits=o["logits"],
                                  eps=o["eps"], normalize=o["normalize"], reduction="none")
    if m == "bce":
        return core.binary_cross_entropy(
            target, outcome.inputs["pred"].values, base=outcome.base or "e",
            from_logits=o["logits"], pos_weight=_values(o.get("pos_weight")),
            label_smoothing=o.get("label_smoothing") or 0.0, eps=o["eps"], reduction="none",
        )
    if m == "brier":
        return core.brier_score(target, outcome.inputs["pred"].values,
                                from_logits=o["logits"], normalize=o["normalize"],
                                ignore_index=o.get("ignore_index"), reduction="none")
    raise AssertionError(m)  # pragma: no cover


def _row_names(outcome: Outcome, n: int) -> list[str]:
    target = np.asarray(outcome.target) if outcome.target is not None else None
    names = []
    for r in range(n):
        if target is not None and outcome.class_indices:
            label = int(target.reshape(-1)[r])
            names.append(f"row {r} (class {label})")
        else:
            names.append(f"row {r}")
    return names


def _by_rows(outcome: Outcome, title: list[str]) -> list[str]:
    """Losses with options the breakdown lacks: each row's loss, then the mean."""
    losses = np.asarray(_row_losses(outcome), dtype=np.float64).reshape(-1)
    what = "labels" if outcome.measure == "bce" else "rows"
    lines = list(title)
    if outcome.measure == "bce" and outcome.options.get("label_smoothing"):
        e = outcome.options["label_smoothing"]
        lines.append(f"Label smoothing E = {fmt(e)}: each label becomes y · {fmt(1 - e)} "
                     f"+ {fmt(e / 2)} (1 → {fmt(1 - e / 2)}, 0 → {fmt(e / 2)})")
    unit = _unit(outcome)
    names = (_row_names(outcome, losses.size) if what == "rows"
             else [f"label {i}" for i in range(losses.size)])
    ignore = outcome.options.get("ignore_index")
    for r in range(min(losses.size, MAX_LINES)):
        skipped = "" if ignore is None or not names[r].endswith(f"(class {ignore})") else (
            "   (ignored)")
        lines.append(f"  {names[r]}: loss = {fmt(losses[r])}{unit}{skipped}")
    if losses.size > MAX_LINES:
        lines.append(f"  ... {losses.size - MAX_LINES} more")
    return lines + _mean_line(outcome, losses, what)


def _js(outcome: Outcome) -> list[str]:
    from xentcli.core.breakdown import kl_breakdown

    log = _log(outcome)
    unit = _unit(outcome) if outcome.unit else f" {_divergence_unit(outcome)}"
    p_vec, q_vec = outcome.inputs["p"].values, outcome.inputs["q"].values
    k = p_vec.shape[-1]
    p, q = _rows2(p_vec, k), _rows2(q_vec, k)
    if outcome.options.get("normalize"):
        p, q = p / p.sum(axis=1, keepdims=True), q / q.sum(axis=1, keepdims=True)
    lines = ["Jensen-Shannon divergence  JS(P, Q) = ½ D_KL(P || M) + ½ D_KL(Q || M)",
             "M = (P + Q) / 2 is the average of the two: where one has mass, M has too,",
             "so both divergences are finite and JS <= ln 2 nats (1 bit)."]
    rows = min(p.shape[0], EXPLAIN_ROWS)
    per_row = []
    for r in range(rows):
        if p.shape[0] > 1:
            lines += ["", f"Row {r}:"]
        m = (p[r] + q[r]) / 2
        lines.append("  M = (" + ", ".join(fmt(v) for v in m) + ")")
        halves = []
        for label, x in (("P", p[r]), ("Q", q[r])):
            b = kl_breakdown(x, m, base=outcome.base or "e", reduction="none")
            terms = b.terms.reshape(-1)
            lines.append(f"  D_KL({label} || M) = Σ x_i · {log}(x_i / m_i):")
            for i in range(min(k, MAX_LINES)):
                term = "0 (x_i = 0)" if x[i] == 0 else (
                    f"{fmt(x[i])} · {log}({fmt(x[i])} / {fmt(m[i])}) = {fmt(terms[i])}")
                lines.append(f"    i={i}: {term}")
            total = float(b.rows.reshape(-1)[0])
            halves.append(total)
            lines.append(f"    = {fmt(total)}{unit}")
        js = (halves[0] + halves[1]) / 2
        per_row.append(js)
        lines.append(f"  JS = ½ · {fmt(halves[0])} + ½ · {fmt(halves[1])} = {fmt(js)}{unit}")
    if p.shape[0] > rows:
        lines += ["", f"(the other {p.shape[0] - rows} rows are computed the same way)"]
    if outcome.options.get("distance"):
        lines.append("The Jensen-Shannon distance is its square root, a true metric:")
        lines += [f"  sqrt({fmt(js)}) = {fmt(np.sqrt(js))}" for js in per_row]
    if p.shape[0] > 1 and outcome.reduction in ("mean", "sum"):
        lines.append(f"{outcome.reduction} over the {p.shape[0]} rows = {fmt(outcome.value)}")
    return lines


def _divergence_unit(outcome: Outcome) -> str:
    from xentcli.core import resolve_base

    return resolve_base(outcome.base or "e")[1]


def _perplexity(outcome: Outcome) -> list[str]:
    nats = np.asarray(_row_losses(outcome), dtype=np.float64).reshape(-1)
    title = ["Perplexity  PPL = exp(H̄): H̄ is the mean cross-entropy per row, in nats.",
             "It is the number of equally likely classes the model is as unsure as."]
    lines = list(title)
    names = _row_names(outcome, nats.size)
    q = outcome.inputs["pred"].values
    indices = outcome.class_indices and not outcome.options.get("label_smoothing")
    for r in range(min(nats.size, MAX_LINES)):
        how = ""
        if indices and not outcome.options.get("logits") and q.ndim <= 2:
            label = int(np.asarray(outcome.target).reshape(-1)[r])
            row = q.reshape(-1, q.shape[-1])[r]
            if 0 <= label < row.size:
                how = f"-ln {fmt(row[label])} = "
        ignored = outcome.options.get("ignore_index")
        if ignored is not None and names[r].endswith(f"(class {ignored})"):
            lines.append(f"  {names[r]}: ignored")
            continue
        lines.append(f"  {names[r]}: H = {how}{fmt(nats[r])} nats")
    if nats.size > MAX_LINES:
        lines.append(f"  ... {nats.size - MAX_LINES} more")
    mean = float(np.log(outcome.value))
    held = Outcome(outcome.measure, mean, "nats", "e", "mean", outcome.inputs,
                   outcome.options, outcome.target)
    lines += [line.replace("mean over", "H̄ = mean over", 1) if line.startswith("mean")
              else line for line in _mean_line(held, nats)]
    lines.append(f"PPL = exp({fmt(mean)}) = {fmt(outcome.value)}")
    bits = outcome.extra.get("bits_per_token")
    if bits is not None:
        lines.append(f"Bits per token: H̄ / ln 2 = {fmt(bits)} bits (and 2^{fmt(bits)} = "
                     f"{fmt(outcome.value)}, the same perplexity)")
    return lines


def _sigmoid_focal(outcome: Outcome) -> list[str]:
    from xentcli.core.breakdown import sigmoid_focal_breakdown

    o = outcome.options
    log = _log(outcome)
    unit = _unit(outcome)
    y = np.asarray(outcome.target, dtype=np.float64).reshape(-1)
    # The core's own numbers: p (after the sigmoid), (1 - p_t)^γ, -log p_t and α_t.
    b = sigmoid_focal_breakdown(
        outcome.target, outcome.inputs["pred"].values, gamma=o["gamma"], alpha=o["alpha"],
        base=outcome.base or "e", from_logits=o["logits"], eps=o["eps"], reduction="none",
    )
    assert b.prob is not None and b.factor is not None and b.reference is not None
    p = b.prob.reshape(-1)
    factor = b.factor.reshape(-1)
    bce, alpha_t = b.reference[0].reshape(-1), b.reference[1].reshape(-1)
    losses = b.terms.reshape(-1)
    gamma, alpha = o["gamma"], o["alpha"]
    lines = [f"Sigmoid focal loss  FL = -α_t · (1 - p_t)^γ · {log} p_t, label by label",
             "p_t = p where y = 1 and 1 - p where y = 0 (the probability of the truth);",
             (f"α_t = {fmt(alpha)} where y = 1 and {fmt(1 - alpha)} where y = 0; "
              if alpha is not None else "no --alpha: α_t = 1; ") + f"γ = {fmt(gamma)}"]
    if o["logits"]:
        lines.append("PRED holds logits: p = sigmoid(z) = 1 / (1 + e^-z).")
    lines.append(f"Each label: α_t · (1 - p_t)^γ · (-{log} p_t):")
    for i in range(min(y.size, MAX_LINES)):
        head = f"  label {i}: y = {fmt(y[i])}, p = {fmt(p[i])}"
        if y[i] in (0, 1):
            pt = p[i] if y[i] == 1 else 1 - p[i]
            lines.append(f"{head}, p_t = {fmt(pt)}")
            lines.append(f"    {fmt(alpha_t[i])} · {fmt(factor[i])} · {fmt(bce[i])} = "
                         f"{fmt(losses[i])}{unit}")
        else:  # a soft label mixes both sides
            lines.append(f"{head}: a soft label, loss = {fmt(losses[i])}{unit}")
    if y.size > MAX_LINES:
        lines.append(f"  ... {y.size - MAX_LINES} more")
    lines += _mean_line(outcome, losses, "labels")
    lines.append("(1 - p_t)^γ shrinks the loss of labels already predicted well, so the "
                 "rare, hard ones count.")
    return lines


def _ece(outcome: Outcome) -> list[str]:
    from xentcli import core

    o = outcome.options
    bins = outcome.extra.get("calibration")
    assert bins is not None
    b_count = len(bins.counts)
    pred = outcome.inputs["pred"].values
    q = core.softmax(pred) if o["logits"] else np.asarray(pred, dtype=np.float64)
    k = q.shape[-1]
    q = q.reshape(-1, k)
    if o.get("normalize"):
        q = q / q.sum(axis=1, keepdims=True)
    target = np.asarray(outcome.target)
    labels = (target.reshape(-1).astype(np.int64) if outcome.class_indices
              else np.argmax(target.reshape(-1, k), axis=1))
    width = 1 / b_count
    lines = [f"Expected calibration error with {b_count} bins of width {fmt(width)}, "
             "(lo, hi]:",
             "each row's confidence is its largest probability, and the row is right",
             "when that class is the target."]
    ignore = o.get("ignore_index")
    for r in range(min(q.shape[0], MAX_LINES)):
        if ignore is not None and labels[r] == ignore:
            lines.append(f"  row {r}: class {ignore}, ignored")
            continue
        top = int(np.argmax(q[r]))
        verdict = "right" if top == labels[r] else "wrong"
        lines.append(f"  row {r}: confidence {fmt(q[r, top])} (class {top}), target "
                     f"{labels[r]}: {verdict}")
    if q.shape[0] > MAX_LINES:
        lines.append(f"  ... {q.shape[0] - MAX_LINES} more")
    n = bins.counts.sum()
    lines += ["", "  bin            rows   accuracy   confidence   |acc - conf|"]
    parts = []
    for b in range(b_count):
        rows = int(bins.counts[b])
        if not rows:
            continue
        acc, conf = bins.correct[b] / rows, bins.confidence[b] / rows
        lo, hi = b * width, (b + 1) * width
        span = f"({fmt(lo)}, {fmt(hi)}]"
        lines.append(f"  {span:<14} {rows:>4}   {fmt(acc):>8}   {fmt(conf):>10}   "
                     f"{fmt(abs(acc - conf)):>12}")
        parts.append(f"{rows}·{fmt(abs(acc - conf))}")
    expr = " + ".join(parts)
    line = f"ECE = Σ_b n_b · |acc_b - conf_b| / N = ({expr}) / {int(n)} = {fmt(outcome.value)}"
    lines += ["", line if len(line) <= 80 else f"ECE = Σ_b (n_b / N) · |acc_b - conf_b| "
              f"= {fmt(outcome.value)}"]
    lines.append("0 is perfectly calibrated: in every bin, as many right as confident.")
    return lines


def _brier(outcome: Outcome) -> list[str]:
    from xentcli import core

    o = outcome.options
    pred = outcome.inputs["pred"].values
    q = core.softmax(pred) if o["logits"] else np.asarray(pred, dtype=np.float64)
    k = q.shape[-1]
    q = q.reshape(-1, k)
    if o.get("normalize"):
        q = q / q.sum(axis=1, keepdims=True)
    per_row = np.asarray(_row_losses(outcome), dtype=np.float64).reshape(-1)
    target = np.asarray(outcome.target)
    lines = ["Brier score  BS = Σ_k (q_k - y_k)² per row: the squared distance from the",
             "prediction to the target (one-hot for a class index)."]
    ignore = o.get("ignore_index")
    for r in range(min(q.shape[0], EXPLAIN_ROWS)):
        if outcome.class_indices:
            label = int(target.reshape(-1)[r])
            if ignore is not None and label == ignore:
                lines.append(f"  row {r}: class {ignore}, ignored")
                continue
            y = np.zeros(k)
            y[label] = 1
            lines.append(f"  row {r}: y = one-hot of class {label}")
        else:
            y = target.reshape(-1, k)[r]
            lines.append(f"  row {r}: y = (" + ", ".join(fmt(v) for v in y) + ")")
        squares = " + ".join(f"({fmt(a)} - {fmt(b)})²" for a, b in zip(q[r], y, strict=True))
        lines.append(f"    {squares} = {fmt(per_row[r])}" if k <= 6 else
                     f"    Σ_k (q_k - y_k)² = {fmt(per_row[r])}")
    if q.shape[0] > EXPLAIN_ROWS:
        lines.append(f"  (the other {q.shape[0] - EXPLAIN_ROWS} rows the same way)")
    lines += _mean_line(outcome, per_row)
    lines.append("0 is a sure, right answer; 2 a sure, wrong one.")
    return lines


def _grad(outcome: Outcome) -> list[str]:
    value = np.asarray(outcome.value, dtype=np.float64)
    rows = value.reshape(-1, value.shape[-1]) if value.ndim else value.reshape(1, 1)
    ignore = outcome.options.get("ignore_index")
    lines = ["Gradient of the cross-entropy  dH/dz_i = softmax(z)_i - y_i, row by row",
             f"Rows whose class is {ignore} are ignored: their gradient is 0."]
    names = _row_names(outcome, rows.shape[0])
    for r in range(min(rows.shape[0], MAX_LINES)):
        lines.append(f"  {names[r]}: (" + ", ".join(fmt(v) for v in rows[r]) + ")")
    if rows.shape[0] > MAX_LINES:
        lines.append(f"  ... {rows.shape[0] - MAX_LINES} more")
    if outcome.reduction == "mean":
        lines.append("--reduction mean: the gradient of the mean loss, each row divided by "
                     "the rows kept.")
    return lines


def worked(outcome: Outcome) -> list[str]:
    """The worked solution, without the result line (the caller adds it)."""
    m = outcome.measure
    if m == "js":
        return _js(outcome)
    if m == "perplexity":
        return _perplexity(outcome)
    if m == "sigmoid-focal":
        return _sigmoid_focal(outcome)
    if m == "ece":
        return _ece(outcome)
    if m == "brier":
        return _brier(outcome)
    if m == "grad":
        return _grad(outcome)
    titles = {
        "cross-entropy": "Cross-entropy  H(y, q) = -Σ y_i · log q_i, row by row",
        "focal": "Focal loss  -Σ α_i y_i (1 - q_i)^γ log q_i, row by row",
        "kl": "KL divergence  D_KL(P || Q) = Σ p_i · log(p_i / q_i), row by row",
        "bce": "Binary cross-entropy  -[y log p + (1 - y) log(1 - p)], label by label",
    }
    return _by_rows(outcome, [titles[m]])

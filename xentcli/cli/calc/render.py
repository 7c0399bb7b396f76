"""Showing a calculator result: the human view (Rich), ``--json`` and ``-q``.

``-q`` and ``--json`` write plain text to stdout and never import Rich; the
human view goes through :func:`xentcli.cli.console.out_console`, which drops
colour when stdout is not a terminal or ``NO_COLOR`` is set.

JSON is strict (RFC 8259): an infinite value is written as the string
``"Infinity"`` or ``"-Infinity"``, which ``float()`` reads back.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import numpy as np

from xentcli.cli.calc.format import fmt, json_numbers, quiet_number, singular

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from xentcli.cli.calc.outcome import Outcome

#: Rows shown by the human view before it points to -q / --json.
SHOWN_ROWS = 20
#: Longest list that gets a per-class table.
TABLE_CLASSES = 12


def write_quiet(outcome: Outcome) -> None:
    """The bare value: one number; a list space-separated; a batch one row per line."""
    value = np.asarray(outcome.value, dtype=np.float64)
    if value.ndim == 0:
        sys.stdout.write(quiet_number(value) + "\n")
    else:
        rows = value.reshape(-1, value.shape[-1]) if value.ndim > 1 else value.reshape(1, -1)
        sys.stdout.writelines(" ".join(map(quiet_number, row)) + "\n" for row in rows)
    sys.stdout.flush()


def json_object(outcome: Outcome) -> dict[str, Any]:
    """The result as a JSON-ready dict (see the module docstring for infinities)."""
    obj: dict[str, Any] = {"measure": outcome.measure, "value": json_numbers(outcome.value)}
    if outcome.unit is not None:
        obj["unit"] = outcome.unit
        obj["base"] = outcome.base
    elif outcome.base is not None:  # the JS distance: a base but no unit
        obj["base"] = outcome.base
    if outcome.reduction is not None:
        obj["reduction"] = outcome.reduction
    inputs: dict[str, Any] = {}
    for name, vector in outcome.inputs.items():
        if name == "target" and outcome.class_indices:
            indices = np.asarray(outcome.target)
            inputs[name] = int(indices) if indices.ndim == 0 else (
                vector.echo() if vector.whole is not None
                or (not vector.from_text and indices.size > 1000)
                else [int(i) for i in indices]
            )
        else:
            inputs[name] = vector.echo()
    obj["inputs"] = inputs
    if outcome.options:
        obj["options"] = {
            key: (value.echo() if hasattr(value, "echo") else value)
            for key, value in outcome.options.items()
        }
    b = outcome.breakdown
    if b is not None and not outcome.is_list and b.terms.shape[0] == 1:
        obj["terms"] = json_numbers(b.terms[0])
        if "terms_weights_divided_by" in outcome.extra:  # huge weights: see add_notes
            obj["terms_weights_divided_by"] = outcome.extra["terms_weights_divided_by"]
    if "bits_per_token" in outcome.extra:
        obj["bits_per_token"] = json_numbers(outcome.extra["bits_per_token"])
    if "calibration" in outcome.extra:
        obj["bins"] = bins_object(outcome.extra["calibration"])
    return obj


def bins_object(calibration: Any) -> list[dict[str, Any]]:
    """ECE's bins for JSON: each bin's range, rows, accuracy and mean confidence."""
    edges = np.linspace(0.0, 1.0, len(calibration.counts) + 1)
    out = []
    for b, n in enumerate(calibration.counts):
        rows = int(n)
        out.append({
            "lo": float(edges[b]), "hi": float(edges[b + 1]), "rows": rows,
            "accuracy": float(calibration.correct[b] / n) if rows else None,
            "confidence": float(calibration.confidence[b] / n) if rows else None,
        })
    return out


def write_json(outcome: Outcome) -> None:
    """One strict JSON object on one line."""
    import json

    text = json.dumps(json_object(outcome), allow_nan=False, ensure_ascii=False)
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


# ---------------------------------------------------------------------- human view


def result_console() -> Console:
    """The stdout console (plain under ``NO_COLOR``: see :mod:`xentcli.cli.console`)."""
    from xentcli.cli.console import out_console

    return out_console()


def _dim(console: Console) -> str:
    return "" if console.color_system is None else "dim"


def headline(outcome: Outcome) -> Text:
    """``cross-entropy  H(TARGET, PRED) = 0.356675 nats``, the value in bold."""
    from rich.text import Text

    line = Text(f"{outcome.title}  ")
    value = np.asarray(outcome.value)
    line.append(f"{outcome.symbol} = ")
    unit = f" {outcome.unit}" if outcome.unit else ""
    line.append(singular(fmt(value) + unit), style="bold")
    rows = outcome.rows
    if rows > 1 and outcome.reduction in ("mean", "sum"):
        # BCE reduces over every label, not over rows.
        over = (f"{outcome.elements} labels" if outcome.measure == "bce"
                else f"{rows} rows")
        line.append(f"   ({outcome.reduction} over {over})", style="dim")
    return line


def _columns(outcome: Outcome) -> tuple[list[str], list[list[float]]]:
    """Header and columns of the per-class table of a one-row result."""
    from xentcli.core.breakdown import log_name

    m = outcome.measure
    if m == "surprisal":
        from xentcli.core import resolve_base

        log = log_name(resolve_base(outcome.base or "e")[0])
        p = outcome.inputs["p"].values.reshape(-1).tolist()
        return ["p_i", f"-{log} p_i"], [p, np.asarray(outcome.value).reshape(-1).tolist()]
    b = outcome.breakdown
    assert b is not None
    log = log_name(b.ln_base)
    cols: list[tuple[str, Any]] = []
    if m == "entropy":
        cols = [("p_i", b.target), (f"-p_i·{log} p_i", b.terms)]
    elif m in ("softmax", "log-softmax"):
        cols = [("z_i", b.logits), ("q_i", b.prob)]
        if m == "log-softmax":
            cols.append(("ln q_i", b.log_prob))
    elif m == "kl":
        cols = [("p_i", b.target)]
        if b.logits is not None:
            cols.append(("logit", b.logits))
        cols += [("q_i", b.prob), (f"p_i·{log}(p_i/q_i)", b.terms)]
    elif m == "bce":
        if b.logits is not None:
            cols.append(("logit", b.logits))
        cols += [("y", b.target), ("p", b.prob), ("loss", b.terms)]
    elif m == "grad":
        cols = [("z_i", b.logits), ("q_i", b.prob), ("y_i", b.target), ("q_i - y_i", b.terms)]
    else:  # cross-entropy, focal
        cols = [("y_i", b.target)]
        if b.logits is not None:
            cols.append(("z_i", b.logits))
        cols.append(("q_i", b.prob))
        if m == "focal":
            cols.append(("(1-q_i)^γ", b.factor))
        if b.weights is not None:
            weights = np.broadcast_to(b.weights, b.terms.shape)
            cols.append(("α_i" if m == "focal" else "w_i", weights))
        if m == "focal":
            cols.append(("term", b.terms))
        else:
            w = "w_i·" if b.weights is not None else ""
            cols.append((f"-{w}y_i·{log} q_i", b.terms))
    return [name for name, _ in cols], [np.asarray(c)[0].tolist() for _, c in cols]


def _class_table(outcome: Outcome) -> Any:
    from rich import box
    from rich.table import Table

    names, columns = _columns(outcome)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("class", justify="right")
    for name in names:
        table.add_column(name, justify="right")
    table.columns[0].header = "label" if outcome.measure == "bce" else "class"
    for i, row in enumerate(zip(*columns, strict=True)):
        table.add_row(str(i), *(fmt(v) for v in row))
    return table


def _list_table(values: Any, label: str) -> Any:
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column(label, justify="right")
    table.add_column("value", justify="right")
    for i, v in enumerate(values[:SHOWN_ROWS]):
        table.add_row(str(i), fmt(v))
    return table


def write_human(outcome: Outcome) -> None:
    """The result for people: the value (or list) with its unit, and a small table."""
    from rich.text import Text

    console = result_console()
    value = np.asarray(outcome.value, dtype=np.float64)
    unit = f" {outcome.unit}" if outcome.unit else ""
    if value.ndim == 0:
        console.print(headline(outcome))
        b = outcome.breakdown
        if b is not None and b.terms.shape[0] == 1:
            console.print()
            console.print(_class_table(outcome))
            if b.row_weight is not None and outcome.reduction == "mean" and (
                outcome.measure == "cross-entropy"
            ):
                console.print(
                    f"(weighted mean: the terms' sum {fmt(b.rows[0])} divided by "
                    f"Σ w_i·y_i = {fmt(b.row_weight[0])})", style=_dim(console), markup=False,
                )
        return
    title = Text(f"{outcome.title}  {outcome.symbol}")
    if outcome.measure == "grad":
        unit = ""  # a gradient has no unit of its own; the loss has
    if outcome.is_list and value.ndim == 1:
        title.append(" = ")
        title.append(_inline_list(value) + unit, style="bold")
        loss_unit = f"(loss in {outcome.unit})" if outcome.measure == "grad" else ""
        if loss_unit and len(title.plain) + 3 + len(loss_unit) <= console.width:
            title.append(f"   {loss_unit}", style="dim")
            loss_unit = ""
        console.print(title, soft_wrap=False)
        if loss_unit:  # on its own line rather than broken in two by the wrap
            console.print(loss_unit, style=_dim(console), markup=False)
        if outcome.breakdown is not None or (
            outcome.measure == "surprisal" and value.size <= TABLE_CLASSES
        ):
            console.print()
            console.print(_class_table(outcome))
        return
    if outcome.measure == "bce" and value.ndim == 1:
        # --reduction none on one row: a loss per label, not per row.
        title.append(f"   (one value per label, in {outcome.unit})", style="dim")
        console.print(title)
        console.print(_list_table(value, "label"))
        return
    if outcome.is_list or outcome.measure == "bce":
        per = "one value per label, " if outcome.measure == "bce" else ""
        title.append(
            f"   ({per}{value.shape[0]} rows{', in ' + unit.strip() if unit else ''})",
            style="dim",
        )
        console.print(title)
        for row in value[:SHOWN_ROWS].reshape(-1, value.shape[-1])[:SHOWN_ROWS]:
            console.print(_inline_list(row), soft_wrap=False)
    else:
        title.append(f"   (one value per row, in {outcome.unit})", style="dim")
        console.print(title)
        console.print(_list_table(value.reshape(-1), "row"))
    if value.shape[0] > SHOWN_ROWS:
        console.print(
            f"... {value.shape[0] - SHOWN_ROWS} more rows: use -q or --json to see them all",
            style="dim", markup=False,
        )


def _inline_list(values: Any) -> str:
    text = "[" + ", ".join(fmt(v) for v in values) + "]"
    return text if len(text) <= 200 else text[:197] + "..."

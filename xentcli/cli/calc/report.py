"""``xent eval``: the report on a classifier's predictions, block by block.

Every number of the report is a sum that adds across blocks of rows: the
cross-entropy and the Brier score (``reduction="sum"``), the rows kept
(:func:`~xentcli.core.mean_denominator`) and the calibration bins
(:func:`~xentcli.core.calibration_bins`: counts, confidence sums, right
answers), from which accuracy and ECE follow. So a file of any size is read
once, in flat memory.

Written as a table (with a reliability diagram at a terminal), or with
``--json`` as one strict JSON object.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import numpy as np

from xentcli.cli.calc import hints
from xentcli.cli.calc.format import fmt, json_numbers
from xentcli.cli.calc.inputs import Vector, parse_number, parse_vector, target_for
from xentcli.cli.calc.reader import open_rows
from xentcli.cli.calc.render import bins_object
from xentcli.cli.calc.stream import CHUNK_VALUES, located
from xentcli.errors import InputError

__all__ = ["Report", "evaluate_report", "run_report"]


@dataclass
class Report:
    """The sums behind the report, and what they give."""

    rows: int
    kept: float
    classes: int
    nll_sum: float
    brier_sum: float
    calibration: Any

    @property
    def ignored(self) -> int:
        return self.rows - int(self.kept)

    @property
    def nll(self) -> float:
        return self.nll_sum / self.kept

    @property
    def accuracy(self) -> float:
        return float(self.calibration.accuracy())

    @property
    def perplexity(self) -> float:
        return math.exp(self.nll) if self.nll < 709.78 else math.inf

    @property
    def brier(self) -> float:
        return self.brier_sum / self.kept

    @property
    def ece(self) -> float:
        return float(self.calibration.ece())


def _blocks(args: dict[str, Any]) -> Iterator[tuple[Vector, Vector, int]]:
    """(TARGET block, PRED block, first row) over the whole input."""
    sources = {"target": "TARGET", "pred": "PRED"}
    if not all(args[k].startswith("@") or args[k] == "-" for k in sources):
        t, p = parse_vector(args["target"], "TARGET"), parse_vector(args["pred"], "PRED")
        yield t, p, 0
        return
    if args["target"] == "-" and args["pred"] == "-":
        raise InputError("only one argument can be read from standard input: "
                         "TARGET and PRED are both -")
    with ExitStack() as stack:
        rows = {}
        for key, name in sources.items():
            rows[key] = open_rows(args[key], name)
            stack.callback(rows[key].close)
        n = max(1, CHUNK_VALUES // max(rows["pred"].width(), 1))
        first = 0
        while True:
            t_block, p_block = rows["target"].take(n), rows["pred"].take(n)
            if len(t_block) != len(p_block):
                short, other = ("TARGET", "PRED") if len(t_block) < len(p_block) else (
                    "PRED", "TARGET")
                taken = rows["target" if short == "TARGET" else "pred"].taken
                raise InputError(f"{short} has {taken} rows but {other} has more")
            if not len(p_block):
                if first == 0:
                    raise InputError(f"PRED: {rows['pred'].source} holds no numbers")
                return
            yield (Vector("TARGET", args["target"], t_block),
                   Vector("PRED", args["pred"], p_block), first)
            first += len(p_block)


def evaluate_report(args: dict[str, Any]) -> Report:
    """Read TARGET and PRED (block by block) and add up the report's sums."""
    from xentcli import core

    given = parse_number(args["bins"], "--bins") if isinstance(args["bins"], str) else (
        args["bins"])
    bins: Any = int(given) if float(given).is_integer() else given  # the core names a bad one
    ignore = args.get("ignore_index")
    if isinstance(ignore, str):
        value = parse_number(ignore, "--ignore-index")
        if not float(value).is_integer():
            raise InputError(f"--ignore-index must be a whole number; got {value:g}")
        ignore = int(value)
    logits, normalize = bool(args["logits"]), bool(args.get("normalize"))
    rows, kept, nll, brier = 0, 0.0, 0.0, 0.0
    calibration: Any = None
    classes = 0
    for t, p, first in _blocks(args):
        if p.values.ndim == 0 or p.values.shape[-1] < 2:
            raise InputError("PRED needs one probability per class (at least 2) in each row")
        target = target_for(t, p)
        try:
            # The kernels from logits: the NLL through log-softmax, never log(softmax).
            nll += float(core.cross_entropy(target, p.values, from_logits=logits,
                                            normalize=normalize, ignore_index=ignore,
                                            reduction="sum"))
            q = core.softmax(p.values) if logits else p.values
            brier += float(core.brier_score(target, q, normalize=normalize,
                                            ignore_index=ignore, reduction="sum"))
            block_bins = core.calibration_bins(target, q, bins=bins, normalize=normalize,
                                               ignore_index=ignore)
            kept += float(core.mean_denominator(target, p.values, ignore_index=ignore))
        except InputError as exc:
            message = str(exc)
            hint = None
            if not logits and message.startswith("PRED "):
                hint = hints.logits_hint("PRED", p.values, first, message)
            raise InputError(hint or located(message, first)) from None
        calibration = block_bins if calibration is None else calibration + block_bins
        rows += 1 if p.values.ndim == 1 else int(p.values.shape[0])
        classes = int(p.values.shape[-1])
    if kept == 0:
        raise InputError("every row's target is the ignore index: there is nothing to evaluate")
    return Report(rows, kept, classes, nll, brier, calibration)


def report_object(report: Report, args: dict[str, Any]) -> dict[str, Any]:
    """The report as strict JSON: infinities as "Infinity" (as ``xent calc``)."""
    return {
        "rows": report.rows,
        "ignored": report.ignored,
        "classes": report.classes,
        "accuracy": report.accuracy,
        "nll": {"nats": json_numbers(report.nll), "bits": json_numbers(report.nll / math.log(2))},
        "perplexity": json_numbers(report.perplexity),
        "brier": report.brier,
        "ece": report.ece,
        "bins": bins_object(report.calibration),
        "inputs": {"target": args["target"], "pred": args["pred"]},
        "options": {"logits": bool(args["logits"]), "ignore_index": args.get("ignore_index"),
                    "normalize": bool(args.get("normalize"))},
    }


def _lines(report: Report) -> list[str]:
    ignored = f"   ({report.ignored} ignored)" if report.ignored else ""
    bits = report.nll / math.log(2)
    return [
        f"rows         {report.rows}{ignored}",
        f"classes      {report.classes}",
        f"accuracy     {fmt(report.accuracy)}   ({report.accuracy * 100:.2f} %)",
        f"NLL          {fmt(report.nll)} nats   {fmt(bits)} bits   (mean per row)",
        f"perplexity   {fmt(report.perplexity)}",
        f"Brier        {fmt(report.brier)}",
        f"ECE          {fmt(report.ece)}   ({len(report.calibration.counts)} bins)",
    ]


def reliability_chart(report: Report) -> Any:
    """Accuracy against confidence per bin, beside the diagonal of perfect calibration."""
    from xentcli.cli.plotting import Chart, Series

    c = report.calibration
    full = c.counts > 0
    conf = (c.confidence[full] / c.counts[full]).tolist()
    acc = (c.correct[full] / c.counts[full]).tolist()
    return Chart(
        "Reliability: accuracy per confidence bin", "confidence", "accuracy",
        [Series("model", conf, acc, marker="hd"),
         Series("calibrated", [0.0, 1.0], [0.0, 1.0], marker="braille")],
        xlim=(0.0, 1.0), ylim=(0.0, 1.0), legend="top-left",
    )


def at_terminal() -> bool:
    """True when a person reads stdout (a terminal, not a pipe or a file)."""
    return sys.stdout.isatty()


def run_report(args: dict[str, Any]) -> None:
    """``xent eval``: compute the report and write it."""
    from xentcli.cli.progress import reading_progress

    with reading_progress(quiet=False):  # a bar on stderr while large files are read
        report = evaluate_report(args)
    if args.get("json"):
        import json

        sys.stdout.write(json.dumps(report_object(report, args), allow_nan=False) + "\n")
        sys.stdout.flush()
        return
    from xentcli.cli.console import out_console

    console = out_console()
    for line in _lines(report):
        console.print(line, markup=False, highlight=False)
    # The diagram only for a person at a terminal: never piped, never in JSON.
    if at_terminal() and np.any(report.calibration.counts):
        from xentcli.cli.plotting import render_chart

        console.print()
        colour = console.color_system is not None
        width = min(console.width, 80) - 2
        text = render_chart(reliability_chart(report), width=width, height=18, colour=colour)
        sys.stdout.write(text + "\n")
    sys.stdout.flush()

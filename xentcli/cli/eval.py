"""`xent eval`: one report on a classifier's predictions.

Declarations only (Typer); the report is computed and written by
:mod:`xentcli.cli.calc.report`, imported when the command runs.
"""

from __future__ import annotations

from typing import Annotated

import typer

from xentcli.cli.calc.group import NumbersCommand
from xentcli.cli.calc.params import (
    BinsOpt,
    IgnoreIndexOpt,
    JsonOpt,
    LogitsOpt,
    NormalizeOpt,
    PredArg,
)

_VECTOR = "0;2;1 | @file | -"


def eval_command(
    target: Annotated[
        str,
        typer.Argument(metavar="TARGET",
                       help=f"The true class of each row (or a distribution per row): {_VECTOR}.",
                       show_default=False),
    ],
    pred: PredArg,
    logits: LogitsOpt = False,
    bins: BinsOpt = "15",
    ignore_index: IgnoreIndexOpt = None,
    normalize: NormalizeOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Evaluate predictions: accuracy, NLL, perplexity, Brier score, calibration.

    TARGET holds one class index per row (labels), PRED one row of
    probabilities (or logits with --logits) per sample. The report gives the
    rows, classes, top-1 accuracy, the mean negative log-likelihood in nats
    and bits, the perplexity exp(NLL), the Brier score and the expected
    calibration error over B bins; at a terminal, also a reliability diagram.
    Files of any size are read in blocks, in flat memory.

    Example: xent eval @labels.npy @logits.npy --logits
    """
    from xentcli.cli.calc.report import run_report

    run_report({"target": target, "pred": pred, "logits": logits, "bins": bins,
                "ignore_index": ignore_index, "normalize": normalize, "json": json_out})


def register(app: typer.Typer) -> None:
    """Add ``xent eval`` to the root app."""
    app.command("eval", cls=NumbersCommand)(eval_command)

"""The calculator's arguments and options, declared once for every command.

Numbers are taken as text and read by the calculator's own parser, so that
fractions work (``--label-smoothing 1/10``) and a bad value is named in the
error. Light: Typer only.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer


class Reduction(str, Enum):
    mean = "mean"
    sum = "sum"
    none = "none"


_VECTOR = "0.2,0.3,0.5 | @file | -"

# Arguments -----------------------------------------------------------------------
PArg = Annotated[
    str, typer.Argument(metavar="P", help=f"The distribution P: {_VECTOR}.", show_default=False)
]
QArg = Annotated[
    str,
    typer.Argument(
        metavar="Q", help=f"The distribution Q (or logits with --logits): {_VECTOR}.",
        show_default=False,
    ),
]
TargetArg = Annotated[
    str,
    typer.Argument(
        metavar="TARGET",
        help=f"True distribution ({_VECTOR}), or a class index like 2 (one per row in a file).",
        show_default=False,
    ),
]
LabelsArg = Annotated[
    str,
    typer.Argument(
        metavar="TARGET", help=f"Labels in [0, 1], one per element of PRED: {_VECTOR}.",
        show_default=False,
    ),
]
PredArg = Annotated[
    str,
    typer.Argument(
        metavar="PRED", help=f"Predicted probabilities (or logits with --logits): {_VECTOR}.",
        show_default=False,
    ),
]
ZArg = Annotated[
    str, typer.Argument(metavar="Z", help=f"Logits: {_VECTOR}.", show_default=False)
]

# Options ---------------------------------------------------------------------------
# Numbers are taken as text and read by the calculator's own parser, so that
# fractions work (--label-smoothing 1/10) and a bad value is named in the error.
BaseOpt = Annotated[
    str,
    typer.Option(
        "--base", "-b", metavar="BASE",
        help="Log base: e (nats), 2 (bits), 10 (bans), or any positive number but 1.",
    ),
]
LogitsOpt = Annotated[
    bool,
    typer.Option("--logits", help="The prediction holds logits: softmax is applied inside."),
]
SigmoidLogitsOpt = Annotated[
    bool,
    typer.Option("--logits", help="PRED holds logits: the sigmoid is applied inside, stably."),
]
WeightsOpt = Annotated[
    str | None,
    typer.Option("--weights", metavar="W", help="Per-class weights w_i: 1,2,1 (or @file).",
                 show_default=False),
]
SmoothingOpt = Annotated[
    str,
    typer.Option("--label-smoothing", metavar="E",
                 help="Label smoothing: the target becomes (1 - E) y + E/K."),
]
GammaOpt = Annotated[str, typer.Option("--gamma", metavar="G", help="Focusing parameter, >= 0.")]
AlphaOpt = Annotated[
    str | None,
    typer.Option("--alpha", metavar="A",
                 help="Class balance: one number, or one per class (0.25,0.75).",
                 show_default=False),
]
PosWeightOpt = Annotated[
    str | None,
    typer.Option("--pos-weight", metavar="W",
                 help="Weight of the positive term: one number, or one per label.",
                 show_default=False),
]
EpsOpt = Annotated[
    str | None,
    typer.Option("--eps", metavar="E",
                 help="Clip predicted probabilities to [E, 1 - E]. Default: no clipping.",
                 show_default=False),
]
NormalizeOpt = Annotated[
    bool, typer.Option("--normalize", help="Rescale rows that do not sum to 1.")
]
ReductionOpt = Annotated[
    Reduction,
    typer.Option("--reduction", "-r", help="How rows (samples) are combined."),
]
ElementReductionOpt = Annotated[
    Reduction,
    typer.Option("--reduction", "-r", help="How the losses of all elements are combined."),
]
IgnoreIndexOpt = Annotated[
    str | None,
    typer.Option("--ignore-index", metavar="I",
                 help="Rows whose class index is I leave the loss and the mean (padding).",
                 show_default=False),
]
SampleWeightsOpt = Annotated[
    str | None,
    typer.Option("--sample-weights", metavar="S",
                 help="One weight per row (or @file): the mean is Σ s_n l_n / Σ s_n.",
                 show_default=False),
]
BinarySmoothingOpt = Annotated[
    str,
    typer.Option("--label-smoothing", metavar="E",
                 help="Label smoothing: each label becomes y (1 - E) + E/2."),
]
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print one JSON object (strict: no NaN/Infinity literals).")
]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="Print the bare value only, for scripts.")
]
ExplainOpt = Annotated[
    bool, typer.Option("--explain", help="Show the worked solution, step by step.")
]
PlotOpt = Annotated[
    bool, typer.Option("--plot", help="Draw the distributions as bars under the result.")
]

BinsOpt = Annotated[
    str, typer.Option("--bins", metavar="B", help="Equal-width confidence bins (lo, hi].")
]

"""`xent calc`: the calculator's commands and options.

This module only declares the interface (Typer reads it to build the help);
it imports nothing heavy. Each command hands its arguments to
:func:`xentcli.cli.calc.run.run`, imported when the command runs, which parses
the vectors, calls the core and renders the result.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import typer

from xentcli.cli.calc.group import CalcGroup, NumbersCommand

#: The calculator's commands are declared on this app; the `calc` group below
#: builds each one only when it is used (see CalcGroup).
commands = typer.Typer()


class _CalcGroup(CalcGroup):
    declared = commands


calc_app = typer.Typer(
    name="calc",
    cls=_CalcGroup,
    help=(
        "Calculator: entropy, cross-entropy, KL, BCE, focal loss, softmax, gradient.\n\n"
        "Vectors are typed as 0.2,0.3,0.5 (or \"0.2 0.3 0.5\", \"[0.2, 0.3, 0.5]\", "
        "fractions like 1/6), or read with @file (CSV, TSV, text, .npy) or - (stdin); "
        "rows are samples. The target comes first, the prediction second, as in "
        "H(p,q) and D_KL(p||q).\n\n"
        "Try: xent calc ce 0,0,1 0.1,0.2,0.7 --explain"
    ),
    no_args_is_help=True,
)


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


def _run(measure: str, **arguments: Any) -> None:
    from xentcli.cli.calc.run import run

    run(measure, arguments)


# Commands --------------------------------------------------------------------------


@commands.command("entropy", cls=NumbersCommand)
def entropy_command(
    p: PArg,
    base: BaseOpt = "e",
    normalize: NormalizeOpt = False,
    reduction: ReductionOpt = Reduction.mean,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
    explain: ExplainOpt = False,
    plot: PlotOpt = False,
) -> None:
    """Entropy  H(P) = -Σ p_i log p_i  (0 log 0 = 0).

    The average surprisal of an outcome drawn from P: 0 for a certain outcome,
    log K for K equally likely ones.

    Example: xent calc entropy 0.2,0.3,0.5 --base 2
    """
    _run("entropy", p=p, base=base, normalize=normalize, reduction=reduction.value,
         json=json_out, quiet=quiet, explain=explain, plot=plot)


@commands.command("surprisal", cls=NumbersCommand)
def surprisal_command(
    p: Annotated[
        str,
        typer.Argument(metavar="P", help=f"Probabilities in [0, 1]: {_VECTOR}.",
                       show_default=False),
    ],
    base: BaseOpt = "e",
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
    explain: ExplainOpt = False,
) -> None:
    """Surprisal  I(p) = -log p  of each probability (a list).

    How surprising an outcome of probability p is: p = 0.5 is 1 bit.

    Example: xent calc surprisal 0.5,0.25,0.001 --base 2
    """
    _run("surprisal", p=p, base=base, json=json_out, quiet=quiet, explain=explain)


def cross_entropy_command(
    target: TargetArg,
    pred: PredArg,
    base: BaseOpt = "e",
    logits: LogitsOpt = False,
    weights: WeightsOpt = None,
    label_smoothing: SmoothingOpt = "0",
    eps: EpsOpt = None,
    normalize: NormalizeOpt = False,
    reduction: ReductionOpt = Reduction.mean,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
    explain: ExplainOpt = False,
    plot: PlotOpt = False,
) -> None:
    """Cross-entropy  H(TARGET, PRED) = -Σ y_i log q_i  (alias: ce).

    TARGET (y) first, PRED (q) second. With a one-hot target, or a class index,
    it is -log q of the true class. With --weights: -Σ w_i y_i log q_i.

    Example: xent calc ce 2 0.1,0.2,0.7   (class 2; same as 0,0,1)
    """
    _run("cross-entropy", target=target, pred=pred, base=base, logits=logits,
         weights=weights, label_smoothing=label_smoothing, eps=eps, normalize=normalize,
         reduction=reduction.value, json=json_out, quiet=quiet, explain=explain, plot=plot)


commands.command("cross-entropy", cls=NumbersCommand)(cross_entropy_command)
commands.command(
    "ce", cls=NumbersCommand, short_help="Alias of cross-entropy: H(TARGET, PRED)."
)(cross_entropy_command)


@commands.command(
    "kl", cls=NumbersCommand, short_help="KL divergence D_KL(P || Q) = Σ p_i log(p_i / q_i)."
)
def kl_command(
    p: PArg,
    q: QArg,
    base: BaseOpt = "e",
    logits: LogitsOpt = False,
    eps: EpsOpt = None,
    normalize: NormalizeOpt = False,
    reduction: ReductionOpt = Reduction.mean,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
    explain: ExplainOpt = False,
    plot: PlotOpt = False,
) -> None:
    """KL divergence  D_KL(P || Q) = Σ p_i log(p_i / q_i) = H(P, Q) - H(P).

    P (the truth) first, Q (the approximation) second; not symmetric, >= 0.

    Example: xent calc kl 0.2,0.3,0.5 0.1,0.2,0.7
    """
    _run("kl", p=p, q=q, base=base, logits=logits, eps=eps, normalize=normalize,
         reduction=reduction.value, json=json_out, quiet=quiet, explain=explain, plot=plot)


@commands.command(
    "bce", cls=NumbersCommand, short_help="Binary cross-entropy -[y log p + (1-y) log(1-p)]."
)
def bce_command(
    target: LabelsArg,
    pred: Annotated[
        str,
        typer.Argument(metavar="PRED",
                       help=f"Probabilities p of label 1 (or logits with --logits): {_VECTOR}.",
                       show_default=False),
    ],
    base: BaseOpt = "e",
    logits: SigmoidLogitsOpt = False,
    pos_weight: PosWeightOpt = None,
    eps: EpsOpt = None,
    reduction: ElementReductionOpt = Reduction.mean,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
    explain: ExplainOpt = False,
) -> None:
    """Binary cross-entropy  -[y log p + (1 - y) log(1 - p)], element by element.

    TARGET (y) first, PRED (p) second. Each element is its own yes/no label,
    as in a multi-label output; --reduction mean or sum runs over all elements.

    \b
    With --pos-weight w:  -[w y log p + (1 - y) log(1 - p)].

    Example: xent calc bce 1,0,1 0.9,0.2,0.6
    """
    _run("bce", target=target, pred=pred, base=base, logits=logits, pos_weight=pos_weight,
         eps=eps, reduction=reduction.value, json=json_out, quiet=quiet, explain=explain)


@commands.command("focal", cls=NumbersCommand)
def focal_command(
    target: TargetArg,
    pred: PredArg,
    gamma: GammaOpt = "2",
    alpha: AlphaOpt = None,
    base: BaseOpt = "e",
    logits: LogitsOpt = False,
    label_smoothing: SmoothingOpt = "0",
    eps: EpsOpt = None,
    normalize: NormalizeOpt = False,
    reduction: ReductionOpt = Reduction.mean,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
    explain: ExplainOpt = False,
) -> None:
    """Focal loss  -Σ α_i y_i (1 - q_i)^γ log q_i  (multi-class).

    TARGET (y) first, PRED (q) second. (1 - q)^γ shrinks the loss of classes
    already predicted well; γ = 0 gives the cross-entropy back.

    Example: xent calc focal 2 0.1,0.2,0.7 --gamma 2 --alpha 0.25
    """
    _run("focal", target=target, pred=pred, gamma=gamma, alpha=alpha, base=base,
         logits=logits, label_smoothing=label_smoothing, eps=eps, normalize=normalize,
         reduction=reduction.value, json=json_out, quiet=quiet, explain=explain)


@commands.command("softmax", cls=NumbersCommand)
def softmax_command(
    z: ZArg,
    log: Annotated[
        bool, typer.Option("--log", help="Log-softmax: log q_i = z_i - logsumexp(z).")
    ] = False,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
    explain: ExplainOpt = False,
) -> None:
    """Softmax  q_i = exp(z_i) / Σ_j exp(z_j)  of each row (a list).

    Computed as exp(z_i - max z) / Σ_j exp(z_j - max z): the same value, no
    overflow. A logit of -inf is a class with probability 0.

    Example: xent calc softmax -1,0,2
    """
    _run("log-softmax" if log else "softmax", z=z, json=json_out, quiet=quiet,
         explain=explain)


@commands.command(
    "grad", cls=NumbersCommand, short_help="Gradient dH/dz_i = softmax(z)_i - y_i, per row."
)
def grad_command(
    target: TargetArg,
    z: ZArg,
    base: BaseOpt = "e",
    weights: WeightsOpt = None,
    label_smoothing: SmoothingOpt = "0",
    reduction: Annotated[
        Reduction,
        typer.Option("--reduction", "-r",
                     help="none: each row's gradient; mean: of the mean loss; sum: as none."),
    ] = Reduction.none,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
    explain: ExplainOpt = False,
) -> None:
    """Gradient of the cross-entropy  dH/dz_i = softmax(z)_i - y_i  per row (a list).

    TARGET (y) first, logits Z second. Without --weights each component is in
    [-1, 1], and it does not vanish while the prediction is wrong.

    Example: xent calc grad 2 -1,0,2
    """
    _run("grad", target=target, z=z, base=base, weights=weights,
         label_smoothing=label_smoothing, reduction=reduction.value, json=json_out,
         quiet=quiet, explain=explain)


def register(app: typer.Typer) -> None:
    """Add ``xent calc`` and its commands to the root app."""
    app.add_typer(calc_app, name="calc")

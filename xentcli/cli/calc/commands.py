"""`xent calc`: the calculator's commands and options.

This module only declares the interface (Typer reads it to build the help);
it imports nothing heavy. Each command hands its arguments to
:func:`xentcli.cli.calc.run.run`, imported when the command runs, which parses
the vectors, calls the core and renders the result.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from xentcli.cli.calc.group import CalcGroup, NumbersCommand
from xentcli.cli.calc.params import (
    _VECTOR,
    AlphaOpt,
    BaseOpt,
    BinarySmoothingOpt,
    BinsOpt,
    ElementReductionOpt,
    EpsOpt,
    ExplainOpt,
    GammaOpt,
    IgnoreIndexOpt,
    JsonOpt,
    LabelsArg,
    LogitsOpt,
    NormalizeOpt,
    PArg,
    PlotOpt,
    PosWeightOpt,
    PredArg,
    QArg,
    QuietOpt,
    Reduction,
    ReductionOpt,
    SampleWeightsOpt,
    SigmoidLogitsOpt,
    SmoothingOpt,
    TargetArg,
    WeightsOpt,
    ZArg,
)

#: The calculator's commands are declared on this app; the `calc` group below
#: builds each one only when it is used (see CalcGroup).
commands = typer.Typer()


class _CalcGroup(CalcGroup):
    declared = commands


calc_app = typer.Typer(
    name="calc",
    cls=_CalcGroup,
    help=(
        "Calculator: entropy, cross-entropy, KL, JS, BCE, focal losses, perplexity, "
        "calibration (ECE, Brier), softmax, gradient.\n\n"
        "Vectors are typed as 0.2,0.3,0.5 (or \"0.2 0.3 0.5\", \"[0.2, 0.3, 0.5]\", "
        "fractions like 1/6), or read with @file (CSV, TSV, text, .npy) or - (stdin); "
        "rows are samples. The target comes first, the prediction second, as in "
        "H(p,q) and D_KL(p||q).\n\n"
        "Try: xent calc ce 0,0,1 0.1,0.2,0.7 --explain"
    ),
    no_args_is_help=True,
)


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
    ignore_index: IgnoreIndexOpt = None,
    sample_weights: SampleWeightsOpt = None,
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
         ignore_index=ignore_index, sample_weights=sample_weights,
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
    sample_weights: SampleWeightsOpt = None,
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
         sample_weights=sample_weights, reduction=reduction.value, json=json_out,
         quiet=quiet, explain=explain, plot=plot)


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
    label_smoothing: BinarySmoothingOpt = "0",
    eps: EpsOpt = None,
    sample_weights: SampleWeightsOpt = None,
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
    With --label-smoothing E:  y becomes y (1 - E) + E/2 (keras's rule).

    Example: xent calc bce 1,0,1 0.9,0.2,0.6
    """
    _run("bce", target=target, pred=pred, base=base, logits=logits, pos_weight=pos_weight,
         label_smoothing=label_smoothing, eps=eps, sample_weights=sample_weights,
         reduction=reduction.value, json=json_out, quiet=quiet, explain=explain)


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
    ignore_index: IgnoreIndexOpt = None,
    sample_weights: SampleWeightsOpt = None,
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
         ignore_index=ignore_index, sample_weights=sample_weights,
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
    ignore_index: IgnoreIndexOpt = None,
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
         label_smoothing=label_smoothing, ignore_index=ignore_index,
         reduction=reduction.value, json=json_out, quiet=quiet, explain=explain)


@commands.command(
    "js", cls=NumbersCommand,
    short_help="Jensen-Shannon divergence ½KL(P||M) + ½KL(Q||M), M = (P+Q)/2.",
)
def js_command(
    p: PArg,
    q: Annotated[
        str, typer.Argument(metavar="Q", help=f"The distribution Q: {_VECTOR}.",
                            show_default=False),
    ],
    distance: Annotated[
        bool,
        typer.Option("--distance", help="Its square root, a metric (scipy's jensenshannon)."),
    ] = False,
    base: BaseOpt = "e",
    normalize: NormalizeOpt = False,
    sample_weights: SampleWeightsOpt = None,
    reduction: ReductionOpt = Reduction.mean,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
    explain: ExplainOpt = False,
    plot: PlotOpt = False,
) -> None:
    """Jensen-Shannon divergence  JS(P, Q) = ½ KL(P || M) + ½ KL(Q || M).

    \b
    M = (P + Q)/2, the average of the two.

    Symmetric and always finite: at most ln 2 nats (1 bit). With --distance,
    its square root, which obeys the triangle inequality.

    Example: xent calc js 0.2,0.3,0.5 0.1,0.2,0.7 --base 2
    """
    _run("js", p=p, q=q, distance=distance, base=base, normalize=normalize,
         sample_weights=sample_weights, reduction=reduction.value, json=json_out,
         quiet=quiet, explain=explain, plot=plot)


@commands.command(
    "perplexity", cls=NumbersCommand,
    short_help="Perplexity exp(mean cross-entropy in nats), bits per token.",
)
def perplexity_command(
    target: TargetArg,
    pred: PredArg,
    logits: LogitsOpt = False,
    weights: WeightsOpt = None,
    label_smoothing: SmoothingOpt = "0",
    eps: EpsOpt = None,
    normalize: NormalizeOpt = False,
    ignore_index: IgnoreIndexOpt = None,
    sample_weights: SampleWeightsOpt = None,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
    explain: ExplainOpt = False,
) -> None:
    """Perplexity  PPL = exp(mean_n H(y_n, q_n)), the cross-entropy in nats.

    The number of equally likely choices the model is as unsure as: K for a
    uniform guess over K classes, 1 for a perfect model. The same in any base
    (2^bits = e^nats); --json also gives bits_per_token, the mean in bits.

    Example: xent calc perplexity "0;1" "0.5,0.5;0.25,0.75"
    """
    _run("perplexity", target=target, pred=pred, logits=logits, weights=weights,
         label_smoothing=label_smoothing, eps=eps, normalize=normalize,
         ignore_index=ignore_index, sample_weights=sample_weights, reduction="mean",
         json=json_out, quiet=quiet, explain=explain)


@commands.command(
    "sigmoid-focal", cls=NumbersCommand,
    short_help="Sigmoid focal loss -α_t (1 - p_t)^γ log p_t, per label.",
)
def sigmoid_focal_command(
    target: LabelsArg,
    pred: Annotated[
        str,
        typer.Argument(metavar="PRED",
                       help=f"Probabilities p of label 1 (or logits with --logits): {_VECTOR}.",
                       show_default=False),
    ],
    gamma: GammaOpt = "2",
    alpha: Annotated[
        str | None,
        typer.Option("--alpha", metavar="A",
                     help="Weight α of label 1 (1 - α for label 0), in [0, 1]. Default: none.",
                     show_default=False),
    ] = None,
    base: BaseOpt = "e",
    logits: SigmoidLogitsOpt = False,
    eps: EpsOpt = None,
    sample_weights: SampleWeightsOpt = None,
    reduction: ElementReductionOpt = Reduction.mean,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
    explain: ExplainOpt = False,
) -> None:
    """Sigmoid focal loss  -α_t (1 - p_t)^γ log p_t  per label (RetinaNet's).

    TARGET (y) first, PRED (p) second.

    \b
    p_t = p for y = 1, 1 - p for y = 0;
    α_t = α for y = 1, 1 - α for y = 0 (no --alpha: α_t = 1).

    γ = 0 without --alpha gives the binary cross-entropy back.

    Example: xent calc sigmoid-focal 1,0,1 2.0,-1.0,0.5 --logits --alpha 0.25
    """
    _run("sigmoid-focal", target=target, pred=pred, gamma=gamma, alpha=alpha, base=base,
         logits=logits, eps=eps, sample_weights=sample_weights, reduction=reduction.value,
         json=json_out, quiet=quiet, explain=explain)


@commands.command(
    "ece", cls=NumbersCommand,
    short_help="Expected calibration error Σ_b (n_b/N)·|acc_b - conf_b|.",
)
def ece_command(
    target: TargetArg,
    pred: PredArg,
    bins: BinsOpt = "15",
    logits: LogitsOpt = False,
    normalize: NormalizeOpt = False,
    ignore_index: IgnoreIndexOpt = None,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
    explain: ExplainOpt = False,
) -> None:
    """Expected calibration error  ECE = Σ_b (n_b / N) · |acc_b - conf_b|.

    Each row's confidence is its largest probability (the top label); rows go
    into B bins of equal width (lo, hi] by confidence, and in each bin the
    share of right answers (acc_b) is compared with the mean confidence
    (conf_b). 0 is perfectly calibrated.

    Example: xent calc ece "0;1;1;0" "0.9,0.1;0.6,0.4;0.2,0.8;0.7,0.3" --bins 5
    """
    _run("ece", target=target, pred=pred, bins=bins, logits=logits, normalize=normalize,
         ignore_index=ignore_index, reduction="mean", json=json_out, quiet=quiet,
         explain=explain)


@commands.command(
    "brier", cls=NumbersCommand,
    short_help="Brier score: mean over rows of Σ_k (q_k - y_k)².",
)
def brier_command(
    target: TargetArg,
    pred: PredArg,
    logits: LogitsOpt = False,
    normalize: NormalizeOpt = False,
    ignore_index: IgnoreIndexOpt = None,
    sample_weights: SampleWeightsOpt = None,
    reduction: ReductionOpt = Reduction.mean,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
    explain: ExplainOpt = False,
) -> None:
    """Brier score  BS = Σ_k (q_k - y_k)²  per row, then the mean over rows.

    The squared distance from the prediction to the one-hot target: 0 for a
    sure, right answer, 2 for a sure, wrong one; finite even where the
    cross-entropy is infinite.

    Example: xent calc brier 0 0.7,0.2,0.1
    """
    _run("brier", target=target, pred=pred, logits=logits, normalize=normalize,
         ignore_index=ignore_index, sample_weights=sample_weights,
         reduction=reduction.value, json=json_out, quiet=quiet, explain=explain)


def register(app: typer.Typer) -> None:
    """Add ``xent calc`` and its commands to the root app."""
    app.add_typer(calc_app, name="calc")

"""`xent plot`: the pictures behind the formulas, drawn in the terminal.

Every curve is computed by :mod:`xentcli.core`; :mod:`xentcli.cli.plotting`
draws it with plotext. numpy and plotext are imported inside the commands, so
``xent --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from xentcli.cli.calc.group import NumbersCommand

if TYPE_CHECKING:
    from xentcli.cli.plotting import Chart

#: Fits an 80x24 terminal with room for the prompt.
DEFAULT_WIDTH = 78
DEFAULT_HEIGHT = 21
#: Two stacked panels need this many rows to stay readable.
MIN_HEIGHT_TWO_PANELS = 16
#: One marker per curve, so curves stay apart without colour.
MARKERS = ("hd", "•", "+", "x", "o")
#: Most classes `plot compare` draws: more bars than columns say nothing, and
#: plotext's time grows with the square of the bars (10,000 took over a minute).
MAX_COMPARE_CLASSES = 100

plot_app = typer.Typer(
    name="plot",
    help=(
        "Draw the curves behind cross-entropy in the terminal.\n\n"
        "Sized for an 80x24 terminal; --width/--height change it, --save FILE writes it "
        "(.txt for plain text, .html for a web page; --force replaces a file)."
    ),
    no_args_is_help=True,
)

BaseOpt = Annotated[
    str, typer.Option("--base", "-b", help="Log base: e, 2, 10 (or nats, bits, bans).")
]
WidthOpt = Annotated[
    int | None,
    typer.Option("--width", "-W", min=30, max=400, help="Width in columns [default: 78]."),
]
HeightOpt = Annotated[
    int | None,
    typer.Option("--height", "-H", min=8, max=200, help="Height in rows [default: 21]."),
]
SaveOpt = Annotated[
    Path | None,
    typer.Option(
        "--save",
        metavar="FILE",
        help="Write the plot to FILE instead of the screen: plain text for .txt, a web "
        "page for .html or .htm.",
    ),
]
ForceOpt = Annotated[
    bool, typer.Option("--force", help="Let --save replace an existing FILE.")
]
#: The endings --save takes; the format follows the ending.
SAVE_SUFFIXES = (".txt", ".html", ".htm")


def register(app: typer.Typer) -> None:
    """Add ``xent plot`` and its subcommands to the root app."""
    app.add_typer(plot_app)


# ----------------------------------------------------------------------------- output


def _size(width: int | None, height: int | None) -> tuple[int, int]:
    """The plot size: as asked, else the defaults shrunk to fit the terminal."""
    import shutil

    columns, rows = shutil.get_terminal_size((DEFAULT_WIDTH + 2, DEFAULT_HEIGHT + 3))
    if width is None:
        width = max(30, min(DEFAULT_WIDTH, columns - 2))
    if height is None:
        height = max(8, min(DEFAULT_HEIGHT, rows - 3))
    return width, height


def _colour() -> bool:
    """Colour only on a terminal that takes it, and never with NO_COLOR (Rich decides)."""
    from xentcli.cli.console import out_console

    console = out_console()
    return console.color_system is not None and not console.no_color


def _show(
    charts: Chart | list[Chart],
    width: int | None,
    height: int | None,
    save: Path | None,
    force: bool,
) -> None:
    import shutil
    import sys

    from rich.markup import escape

    from xentcli.cli.console import err_console
    from xentcli.cli.files import check_new_file
    from xentcli.cli.plotting import render_chart, save_chart

    if force and save is None:
        raise typer.BadParameter("only goes with --save", param_hint="'--force'")

    panels = 1 if not isinstance(charts, list) else len(charts)
    w, h = _size(width, height)
    if save is None and width is not None and sys.stdout.isatty():
        columns = shutil.get_terminal_size().columns
        if w > columns:
            # Wider than the screen would wrap every line into a mess: draw what fits.
            err_console().print(
                f"Note: --width {w} is wider than this terminal ({columns} columns): drawn "
                f"{columns} wide. --save FILE or a pipe keeps {w}.", soft_wrap=False)
            w = columns
    if panels > 1 and h < MIN_HEIGHT_TWO_PANELS:
        if height is not None:
            raise typer.BadParameter(
                f"this plot has {panels} panels and needs at least {MIN_HEIGHT_TWO_PANELS} rows",
                param_hint="'--height'",
            )
        h = MIN_HEIGHT_TWO_PANELS
    if save is not None:
        check_new_file(save, "--save", SAVE_SUFFIXES, force=force)
        how = save_chart(charts, save, width=w, height=h)
        # soft_wrap: a long path stays on one line, whole, for copy and paste.
        err_console().print(f"Saved the plot to {escape(str(save))} ({how}).", soft_wrap=True)
        return
    colour = _colour()
    typer.echo(render_chart(charts, width=w, height=h, colour=colour), color=colour)


def _unit(base: str) -> tuple[float, str]:
    from xentcli.core import resolve_base

    return resolve_base(base)


def _log_name(unit: str) -> str:
    """How the log reads in a title: ``ln`` for nats, ``log2`` for bits."""
    return {"nats": "ln", "bits": "log2", "bans": "log10"}.get(unit, "log")


# ----------------------------------------------------------------------------- plots


@plot_app.command("logloss", short_help="-log p of the true class against squared error.")
def logloss(
    base: BaseOpt = "e",
    width: WidthOpt = None,
    height: HeightOpt = None,
    save: SaveOpt = None,
    force: ForceOpt = False,
) -> None:
    """Log loss -log p of the true class against squared error (1-p)^2, and their gradients.

    Top: the losses as p, the predicted probability of the true class, goes
    from 0 to 1. Log loss grows without bound as p -> 0; squared error never
    exceeds 1. Bottom: the gradient size at the logit z (p = sigmoid(z)):
    |dCE/dz| = 1-p stays large when the prediction is badly wrong, while
    |dSE/dz| = 2p(1-p)^2 fades to 0 there, which is why training with squared
    error stalls.
    """
    import numpy as np

    from xentcli.cli.plotting import Chart, Series
    from xentcli.core import binary_cross_entropy, cross_entropy_grad

    ln_base, unit = _unit(base)
    p = np.linspace(0.01, 0.99, 197)
    ones = np.ones_like(p)
    log_loss = binary_cross_entropy(ones, p, base=base, reduction="none")
    squared = (1 - p) ** 2
    # Two logits [0, z] with softmax are a sigmoid of z: the true class is the second.
    logits = np.stack([np.zeros_like(p), np.log(p) - np.log1p(-p)], axis=-1)
    grad_ce = np.abs(cross_entropy_grad(np.ones(p.shape, dtype=int), logits)[:, 1]) / ln_base
    grad_se = 2 * p * (1 - p) ** 2  # d/dz (1 - sigmoid(z))^2, in absolute value
    loss = Chart(
        f"Loss for the true class ({unit})",
        series=[
            Series(f"-{_log_name(unit)} p", p, log_loss, MARKERS[0]),
            Series("(1-p)^2", p, squared, MARKERS[1]),
        ],
        legend="title",
    )
    grad = Chart(
        "Gradient size at the logit, |dL/dz|",
        xlabel="p = predicted probability of the true class",
        series=[
            Series("cross-entropy", p, grad_ce, MARKERS[0]),
            Series("squared error", p, grad_se, MARKERS[1]),
        ],
        legend="title",
    )
    _show([loss, grad], width, height, save, force)


@plot_app.command("surprisal", short_help="Surprisal -log p against the probability p.")
def surprisal(
    base: BaseOpt = "e",
    width: WidthOpt = None,
    height: HeightOpt = None,
    save: SaveOpt = None,
    force: ForceOpt = False,
) -> None:
    """Surprisal -log p: certain outcomes (p = 1) cost nothing, rare ones a lot.

    The marked points are p = 0.5, 0.1 and 0.01.
    """
    import numpy as np

    from xentcli.cli.plotting import Chart, Series
    from xentcli.core import surprisal as surprisal_of

    _, unit = _unit(base)
    p = np.linspace(0.01, 1.0, 199)
    marked = np.array([0.5, 0.1, 0.01])
    chart = Chart(
        f"Surprisal -{_log_name(unit)} p in {unit}: the rarer, the more surprising",
        xlabel="p = probability of the outcome",
        ylabel=unit,
        series=[
            Series(f"-{_log_name(unit)} p", p, surprisal_of(p, base=base), MARKERS[0]),
            Series("p = 0.5, 0.1, 0.01", marked, surprisal_of(marked, base=base), "o", False),
        ],
        legend="top-right",
    )
    _show(chart, width, height, save, force)


@plot_app.command("entropy", short_help="Binary entropy of a coin against p; peaks at 0.5.")
def entropy(
    base: BaseOpt = "e",
    width: WidthOpt = None,
    height: HeightOpt = None,
    save: SaveOpt = None,
    force: ForceOpt = False,
) -> None:
    """Binary entropy H(p) = -p log p - (1-p) log(1-p) of a coin that lands 1 with probability p.

    Zero when the outcome is certain (p = 0 or 1), largest at p = 0.5, where
    it is log 2: exactly 1 bit.
    """
    import numpy as np

    from xentcli.cli.plotting import Chart, Series
    from xentcli.core import entropy as entropy_of

    _, unit = _unit(base)
    p = np.linspace(0.0, 1.0, 201)
    h = entropy_of(np.stack([p, 1 - p], axis=-1), base=base, reduction="none")
    peak = float(entropy_of([0.5, 0.5], base=base))
    chart = Chart(
        f"Binary entropy H(p) in {unit}: largest at p = 0.5, H = {peak:.3f}",
        xlabel="p = probability of outcome 1",
        ylabel=unit,
        series=[Series("H(p)", p, h, MARKERS[0])],
        ylim=(0.0, peak * 1.05),
        legend="none",
    )
    _show(chart, width, height, save, force)


@plot_app.command("focal", short_help="Focal loss against p_t for gamma = 0, 0.5, 1, 2, 5.")
def focal(
    base: BaseOpt = "e",
    width: WidthOpt = None,
    height: HeightOpt = None,
    save: SaveOpt = None,
    force: ForceOpt = False,
) -> None:
    """Focal loss -(1-p_t)^gamma log p_t for gamma = 0, 0.5, 1, 2, 5.

    p_t is the predicted probability of the true class. gamma = 0 is plain
    cross-entropy; a larger gamma flattens the loss of easy, well-classified
    examples (p_t near 1) so that training attends to the hard ones.
    """
    import numpy as np

    from xentcli.cli.plotting import Chart, Series
    from xentcli.core import focal_loss

    _, unit = _unit(base)
    p = np.linspace(0.01, 1.0, 199)
    pred = np.stack([1 - p, p], axis=-1)
    target = np.ones(p.shape, dtype=int)
    series = [
        Series(
            f"γ={gamma:g}",
            p,
            focal_loss(target, pred, gamma=gamma, base=base, reduction="none"),
            marker,
        )
        for gamma, marker in zip((0.0, 0.5, 1.0, 2.0, 5.0), MARKERS, strict=True)
    ]
    chart = Chart(
        f"Focal loss -(1-p_t)^γ {_log_name(unit)} p_t in {unit}",
        xlabel="p_t = predicted probability of the true class",
        ylabel=unit,
        series=series,
        legend="top-right",
    )
    _show(chart, width, height, save, force)


@plot_app.command("smoothing", short_help="The smoothed target and its loss, for a given epsilon.")
def smoothing(
    epsilon: Annotated[
        float,
        typer.Option("--epsilon", "-e", min=0.0, max=0.99, help="Label smoothing ε."),
    ] = 0.1,
    classes: Annotated[
        int, typer.Option("--classes", "-k", min=2, max=20, help="Number of classes K.")
    ] = 5,
    base: BaseOpt = "e",
    width: WidthOpt = None,
    height: HeightOpt = None,
    save: SaveOpt = None,
    force: ForceOpt = False,
) -> None:
    """Label smoothing: the target y' = (1-ε) y + ε/K, and what it does to the loss.

    Top: the one-hot target of class 0 and its smoothed version. Bottom: the
    cross-entropy as the predicted probability p of the true class grows (the
    rest spread evenly). Without smoothing the loss keeps falling up to p = 1;
    with it the loss is smallest at p = 1 - ε + ε/K, so the model is not pushed
    to be certain.
    """
    import numpy as np

    from xentcli.cli.plotting import Chart, Series
    from xentcli.core import cross_entropy

    _, unit = _unit(base)
    k = classes
    hard = np.zeros(k)
    hard[0] = 1.0
    smooth = (1 - epsilon) * hard + epsilon / k
    positions = list(range(1, k + 1))
    target = Chart(
        f"Target of class 0, K = {k}, ε = {epsilon:g}",
        series=[
            Series("hard y", positions, hard, "full"),
            Series("smoothed y'", positions, smooth, "░"),
        ],
        kind="bar",
        categories=[str(i) for i in range(k)],
        ylim=(0.0, 1.0),
        legend="title",
    )
    p = np.linspace(0.05, 0.995, 190)
    pred = np.column_stack([p, *[(1 - p) / (k - 1)] * (k - 1)])
    labels = np.zeros(p.shape, dtype=int)
    plain = cross_entropy(labels, pred, base=base, reduction="none")
    smoothed = cross_entropy(labels, pred, base=base, label_smoothing=epsilon, reduction="none")
    # The smoothed loss is lowest where the prediction equals the smoothed target.
    best = 1 - epsilon + epsilon / k
    best_pred = [best, *[(1 - best) / (k - 1)] * (k - 1)]
    lowest = cross_entropy(0, best_pred, base=base, label_smoothing=epsilon)
    loss = Chart(
        f"Loss in {unit}, lowest at p = 1-ε+ε/K = {best:.3f}",
        xlabel="p = predicted probability of the true class",
        series=[
            Series("ε = 0", p, plain, MARKERS[0]),
            Series(f"ε = {epsilon:g}", p, smoothed, MARKERS[1]),
            Series("lowest", [best], [float(lowest)], "o", False),
        ],
        legend="title",
    )
    _show([target, loss], width, height, save, force)


@plot_app.command(
    "compare",
    cls=NumbersCommand,  # plot compare -0.2,1.2 ... reaches the check, not "No such option"
    short_help="Two distributions side by side, with H(P), H(P,Q), KL.",
)
def compare(
    p: Annotated[
        str,
        typer.Argument(metavar="P",
                       help="The true distribution P: 0.2,0.3,0.5, @file or - (stdin)."),
    ],
    q: Annotated[
        str,
        typer.Argument(metavar="Q",
                       help="The predicted distribution Q: 0.1,0.2,0.7, @file or -."),
    ],
    labels: Annotated[
        str | None,
        typer.Option("--labels", "-l", help="Class names, comma-separated (e.g. cat,dog,bird)."),
    ] = None,
    normalize: Annotated[
        bool, typer.Option("--normalize", help="Rescale P and Q to sum to 1 first.")
    ] = False,
    base: BaseOpt = "e",
    width: WidthOpt = None,
    height: HeightOpt = None,
    save: SaveOpt = None,
    force: ForceOpt = False,
) -> None:
    """Two distributions side by side, with H(P), H(P,Q) and D_KL(P||Q) in the title.

    H(P,Q) = H(P) + D_KL(P||Q): the bigger the gap between the bars, the more
    the cross-entropy exceeds the entropy.
    """
    import math

    from xentcli.cli.console import err_console
    from xentcli.cli.plotting import Chart, Series, format_number, key
    from xentcli.core import cross_entropy, entropy, kl_divergence

    pv = _vector(p, "P")
    qv = _vector(q, "Q")
    if normalize:
        pv = _rescaled(pv, "P")
        qv = _rescaled(qv, "Q")
    # Validation order matters for the message: P alone first, then P against Q.
    h = float(entropy(pv, base=base))
    kl = float(kl_divergence(pv, qv, base=base))
    ce = float(cross_entropy(pv, qv, base=base))
    _, unit = _unit(base)
    if math.isinf(ce):
        err_console().print(
            "Note: Q gives probability 0 to a class P can take: H(P,Q) and KL are infinite."
        )
    names = [str(i) for i in range(len(pv))] if labels is None else _labels(labels, len(pv))
    positions = list(range(1, len(pv) + 1))
    series = [Series("P", positions, pv, "full"), Series("Q", positions, qv, "░")]
    chart = Chart(
        f"H(P) = {format_number(h)}, H(P,Q) = {format_number(ce)}, "
        f"KL = {format_number(kl)} {unit}",
        xlabel=f"class   {key(series)}",
        ylabel="probability",
        series=series,
        kind="bar",
        categories=names,
        legend="none",
    )
    _show(chart, width, height, save, force)


# ----------------------------------------------------------------------------- input


def _vector(text: str, name: str) -> list[float]:
    """One distribution, typed (``0.2,0.3,0.5``, ``1/6``, ``[..]``) or read (``@file``, ``-``)."""
    from xentcli.cli.calc.inputs import parse_vector
    from xentcli.errors import InputError

    values = parse_vector(text, name).values
    if values.ndim > 1:
        raise InputError(f"plot compare draws one distribution, but {name} has {len(values)} rows")
    if values.size > MAX_COMPARE_CLASSES:
        raise InputError(f"plot compare draws at most {MAX_COMPARE_CLASSES} classes, but {name} "
                         f"has {values.size}; xent calc gives the numbers")
    return [float(v) for v in values.reshape(-1)]


def _rescaled(values: list[float], name: str) -> list[float]:
    from xentcli.errors import InputError

    total = sum(values)
    if any(v < 0 for v in values) or total <= 0:
        raise InputError(f"--normalize needs non-negative {name} with a positive sum")
    return [v / total for v in values]


def _labels(text: str, count: int) -> list[str]:
    names = [part.strip() for part in text.split(",")]
    if len(names) != count:
        raise typer.BadParameter(
            f"{len(names)} names given for {count} classes", param_hint="'--labels'"
        )
    return names

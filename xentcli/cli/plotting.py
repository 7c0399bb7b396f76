"""Drawing helpers shared by ``xent plot`` and ``xent calc ... --plot``.

Two kinds of pictures:

- :func:`distribution_bars` draws one or two probability vectors as rows of
  horizontal bars in plain text (no plotext, no colour): one line per class, so
  it sits under a calculator result at any width.
- :class:`Chart` describes a line or bar chart; :func:`render_chart` draws it
  with plotext into a string (plain, or with ANSI colours for a terminal) and
  :func:`save_chart` writes it to a file (HTML for ``.html``/``.htm``, plain
  text otherwise).

numpy and plotext are imported inside the functions that need them, so that
importing this module costs nothing at start-up.

>>> print(distribution_bars([0.25, 0.75], width=30))
class  P
    0  0.250 ████▎
    1  0.750 ████████████▊
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xentcli.errors import InputError, XentError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    #: Values of a series: a list or a numpy array (numpy is not imported at run time).
    Values = Sequence[float] | npt.NDArray[np.floating[Any]]

__all__ = [
    "Chart",
    "Series",
    "distribution_bars",
    "format_number",
    "key",
    "render_chart",
    "save_chart",
]

#: Eighths of a block, for bars drawn to 1/8 of a character.
_EIGHTHS = " ▏▎▍▌▋▊▉"
_FULL = "█"
#: Narrowest bar still worth drawing.
_MIN_BAR = 4


# ------------------------------------------------------------------ distribution bars


def format_number(value: float) -> str:
    """A probability or loss in at most 7 characters: ``0.200``, ``1e-07``, ``inf``.

    >>> [format_number(v) for v in (0.2, 1 / 6, 0.0, 1e-7, 12.3456, float("inf"))]
    ['0.200', '0.167', '0.000', '1.0e-07', '12.346', 'inf']
    """
    if value != value:  # NaN never comes from the core; say so rather than draw it
        return "nan"
    if value in (float("inf"), float("-inf")):
        return "inf" if value > 0 else "-inf"
    if value != 0 and abs(value) < 0.001:
        return f"{value:.1e}"
    return f"{value:.3f}"


def _bar(value: float, top: float, length: int) -> str:
    """A bar of ``value / top * length`` characters, to an eighth of a character."""
    if top <= 0 or value <= 0:
        return ""
    eighths = round(value / top * length * 8)
    if eighths == 0:
        # A positive probability never vanishes from the picture.
        return _EIGHTHS[1]
    full, rest = divmod(eighths, 8)
    return _FULL * full + (_EIGHTHS[rest] if rest else "")


def _as_vector(x: Any, name: str, size: int | None) -> list[float]:
    import numpy as np

    arr = np.asarray(x)
    if arr.ndim == 0 and size is not None and np.issubdtype(arr.dtype, np.integer):
        # A class index (`xent calc ce 2 0.1,0.2,0.7`): draw it as its one-hot vector.
        index = int(arr)
        if not 0 <= index < size:
            raise InputError(f"{name} class index {index} is out of range for {size} classes")
        return [1.0 if i == index else 0.0 for i in range(size)]
    if arr.ndim == 2 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 1:
        rows = arr.shape[0] if arr.ndim > 1 else 1
        raise InputError(
            f"--plot draws a single distribution, but {name} has {rows} rows"
            if arr.ndim > 1
            else f"--plot needs a vector for {name}, not a single number"
        )
    try:
        values = [float(v) for v in arr.astype(float)]
    except (TypeError, ValueError):
        raise InputError(f"{name} is not a vector of numbers") from None
    return values


def distribution_bars(
    p: Any,
    q: Any = None,
    *,
    labels: Sequence[str] | None = None,
    width: int = 80,
    names: tuple[str, str] = ("P", "Q"),
) -> str:
    """Draw one distribution, or two side by side, as text bars (one line per class).

    Args:
        p: a probability vector (1-D, or one row). With ``q`` given it may also
            be an integer class index, drawn as the one-hot vector it stands for.
        q: an optional second vector of the same length, drawn to the right of ``p``.
        labels: one name per class; default the class indices ``0, 1, ...`` (the
            numbering a class-index TARGET uses).
        width: the widest line, in characters (at least 30).
        names: the column headings for ``p`` and ``q`` (e.g. ``("TARGET", "PRED")``).

    Returns:
        Plain text, lines joined by newlines, no trailing newline and no colour
        codes (print it with ``markup=False`` if it goes through Rich). All bars
        share one scale, a full-length bar being probability 1, so equal values
        get equal bars in both columns.

    Raises:
        InputError: ``p`` or ``q`` is not one vector, their lengths differ, or
            ``labels`` has the wrong length.

    >>> print(distribution_bars([0.2, 0.8], [0.5, 0.5], labels=["cat", "dog"], width=40))
    class  P                Q
      cat  0.200 █▊         0.500 ████▌
      dog  0.800 ███████▎   0.500 ████▌
    """
    width = max(int(width), 30)
    first = None if q is None else _as_vector(q, names[1], None)
    pv = _as_vector(p, names[0], None if first is None else len(first))
    columns = [pv] if first is None else [pv, first]
    if first is not None and len(first) != len(pv):
        raise InputError(
            f"{names[0]} has {len(pv)} classes but {names[1]} has {len(first)}; "
            "they must have the same length"
        )
    if labels is None:
        labels = [str(i) for i in range(len(pv))]
    elif len(labels) != len(pv):
        raise InputError(f"{len(labels)} labels given for {len(pv)} classes")
    labels = [str(label) for label in labels]

    label_width = max(len("class"), *(len(label) for label in labels))
    cells = [[format_number(v) for v in column] for column in columns]
    number_width = max(len(c) for column in cells for c in column)
    # Each column: number, a space, the bar, two spaces of gap before the next column.
    room = width - label_width - 2 - len(columns) * (number_width + 1) - 2 * (len(columns) - 1)
    bar_length = max(room // len(columns), _MIN_BAR)
    finite = [v for column in columns for v in column if v < float("inf")]
    # A full-length bar means probability 1, so a bar reads as a share of certainty.
    top = max([1.0, *finite])

    column_width = number_width + 1 + bar_length
    heading = f"{'class':>{label_width}}  " + "  ".join(
        f"{name:<{column_width}}" for name in names[: len(columns)]
    )
    lines = [heading.rstrip()]
    for row, label in enumerate(labels):
        parts = []
        for column, texts in zip(columns, cells, strict=True):
            value = column[row]
            bar = _FULL * bar_length if value == float("inf") else _bar(value, top, bar_length)
            parts.append(f"{texts[row]:>{number_width}} {bar:<{bar_length}}")
        lines.append(f"{label:>{label_width}}  " + "  ".join(parts).rstrip())
    return "\n".join(lines)


# ------------------------------------------------------------------------- charts


@dataclass(frozen=True)
class Series:
    """One curve (in a line chart) or one set of bars (in a bar chart)."""

    label: str
    x: Values
    y: Values
    #: A plotext marker: "hd" (quarter blocks), "braille", "full", or one character.
    #: Each series of a chart gets its own, so the curves differ without colour.
    marker: str = "hd"
    #: Join the points (a curve) or not (marked points only).
    lines: bool = True


#: What each marker looks like in a key written as text.
_GLYPHS = {"hd": "▚", "fhd": "▚", "braille": "⡷", "full": "█", "dot": "•"}


def key(series: Sequence[Series]) -> str:
    """A one-line key of the series, as their markers look: ``▚ -log p  • (1-p)^2``.

    >>> key([Series("P", [1], [0.5], "full"), Series("Q", [1], [0.5], "░")])
    '█ P  ░ Q'
    """
    return "  ".join(f"{_GLYPHS.get(s.marker, s.marker)} {s.label}" for s in series)


@dataclass
class Chart:
    """One panel: its series, title, axis labels and ranges.

    ``kind="bar"`` draws the series as grouped bars at x = 1, 2, ... named by
    ``categories``. ``legend`` is where the key goes: a corner of the plot
    (``"top-right"``, ``"top-left"``, ``"bottom-right"``, ``"bottom-left"``),
    ``"title"`` (after the title, on its line) or ``"none"``. A boxed key that
    would not fit the panel's height goes after the title instead.
    """

    title: str
    xlabel: str = ""
    ylabel: str = ""
    series: list[Series] = field(default_factory=list)
    kind: str = "line"
    categories: Sequence[str] = ()
    xlim: tuple[float, float] | None = None
    ylim: tuple[float, float] | None = None
    legend: str = "top-right"


def _bounds(chart: Chart) -> tuple[float, float, float, float]:
    import numpy as np

    xs = np.concatenate([np.asarray(s.x, dtype=float) for s in chart.series])
    ys = np.concatenate([np.asarray(s.y, dtype=float) for s in chart.series])
    ys = ys[np.isfinite(ys)]
    x0, x1 = chart.xlim or (float(xs.min()), float(xs.max()))
    y0, y1 = chart.ylim or (float(min(ys.min(), 0.0)), float(ys.max()))
    return x0, x1, y0, y1


def _fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters (plotext drops a title that is too long)."""
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def _draw(fig: Any, chart: Chart, width: int, height: int) -> None:
    """Draw one chart, ``width`` x ``height``, on a plotext figure or subplot."""
    legend = chart.legend
    # plotext's key box takes two rows per series plus its frame; the panel also
    # spends about five rows on title, frame, ticks and labels.
    if legend not in ("none", "title") and 2 * len(chart.series) + 3 > height - 5:
        legend = "title"
    if chart.kind == "bar":
        count = len(chart.series)
        # Side-by-side bars: plotext's own grouped bars share one legend entry,
        # so each series is its own bar signal shifted within the group.
        share = 0.8 / count
        for i, s in enumerate(chart.series):
            offset = -0.4 + share * (i + 0.5)
            signal = fig.bar([x + offset for x in s.x], list(map(float, s.y)),
                             marker=s.marker, width=share)
            signal.label(s.label)
            fig.draw(signal)
        positions = [float(x) for x in chart.series[0].x]
        fig.ruler("x").ticks(positions, labels=list(chart.categories))
        lo, hi = min(positions), max(positions)
        fig.ruler("x").lim(lo - 0.5, hi + 0.5)
    else:
        for s in chart.series:
            signal = fig.signal(list(map(float, s.x)), list(map(float, s.y)), marker=s.marker)
            signal.label(s.label)
            signal.lines(s.lines)
            fig.draw(signal)
        if chart.xlim is not None:
            fig.ruler("x").lim(*chart.xlim)
    if chart.ylim is not None:
        fig.ruler("y").lim(*chart.ylim)
    title = f"{chart.title}   {key(chart.series)}" if legend == "title" else chart.title
    fig.title(_fit(title, width))
    if chart.xlabel:
        fig.label(chart.xlabel, "x")
    if chart.ylabel:
        fig.label(chart.ylabel, "y")
    if legend in ("none", "title"):
        fig.legend(False)
    else:
        x0, x1, y0, y1 = _bounds(chart)
        if chart.kind == "bar":
            x0, x1 = min(chart.series[0].x) - 0.5, max(chart.series[0].x) + 0.5
        vertical, horizontal = legend.split("-")
        fig.legend(
            x=x1 if horizontal == "right" else x0,
            y=y1 if vertical == "top" else y0,
            ha=horizontal,
            va=vertical,
            relative=True,
        )


def _build(charts: Sequence[Chart], width: int, height: int, colour: bool) -> Any:
    """Draw the charts, stacked top to bottom, and return plotext's built matrix."""
    import plotext

    if not hasattr(plotext, "figure"):
        # plotext 5 had another API (plt.plot, plt.build); say so instead of a traceback.
        found = getattr(plotext, "__version__", "an older version")
        raise XentError(f"plotting needs plotext 6.1 or newer, found {found}")
    fig = plotext.figure
    # plotext keeps one global figure: start from a clean one every time.
    fig.clear()
    # plotext would shrink the plot to the terminal it guesses (80 columns when piped);
    # the callers choose the size, so a --width 120 written to a file is 120 wide.
    terminal = getattr(plotext, "terminal", None)
    if terminal is not None and hasattr(terminal, "limit"):
        terminal.limit(False, False)
    fig.theme("simple" if colour else "colorless")
    fig.plot_size(width, height)
    if len(charts) == 1:
        _draw(fig, charts[0], width, height)
    else:
        fig.subplots(len(charts), 1)
        for row, chart in enumerate(charts, start=1):
            sub = fig.subplot(row, 1)
            sub.theme("simple" if colour else "colorless")
            _draw(sub, chart, width, height // len(charts))
    return fig.build()


def _as_charts(charts: Chart | Sequence[Chart]) -> Sequence[Chart]:
    return [charts] if isinstance(charts, Chart) else charts


def render_chart(
    charts: Chart | Sequence[Chart], *, width: int = 78, height: int = 20, colour: bool = False
) -> str:
    """The chart (or charts stacked top to bottom) as ``width`` x ``height`` text.

    ANSI colour codes only when ``colour`` is true; trailing spaces are dropped.

    >>> chart = Chart("Rising", "x", "y", [Series("y = x", [0, 1, 2], [0, 1, 2])])
    >>> text = render_chart(chart, width=30, height=8)
    >>> text.splitlines()[0].strip(), chr(27) in text  # too short for a boxed key
    ('Rising   ▚ y = x', False)
    """
    matrix = _build(_as_charts(charts), width, height, colour)
    text: str = matrix.string(colorless=not colour)
    return "\n".join(line.rstrip() for line in text.splitlines())


def save_chart(
    charts: Chart | Sequence[Chart], path: Path, *, width: int = 78, height: int = 20
) -> str:
    """Write the chart to ``path`` and say how: a coloured web page for
    ``.html``/``.htm``, plain text for any other name.

    The file is replaced whole (:mod:`xentcli.cli.files`), whose
    ``check_new_file`` the caller runs on the name first.

    Returns:
        ``"HTML"`` or ``"text"``.

    Raises:
        InputError: the file cannot be written (the message names it and why).
    """
    html = path.suffix.lower() in (".html", ".htm")
    if html:
        text = _PAGE.format(_build(_as_charts(charts), width, height, colour=True).html())
    else:
        text = render_chart(charts, width=width, height=height) + "\n"
    from xentcli.cli.files import write_atomically

    write_atomically(path, lambda handle: handle.write(text))
    return "HTML" if html else "text"


#: The web page around plotext's ``<pre>`` block (the one plotext's own save writes).
_PAGE = (
    '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n'
    "<style>pre {{font-family: monospace; line-height: 1.05}}</style>\n"
    "</head>\n<body>\n{}\n</body>\n</html>\n"
)

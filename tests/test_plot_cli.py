"""`xent plot` and the drawing helpers: rendered to strings at a fixed size, no terminal."""

from __future__ import annotations

import functools
import math
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pytest
from typer.testing import CliRunner

from xentcli.cli.app import app
from xentcli.cli.files import write_atomically
from xentcli.cli.plotting import (
    Chart,
    Series,
    distribution_bars,
    format_number,
    key,
    render_chart,
    save_chart,
)
from xentcli.errors import InputError

runner = CliRunner()
SIZE = ["--width", "78", "--height", "21"]
ESC = "\x1b"


def _plot(*args: str) -> str:
    result = runner.invoke(app, ["plot", *args, *SIZE])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert ESC not in result.stdout
    return result.stdout


def _h(p: list[float]) -> float:
    """Entropy in nats, the plain way (0 log 0 = 0)."""
    return -sum(x * math.log(x) for x in p if x > 0)


def _ce(p: list[float], q: list[float]) -> float:
    return -sum(x * math.log(y) for x, y in zip(p, q, strict=True) if x > 0)


# ------------------------------------------------------------------------ commands


@pytest.mark.parametrize(
    "args",
    [["logloss"], ["surprisal"], ["entropy"], ["focal"], ["smoothing"],
     ["compare", "0.2,0.3,0.5", "0.1,0.2,0.7"]],
)
def test_every_plot_fits_the_asked_size(args: list[str]) -> None:
    lines = _plot(*args).splitlines()
    assert len(lines) == 21
    assert max(len(line) for line in lines) <= 78


@pytest.mark.parametrize("args", [["entropy"], ["logloss"]])
def test_default_size_fits_an_80x24_terminal(
    args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("LINES", "24")
    result = runner.invoke(app, ["plot", *args])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 21
    assert max(len(line) for line in lines) <= 78


def test_logloss_shows_both_losses_and_both_gradients() -> None:
    out = _plot("logloss")
    assert "Loss for the true class (nats)   ▚ -ln p  • (1-p)^2" in out
    assert "Gradient size at the logit, |dL/dz|   ▚ cross-entropy  • squared error" in out
    assert "p = predicted probability of the true class" in out
    # The loss axis reaches -ln(0.01) at the left end of the grid.
    assert f"{-math.log(0.01):.1f}┤" in out


def test_logloss_in_bits() -> None:
    out = _plot("logloss", "--base", "2")
    assert "Loss for the true class (bits)   ▚ -log2 p" in out
    assert f"{-math.log2(0.01):.1f}┤" in out


def test_surprisal_names_unit_and_marks_points() -> None:
    out = _plot("surprisal", "--base", "bits")
    assert "Surprisal -log2 p in bits: the rarer, the more surprising" in out
    assert "o p = 0.5, 0.1, 0.01" in out
    assert "p = probability of the outcome" in out


@pytest.mark.parametrize(("base", "unit", "peak"), [("e", "nats", math.log(2)), ("2", "bits", 1.0),
                                                     ("10", "bans", math.log10(2))])
def test_entropy_peak_in_each_base(base: str, unit: str, peak: float) -> None:
    out = _plot("entropy", "--base", base)
    assert f"Binary entropy H(p) in {unit}: largest at p = 0.5, H = {peak:.3f}" in out
    assert "p = probability of outcome 1" in out


def test_focal_draws_five_gammas() -> None:
    out = _plot("focal")
    assert "Focal loss -(1-p_t)^γ ln p_t in nats" in out
    for label in ("▚ γ=0", "• γ=0.5", "+ γ=1", "x γ=2", "o γ=5"):
        assert label in out
    assert "p_t = predicted probability of the true class" in out


def test_smoothing_defaults() -> None:
    out = _plot("smoothing")
    assert "Target of class 0, K = 5, ε = 0.1   █ hard y  ░ smoothed y'" in out
    # 1 - 0.1 + 0.1 / 5, by hand.
    assert "Loss in nats, lowest at p = 1-ε+ε/K = 0.920" in out
    assert "▚ ε = 0  • ε = 0.1  o lowest" in out


def test_smoothing_options() -> None:
    out = _plot("smoothing", "-e", "0.3", "-k", "3", "--base", "2")
    assert "Target of class 0, K = 3, ε = 0.3" in out
    assert "Loss in bits, lowest at p = 1-ε+ε/K = 0.800" in out


def test_compare_title_has_the_three_measures() -> None:
    p, q = [0.2, 0.3, 0.5], [0.1, 0.2, 0.7]
    out = _plot("compare", "0.2,0.3,0.5", "0.1,0.2,0.7")
    h, ce = _h(p), _ce(p, q)
    assert f"H(P) = {h:.3f}, H(P,Q) = {ce:.3f}, KL = {ce - h:.3f} nats" in out
    assert "class   █ P  ░ Q" in out
    tick_row = [line for line in out.splitlines() if line.split() == ["0", "1", "2"]]
    assert len(tick_row) == 1


def test_compare_with_labels_fractions_and_bits() -> None:
    out = _plot("compare", "1/2,1/4,1/4", "[0.25, 0.25, 0.5]", "--labels", "cat,dog,bird",
                "--base", "2")
    # H(P) = 1.5 bits, H(P,Q) = 0.5*2 + 0.25*2 + 0.25*1 = 1.75 bits, by hand.
    assert "H(P) = 1.500, H(P,Q) = 1.750, KL = 0.250 bits" in out
    assert any(line.split() == ["cat", "dog", "bird"] for line in out.splitlines())


def test_compare_reads_a_file(tmp_path: Path) -> None:
    (tmp_path / "q.txt").write_text("0.5 0.5\n", encoding="utf-8")
    out = _plot("compare", "1/4,3/4", f"@{tmp_path / 'q.txt'}")
    h, ce = _h([0.25, 0.75]), _ce([0.25, 0.75], [0.5, 0.5])
    assert f"H(P) = {h:.3f}, H(P,Q) = {ce:.3f}, KL = {ce - h:.3f} nats" in out


def test_compare_normalize() -> None:
    out = _plot("compare", "2,3,5", "1,2,7", "--normalize")
    h, ce = _h([0.2, 0.3, 0.5]), _ce([0.2, 0.3, 0.5], [0.1, 0.2, 0.7])
    assert f"H(P) = {h:.3f}, H(P,Q) = {ce:.3f}" in out


def test_compare_infinite_cross_entropy_is_a_note_not_an_error() -> None:
    result = runner.invoke(app, ["plot", "compare", "1,0", "0,1", *SIZE])
    assert result.exit_code == 0
    assert "H(P) = 0.000, H(P,Q) = inf, KL = inf nats" in result.stdout
    assert result.stderr == (
        "Note: Q gives probability 0 to a class P can take: H(P,Q) and KL are infinite.\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["entropy", "--base", "1"], "base must be a positive finite number other than 1; got 1"),
        (["compare", "0.2,0.8", "0.5,0.25,0.25"], "P has 2 values but Q has 3"),
        (["compare", "-0.2,1.2", "0.5,0.5"], "P has a negative probability -0.2 at index 0"),
        (["compare", "0.2,0.3", "0.5,0.5"], "P sums to 0.5, not 1 (use --normalize to rescale it)"),
        (["compare", "0.2,abc", "0.5,0.5"], "P: 'abc' is not a number (index 1)"),
        (["compare", "0.2,0.8", "0.5,x"], "Q: 'x' is not a number (index 1)"),
        (["compare", "0.2,0.8;0.5,0.5", "0.5,0.5"],
         "plot compare draws one distribution, but P has 2 rows"),
        (["compare", ",".join(["1"] * 101), "1", "--normalize"],
         "plot compare draws at most 100 classes, but P has 101; xent calc gives the numbers"),
        (["compare", "0.2,0.8", "0.5,0.5", "--labels", "a"],
         "Invalid value for '--labels': 1 names given for 2 classes. "
         "See 'xent plot compare --help'."),
        (["logloss", "--height", "12"],
         "Invalid value for '--height': this plot has 2 panels and needs at least 16 rows. "
         "See 'xent plot logloss --help'."),
        (["smoothing", "--classes", "1"],
         "Invalid value for '--classes' / '-k': must be between 2 and 20, not 1. "
         "See 'xent plot smoothing --help'."),
        (["smoothing", "--epsilon", "1"],
         "Invalid value for '--epsilon' / '-e': must be between 0.0 and 0.99, not 1.0. "
         "See 'xent plot smoothing --help'."),
        (["focal", "--width", "10"],
         "Invalid value for '--width' / '-W': must be between 30 and 400, not 10. "
         "See 'xent plot focal --help'."),
    ],
)
def test_bad_input_is_one_line_exit_2(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["plot", *args])
    assert "\n" not in message  # one line, and the whole of it
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"Error: {message}\n")


# ------------------------------------------------------------------------ chart data
# The numbers behind each picture, read from the Chart objects a command hands to
# render_chart (no parsing of terminal art), against the formulas worked out with math.


def _charts(monkeypatch: pytest.MonkeyPatch, *args: str) -> list[Chart]:
    """Run ``xent plot ARGS`` and return the charts it drew, top panel first."""
    import xentcli.cli.plotting as plotting

    drawn: list[Chart] = []
    real = plotting.render_chart

    def spy(charts: Chart | Sequence[Chart], **kwargs: Any) -> str:
        drawn.extend([charts] if isinstance(charts, Chart) else charts)
        return real(charts, **kwargs)

    monkeypatch.setattr(plotting, "render_chart", spy)
    _plot(*args)
    assert drawn, "the command drew nothing"
    return drawn


def _series(chart: Chart, label: str) -> tuple[list[float], list[float]]:
    """The x and y of the one series called ``label``, as plain floats."""
    found = [s for s in chart.series if s.label == label]
    assert len(found) == 1, [s.label for s in chart.series]
    x = [float(v) for v in found[0].x]
    y = [float(v) for v in found[0].y]
    assert len(x) == len(y)
    return x, y


def _at(xy: tuple[list[float], list[float]], x: float) -> float:
    """The y of the grid point at ``x`` (the grid must hold it)."""
    hits = [i for i, v in enumerate(xy[0]) if math.isclose(v, x, abs_tol=1e-9)]
    assert len(hits) == 1, f"no single grid point at {x}"
    return xy[1][hits[0]]


def _follows(xy: tuple[list[float], list[float]], formula: Callable[[float], float]) -> None:
    """Every point of the curve is ``formula(x)``."""
    assert xy[1] == pytest.approx([formula(x) for x in xy[0]], rel=1e-9, abs=1e-12)


@pytest.mark.parametrize(("base", "ln_b"), [("e", 1.0), ("2", math.log(2)), ("10", math.log(10))])
def test_logloss_chart_numbers(
    base: str, ln_b: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    loss, grad = _charts(monkeypatch, "logloss", "--base", base)
    name = {"e": "ln", "2": "log2", "10": "log10"}[base]
    log_loss, squared = _series(loss, f"-{name} p"), _series(loss, "(1-p)^2")
    grad_ce, grad_se = _series(grad, "cross-entropy"), _series(grad, "squared error")
    for curve in (log_loss, squared, grad_ce, grad_se):
        assert (curve[0][0], curve[0][-1], len(curve[0])) == pytest.approx((0.01, 0.99, 197))
    # Loss: -log_b p, and (1-p)^2 whatever the base.
    _follows(log_loss, lambda p: -math.log(p) / ln_b)
    _follows(squared, lambda p: (1 - p) ** 2)
    # Gradient at the logit z, p = sigmoid(z), dp/dz = p(1-p):
    # d(-log_b p)/dz = -(1-p)/ln b; d(1-p)^2/dz = -2(1-p) p(1-p) = -2p(1-p)^2.
    _follows(grad_ce, lambda p: (1 - p) / ln_b)
    _follows(grad_se, lambda p: 2 * p * (1 - p) ** 2)
    # A few points worked out by hand.
    assert _at(log_loss, 0.5) == pytest.approx(math.log(2) / ln_b)
    assert _at(squared, 0.1) == pytest.approx(0.81)
    assert _at(grad_ce, 0.1) == pytest.approx(0.9 / ln_b)
    assert _at(grad_ce, 0.5) == pytest.approx(0.5 / ln_b)
    assert _at(grad_se, 0.1) == pytest.approx(2 * 0.1 * 0.81)  # 0.162: fades where p is wrong
    assert _at(grad_se, 0.5) == pytest.approx(0.25)
    assert _at(grad_se, 0.01) == pytest.approx(2 * 0.01 * 0.99**2)
    # The squared-error gradient peaks at p = 1/3 (d/dp 2p(1-p)^2 = 2(1-p)(1-3p) = 0).
    top = max(range(len(grad_se[1])), key=grad_se[1].__getitem__)
    assert grad_se[0][top] == pytest.approx(1 / 3, abs=0.005)


@pytest.mark.parametrize(("base", "ln_b"), [("e", 1.0), ("bits", math.log(2))])
def test_surprisal_chart_numbers(
    base: str, ln_b: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    (chart,) = _charts(monkeypatch, "surprisal", "--base", base)
    name = "ln" if base == "e" else "log2"
    curve = _series(chart, f"-{name} p")
    assert (curve[0][0], curve[0][-1], len(curve[0])) == pytest.approx((0.01, 1.0, 199))
    _follows(curve, lambda p: -math.log(p) / ln_b)
    assert _at(curve, 1.0) == 0.0  # a certain outcome costs nothing
    assert _at(curve, 0.5) == pytest.approx(math.log(2) / ln_b)
    marked = _series(chart, "p = 0.5, 0.1, 0.01")
    assert marked[0] == pytest.approx([0.5, 0.1, 0.01])
    assert marked[1] == pytest.approx([math.log(2) / ln_b, math.log(10) / ln_b,
                                       math.log(100) / ln_b])
    if base == "bits":
        assert marked[1] == pytest.approx([1.0, 3.321928, 6.643856], rel=1e-6)


@pytest.mark.parametrize(
    ("base", "ln_b", "peak"),
    [("e", 1.0, 0.6931471805599453), ("2", math.log(2), 1.0), ("10", math.log(10), 0.30103)],
)
def test_entropy_chart_numbers(
    base: str, ln_b: float, peak: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    (chart,) = _charts(monkeypatch, "entropy", "--base", base)
    curve = _series(chart, "H(p)")
    assert (curve[0][0], curve[0][-1], len(curve[0])) == pytest.approx((0.0, 1.0, 201))

    def h(p: float) -> float:
        return -sum(x * math.log(x) for x in (p, 1 - p) if x > 0) / ln_b

    _follows(curve, h)
    assert _at(curve, 0.0) == 0.0 and _at(curve, 1.0) == 0.0  # certain: no uncertainty
    # ln 2 nats = 1 bit = log10 2 bans, at p = 0.5, and nowhere higher.
    assert _at(curve, 0.5) == pytest.approx(peak, rel=1e-5)
    assert max(curve[1]) == _at(curve, 0.5)
    # Symmetric: H(0.1) = H(0.9) = -(0.1 ln 0.1 + 0.9 ln 0.9) = 0.325083 nats.
    assert _at(curve, 0.1) == pytest.approx(0.3250829733914482 / ln_b)
    assert _at(curve, 0.9) == pytest.approx(0.3250829733914482 / ln_b)
    assert chart.ylim == pytest.approx((0.0, 1.05 * peak), rel=1e-5)


@pytest.mark.parametrize(("base", "ln_b"), [("e", 1.0), ("2", math.log(2))])
def test_focal_chart_numbers(base: str, ln_b: float, monkeypatch: pytest.MonkeyPatch) -> None:
    (chart,) = _charts(monkeypatch, "focal", "--base", base)
    assert [s.label for s in chart.series] == ["γ=0", "γ=0.5", "γ=1", "γ=2", "γ=5"]

    def focal(gamma: float, p: float) -> float:
        return -math.pow(1 - p, gamma) * math.log(p) / ln_b

    for gamma in (0.0, 0.5, 1.0, 2.0, 5.0):
        curve = _series(chart, f"γ={gamma:g}")
        assert (curve[0][0], curve[0][-1], len(curve[0])) == pytest.approx((0.01, 1.0, 199))
        _follows(curve, functools.partial(focal, gamma))
        assert _at(curve, 1.0) == 0.0
        # At p_t = 0.5: -(0.5)^γ ln 0.5 = 0.5^γ ln 2.
        assert _at(curve, 0.5) == pytest.approx(0.5**gamma * math.log(2) / ln_b)
    # γ = 0 is plain cross-entropy; γ = 2 at p_t = 0.9 keeps 1% of it.
    assert _at(_series(chart, "γ=0"), 0.1) == pytest.approx(math.log(10) / ln_b)
    assert _at(_series(chart, "γ=2"), 0.9) == pytest.approx(0.01 * math.log(1 / 0.9) / ln_b)


@pytest.mark.parametrize(
    ("args", "epsilon", "k", "ln_b"),
    [([], 0.1, 5, 1.0), (["-e", "0.3", "-k", "3", "--base", "2"], 0.3, 3, math.log(2))],
)
def test_smoothing_chart_numbers(
    args: list[str], epsilon: float, k: int, ln_b: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    target, loss = _charts(monkeypatch, "smoothing", *args)
    assert list(target.categories) == [str(i) for i in range(k)]
    hard, smooth = _series(target, "hard y"), _series(target, "smoothed y'")
    assert hard[0] == smooth[0] == [float(i) for i in range(1, k + 1)]
    assert hard[1] == [1.0] + [0.0] * (k - 1)
    # y' = (1-ε) y + ε/K: the true class keeps 1-ε+ε/K, the others ε/K each.
    assert smooth[1] == pytest.approx([(1 - epsilon) * y + epsilon / k for y in hard[1]])
    assert sum(smooth[1]) == pytest.approx(1.0)
    if (epsilon, k) == (0.1, 5):
        assert smooth[1] == pytest.approx([0.92, 0.02, 0.02, 0.02, 0.02])
    else:
        assert smooth[1] == pytest.approx([0.8, 0.1, 0.1])

    # Loss against p, the rest (1-p)/(K-1) each.
    def ce(y_true: float, p: float) -> float:
        rest = (1 - p) / (k - 1)
        return -(y_true * math.log(p) + (1 - y_true) * math.log(rest)) / ln_b

    plain, smoothed = _series(loss, "ε = 0"), _series(loss, f"ε = {epsilon:g}")
    for curve in (plain, smoothed):
        assert (curve[0][0], curve[0][-1], len(curve[0])) == pytest.approx((0.05, 0.995, 190))
    _follows(plain, lambda p: ce(1.0, p))
    best = 1 - epsilon + epsilon / k
    _follows(smoothed, lambda p: ce(best, p))
    # The smoothed loss is lowest at p = 1-ε+ε/K, where it equals the entropy of y'.
    lowest = _series(loss, "lowest")
    assert lowest[0] == pytest.approx([best])
    assert lowest[1] == pytest.approx([_h(smooth[1]) / ln_b])
    at = min(range(len(smoothed[1])), key=smoothed[1].__getitem__)
    assert smoothed[0][at] == pytest.approx(best, abs=0.005)
    assert min(plain[1]) == plain[1][-1]  # without smoothing it keeps falling to p = 1


def test_compare_chart_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    (chart,) = _charts(monkeypatch, "compare", "2,3,5", "1,2,7", "--normalize",
                       "--labels", "a,b,c")
    assert list(chart.categories) == ["a", "b", "c"]
    p, q = _series(chart, "P"), _series(chart, "Q")
    assert p[0] == q[0] == [1.0, 2.0, 3.0]
    assert p[1] == pytest.approx([0.2, 0.3, 0.5])
    assert q[1] == pytest.approx([0.1, 0.2, 0.7])


# --------------------------------------------------------------------------- saving


def test_save_text(tmp_path: Path) -> None:
    target = tmp_path / "focal.txt"
    result = runner.invoke(app, ["plot", "focal", "--save", str(target), *SIZE])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == f"Saved the plot to {target} (text).\n"
    text = target.read_text(encoding="utf-8")
    assert "Focal loss -(1-p_t)^γ ln p_t in nats" in text
    assert ESC not in text
    assert len(text.splitlines()) == 21


def test_save_html(tmp_path: Path) -> None:
    target = tmp_path / "compare.html"
    result = runner.invoke(
        app, ["plot", "compare", "0.2,0.3,0.5", "0.1,0.2,0.7", "--save", str(target)]
    )
    assert result.exit_code == 0
    assert result.stderr == f"Saved the plot to {target} (HTML).\n"
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<pre>" in page and "H(P) = " in page
    assert ESC not in page


def test_save_to_a_missing_folder_is_an_error(tmp_path: Path) -> None:
    target = tmp_path / "nowhere" / "plot.txt"
    result = runner.invoke(app, ["plot", "entropy", "--save", str(target)])
    assert result.exit_code == 2
    assert result.stderr == f"Error: cannot write {target}: No such file or directory\n"


def test_save_htm_is_a_web_page_too(tmp_path: Path) -> None:
    target = tmp_path / "entropy.HTM"
    result = runner.invoke(app, ["plot", "entropy", "--save", str(target), *SIZE])
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == f"Saved the plot to {target} (HTML).\n"
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def _save(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["plot", "entropy", *SIZE, *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("x.png", "x.png must end in .txt, .html or .htm (the format follows the name)"),
        ("plot", "plot must end in .txt, .html or .htm (the format follows the name)"),
        ("", "--save needs a file name"),
        (".", "--save needs a file name"),
        ("sub", "sub is a folder; --save needs a file name"),
        ("sub.txt", "sub.txt is a folder; --save needs a file name"),
    ],
)
def test_save_refuses_names_it_cannot_write(
    name: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub.txt").mkdir()
    assert _save("--save", name) == (2, "", f"Error: {message}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sub", "sub.txt"]


def test_force_needs_save() -> None:
    assert _save("--force") == (
        2, "", "Error: Invalid value for '--force': only goes with --save. "
        "See 'xent plot entropy --help'.\n")


@pytest.mark.parametrize("name", ["notes.txt", "page.html"])
def test_save_refuses_an_existing_file(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path(name).write_bytes(b"keep me\n\x00")
    assert _save("--save", name) == (
        2, "", f"Error: {name} already exists; add --force to replace it\n")
    assert Path(name).read_bytes() == b"keep me\n\x00"


def test_save_force_replaces_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "entropy.txt"
    target.write_text("an older plot", encoding="utf-8")
    assert _save("--save", str(target), "--force") == (
        0, "", f"Saved the plot to {target} (text).\n")
    assert "Binary entropy H(p)" in target.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["entropy.txt"]


def _progress_file() -> Path:
    import os

    from xentcli.quiz.store import open_progress

    open_progress()  # creates the database, as the first quiz does
    return Path(os.environ["XENT_HOME"]) / "progress.db"


@pytest.mark.parametrize("ending", ["", "-wal", "-shm"])
@pytest.mark.parametrize("force", [[], ["--force"]])
def test_save_never_writes_over_the_progress_file(ending: str, force: list[str]) -> None:
    database = _progress_file()
    target = database.with_name(database.name + ending)
    target.touch()
    before = {p.name: p.read_bytes() for p in database.parent.iterdir()}
    assert _save("--save", str(target), *force) == (
        2, "", f"Error: {target} is your progress file; choose another name\n")
    assert {p.name: p.read_bytes() for p in database.parent.iterdir()} == before


def test_save_sees_through_a_link_to_the_progress_file(tmp_path: Path) -> None:
    database = _progress_file()
    before = database.read_bytes()
    link = tmp_path / "plot.txt"
    link.symlink_to(database)
    assert _save("--save", str(link), "--force") == (
        2, "", f"Error: {link} is your progress file; choose another name\n")
    assert database.read_bytes() == before


def test_write_atomically_keeps_the_old_file_when_writing_fails(tmp_path: Path) -> None:
    target = tmp_path / "plot.txt"
    target.write_text("the old plot", encoding="utf-8")

    def half(handle: TextIO) -> None:
        handle.write("half a plo")
        raise OSError(28, "No space left on device")

    with pytest.raises(InputError) as caught:
        write_atomically(target, half)
    assert str(caught.value) == f"cannot write {target}: No space left on device"
    assert target.read_text(encoding="utf-8") == "the old plot"
    assert [p.name for p in tmp_path.iterdir()] == ["plot.txt"]


def test_write_atomically_gives_the_usual_permissions(tmp_path: Path) -> None:
    import os
    import stat

    umask = os.umask(0o022)
    os.umask(umask)
    target = tmp_path / "plot.txt"
    write_atomically(target, lambda handle: handle.write("a plot\n"))
    assert target.read_text(encoding="utf-8") == "a plot\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


# --------------------------------------------------------------------------- colour


def test_colour_only_when_the_terminal_takes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    coloured = runner.invoke(app, ["plot", "entropy", *SIZE])
    assert ESC in coloured.stdout
    monkeypatch.setenv("NO_COLOR", "1")
    plain = runner.invoke(app, ["plot", "entropy", *SIZE])
    assert ESC not in plain.stdout
    assert "Binary entropy H(p)" in plain.stdout


# ------------------------------------------------------------------------- start-up


def test_help_does_not_import_plotext_or_numpy() -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from xentcli.cli.app import app\n"
        "for args in (['--help'], ['plot', '--help'], ['plot', 'focal', '--help'],"
        " ['learn', '--help']):\n"
        "    assert CliRunner().invoke(app, args).exit_code == 0, args\n"
        "print(sorted(m for m in ('plotext', 'numpy') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[]\n"


# ----------------------------------------------------------------- distribution bars


def test_bars_one_distribution() -> None:
    text = distribution_bars([0.5, 0.25, 0.25], width=40)
    lines = text.splitlines()
    assert lines[0] == "class  P"
    assert [line.split()[:2] for line in lines[1:]] == [["0", "0.500"], ["1", "0.250"],
                                                          ["2", "0.250"]]
    assert max(len(line) for line in lines) <= 40
    # One scale: probability 0.5 draws twice the bar of 0.25.
    bars = [line.split()[2] for line in lines[1:]]
    assert _eighths(bars[0]) == 2 * _eighths(bars[1])


def _eighths(bar: str) -> int:
    partial = " ▏▎▍▌▋▊▉"
    return sum(8 if ch == "█" else partial.index(ch) for ch in bar)


def test_bars_full_length_means_probability_one() -> None:
    lines = distribution_bars([1.0, 0.0], width=40).splitlines()
    full = lines[1].split()[2]
    assert set(full) == {"█"}
    assert len(lines[1]) == 40  # the bar takes all the room the width leaves
    assert lines[2].split() == ["1", "0.000"]


def test_bars_two_distributions_side_by_side() -> None:
    text = distribution_bars([0.2, 0.8], [0.5, 0.5], labels=["cat", "dog"], width=60,
                             names=("TARGET", "PRED"))
    lines = text.splitlines()
    assert lines[0].split() == ["class", "TARGET", "PRED"]
    assert lines[1].split()[0:2] == ["cat", "0.200"]
    assert "0.500" in lines[1] and "0.800" in lines[2]
    assert max(len(line) for line in lines) <= 60
    assert ESC not in text


def test_bars_class_index_target_is_one_hot() -> None:
    text = distribution_bars(np.int64(2), [0.1, 0.2, 0.7], names=("TARGET", "PRED"))
    rows = [line.split()[:2] for line in text.splitlines()[1:]]
    assert rows == [["0", "0.000"], ["1", "0.000"], ["2", "1.000"]]


def test_bars_accept_one_row_and_tiny_values() -> None:
    text = distribution_bars(np.array([[1e-7, 1 - 1e-7]]))
    assert "1.0e-07 ▏" in text  # a positive probability never vanishes


@pytest.mark.parametrize(
    ("p", "q", "labels", "message"),
    [
        ([0.5, 0.5], [1.0], None, "P has 2 classes but Q has 1; they must have the same length"),
        ([[0.5, 0.5], [0.2, 0.8]], None, None, "--plot draws a single distribution, but P has 2 rows"),
        ([0.5, 0.5], None, ["a"], "1 labels given for 2 classes"),
        (5, [0.5, 0.5], None, "P class index 5 is out of range for 2 classes"),
    ],
)
def test_bars_errors(p: object, q: object, labels: list[str] | None, message: str) -> None:
    with pytest.raises(InputError) as caught:
        distribution_bars(p, q, labels=labels)
    assert str(caught.value) == message


def test_format_number() -> None:
    assert [format_number(v) for v in (0.5, 1 / 3, 0.0, 2e-5, math.inf)] == [
        "0.500", "0.333", "0.000", "2.0e-05", "inf"]


# --------------------------------------------------------------------------- charts


def test_render_chart_from_numpy_arrays() -> None:
    x = np.linspace(0.0, 1.0, 11)
    chart = Chart("Straight", "x axis", "y axis", [Series("y = 2x", x, 2 * x)], legend="none")
    text = render_chart(chart, width=40, height=12)
    lines = text.splitlines()
    assert lines[0].strip() == "Straight"
    assert "x axis" in lines[-1] and "y axis" in lines[-1]
    assert len(lines) == 12 and max(len(line) for line in lines) <= 40


def test_long_title_is_cut_not_dropped() -> None:
    chart = Chart("A title far too long for such a narrow plot", series=[
        Series("s", [0, 1], [0, 1])], legend="none")
    first = render_chart(chart, width=30, height=10).splitlines()[0]
    assert first.strip().startswith("A title") and first.strip().endswith("…")


def test_key_uses_the_marker_glyphs() -> None:
    series = [Series("a", [0], [0]), Series("b", [0], [0], "dot"), Series("c", [0], [0], "+")]
    assert key(series) == "▚ a  • b  + c"


def test_save_chart_returns_the_format(tmp_path: Path) -> None:
    chart = Chart("Saved", series=[Series("s", [0, 1], [1, 0])])
    assert save_chart(chart, tmp_path / "a.HTML") == "HTML"
    assert save_chart(chart, tmp_path / "a.txt") == "text"
    assert (tmp_path / "a.txt").read_text(encoding="utf-8").splitlines()[0].strip().startswith(
        "Saved")


def test_an_old_plotext_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    monkeypatch.setitem(sys.modules, "plotext", types.SimpleNamespace(__version__="5.2.8"))
    result = runner.invoke(app, ["plot", "entropy", *SIZE])
    assert result.exit_code == 2
    assert result.stderr == "Error: plotting needs plotext 6.1 or newer, found 5.2.8\n"

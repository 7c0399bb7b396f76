"""`xent calc`: cases found in a hands-on review (worked solutions, layouts, edges).

Expected values are hand computations with ``math``, not calls to the core.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import pytest
from messages import wrapped
from typer.testing import CliRunner

from xentcli.cli.app import app

runner = CliRunner()


def calc(*args: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a numpy warning must never reach the user
        result = runner.invoke(app, ["calc", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result


def explain(*args: str) -> list[str]:
    result = calc(*args, "--explain")
    assert result.exit_code == 0, result.stderr
    lines: list[str] = result.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), [x for x in lines if len(x) > 80]
    return lines


def test_huge_logits_explain_without_numpy_warnings() -> None:
    # exp(-1e308 - 1e308) overflows the subtraction to -inf: exp gives 0, silently.
    for args in (
        ["softmax", "1e308,-1e308"],
        ["ce", "0", "1e308,-1e308", "--logits"],
        ["grad", "0", "1e308,-1e308"],
        ["focal", "0", "1e308,-1e308", "--logits"],
    ):
        lines = explain(*args)
        assert any(line.startswith("Result") for line in lines), args
    assert "  exp(z - 1e+308) = [1, 0]" in explain("ce", "0", "1e308,-1e308", "--logits")


def test_explain_says_which_left_out_terms_are_zero() -> None:
    # 20 equally likely classes: every term is -(1/20) ln(1/20) = ln(20)/20, none is 0.
    lines = explain("entropy", ",".join(["1/20"] * 20))
    assert f"  i=11:  -0.05 · ln 0.05 = {math.log(20) / 20:.6g}" in lines
    assert "  ... 8 more classes, not shown (their terms are in the sum)" in lines
    assert not any("with a term of 0" in line for line in lines)
    # 5 impossible classes and 15 at 1/15: 12 shown, 3 non-zero and 5 zero ones left out.
    lines = explain("entropy", ",".join(["0"] * 5 + ["1/15"] * 15))
    assert "  ... 8 more classes, not shown (3 with a non-zero term, in the sum)" in lines
    assert f"H(P) = sum of the 20 terms = {math.log(15):.6g} nats" in lines
    # A one-hot target over 20 classes: 19 zero terms left out.
    pred = ",".join(["0.05"] * 20)
    lines = explain("ce", "3", pred)
    assert "  ... 19 more classes with a term of 0" in lines


def test_explain_grad_says_how_many_classes_are_left_out() -> None:
    lines = explain("grad", "0", ",".join(["0"] * 15))
    # q_i = 1/15 everywhere: q_0 - 1 for the true class, q_i for the others.
    assert f"  i=0:  {1 / 15:.6g} - 1 = {1 / 15 - 1:.6g}" in lines
    assert "  ... 3 more classes, computed the same way" in lines


def test_explain_grad_in_bits_divides_each_line_by_ln_base() -> None:
    # softmax(-1, 0, 2) = (0.0420101, 0.114195, 0.843795); in bits each part / ln 2.
    z = (-1.0, 0.0, 2.0)
    total = sum(math.exp(v) for v in z)
    q = [math.exp(v) / total for v in z]
    lines = explain("grad", "2", "-1,0,2", "--base", "2")
    assert "The loss is in bits, so each component is divided by ln 2:" in lines
    assert f"  i=0:  ({q[0]:.6g} - 0) / ln 2 = {q[0] / math.log(2):.6g}" in lines
    assert f"  i=2:  ({q[2]:.6g} - 1) / ln 2 = {(q[2] - 1) / math.log(2):.6g}" in lines
    lines = explain("grad", "2", "-1,0,2", "--base", "3", "--weights", "1,2,3")
    assert f"  i=1:  (3 · {q[1]:.6g} - 2 · 0) / ln 3 = {3 * q[1] / math.log(3):.6g}" in lines
    assert not any("ln _3" in line for line in lines)


def test_bce_human_view_counts_labels_not_rows() -> None:
    # -ln 0.9, -ln 0.8 | -ln 0.7, -ln 0.6: BCE reduces over all four labels.
    losses = [-math.log(0.9), -math.log(0.8), -math.log(0.7), -math.log(0.6)]
    args = ("bce", "1,0;0,1", "0.9,0.2;0.3,0.6")
    out = calc(*args).stdout
    assert out == (
        f"binary cross-entropy  BCE(TARGET, PRED) = {sum(losses) / 4:.6g} nats"
        "   (mean over 4 labels)\n"
    )
    out = calc(*args, "-r", "sum").stdout
    assert out.endswith(f"= {sum(losses):.6g} nats   (sum over 4 labels)\n")
    lines = calc(*args, "-r", "none").stdout.splitlines()
    assert lines == [
        "binary cross-entropy  BCE(TARGET, PRED)   (one value per label, 2 rows, in nats)",
        f"[{losses[0]:.6g}, {losses[1]:.6g}]",
        f"[{losses[2]:.6g}, {losses[3]:.6g}]",
    ]


def test_bce_one_row_without_reduction_is_one_value_per_label() -> None:
    lines = calc("bce", "1,0", "0.9,0.2", "-r", "none").stdout.splitlines()
    assert lines[0].endswith("(one value per label, in nats)")
    assert lines[1].split() == ["label", "value"]
    assert lines[3].split() == ["0", f"{-math.log(0.9):.6g}"]
    assert calc("bce", "1,0", "0.9,0.2").stdout.splitlines()[2].split()[0] == "label"


def test_explain_focal_names_the_alpha_weighted_cross_entropy() -> None:
    # γ = 0 with α = 0.25: 0.25 · -ln 0.7, which is not the cross-entropy -ln 0.7.
    lines = explain("focal", "2", "0.1,0.2,0.7", "--alpha", "0.25")
    text = " ".join(lines)
    assert f"it would be the α-weighted cross-entropy, {-0.25 * math.log(0.7):.6g}" in text
    lines = explain("focal", "2", "0.1,0.2,0.7")
    assert f"it would be the cross-entropy, {-math.log(0.7):.6g} nats" in " ".join(lines)
    lines = explain("focal", "2", "0.1,0.2,0.7", "--gamma", "0")
    assert "With γ = 0 the factor is 1: this is the cross-entropy." in lines


def test_explain_never_shows_a_clipped_probability_as_1() -> None:
    # p = 1 clipped to 1 - 1e-7: -ln(1 - p) = -ln(1e-7) = 7 ln 10.
    lines = explain("bce", "1,0", "0.9,1", "--eps", "1e-7")
    assert f"  j=1:  y = 0, p = 0.9999999:  -ln(1 - 0.9999999) = {7 * math.log(10):.6g}" in lines
    lines = explain("ce", "0", "1,0", "--eps", "1e-7")
    assert "  q = [0.9999999, 1e-07]" in lines
    assert "  i=0:  -1 · ln 0.9999999 = 1e-07" in lines


def test_parse_errors_count_rows_and_positions_from_0_like_the_core() -> None:
    # The core calls the second row "row 1"; the parser must not call it "row 2".
    core = calc("entropy", "0.5,0.5;0.5,0.6")
    assert core.stderr == "Error: P row 1 sums to 1.1, not 1 (use --normalize to rescale it)\n"
    parser = calc("entropy", "0.5,0.5;0.5,x")
    assert parser.exit_code == 2
    assert parser.stderr == "Error: P: 'x' is not a number (row 1, index 1)\n"
    negative = calc("entropy", "0.5,-0.5")
    assert negative.stderr == "Error: P has a negative probability -0.5 at index 1\n"
    assert calc("entropy", "0.5,abc").stderr == "Error: P: 'abc' is not a number (index 1)\n"
    assert calc("entropy", ",").stderr == "Error: P is empty: give numbers like 0.2,0.3,0.5\n"


def test_grad_headline_keeps_the_loss_unit_whole_within_80_columns() -> None:
    z = (-1.0, 0.0, 2.0)
    total = sum(math.exp(v) for v in z)
    g = [math.exp(z[0]) / total, math.exp(z[1]) / total, math.exp(z[2]) / total - 1]
    lines = calc("grad", "2", "-1,0,2").stdout.splitlines()
    assert lines[:2] == [
        f"gradient of the cross-entropy  dH/dZ = [{g[0]:.6g}, {g[1]:.6g}, {g[2]:.6g}]",
        "(loss in nats)",
    ]
    # Short enough: the unit stays on the headline.
    q = 1 / (1 + math.exp(-1))  # softmax(1, 2)_1 = sigmoid(1)
    lines = calc("grad", "1", "1,2").stdout.splitlines()
    assert lines[0] == (
        f"gradient of the cross-entropy  dH/dZ = [{1 - q:.6g}, {q - 1:.6g}]   (loss in nats)"
    )


def test_infinite_note_with_logits_does_not_suggest_logits() -> None:
    cases = {
        ("ce", "1", "0,-inf", "--logits"): "softmax(PRED) gives probability 0 to a class "
        "that TARGET has",
        ("kl", "0.5,0.5", "0,-inf", "--logits"): "softmax(Q) gives probability 0 to a class "
        "that P has",
        ("bce", "1", "-inf", "--logits"): "sigmoid(PRED) is exactly 0 or 1 where a label "
        "says otherwise",
    }
    for args, reason in cases.items():
        result = calc(*args, "-q")
        assert (result.exit_code, result.stdout) == (0, "inf\n"), args
        assert " ".join(result.stderr.split()) == (
            f"Note: the result is infinite: {reason}. Use --eps 1e-7 to clip it."
        )
    # And --eps does clip it: -ln(1e-7) = 7 ln 10.
    assert float(calc("ce", "1", "0,-inf", "--logits", "--eps", "1e-7", "-q").stdout) == (
        pytest.approx(7 * math.log(10))
    )


def test_explain_normalize_shows_the_rescaled_vectors() -> None:
    lines = explain("kl", "1,1", "1,3", "--normalize")
    assert lines[1:5] == [
        "--normalize: P divided by its sum 2.",
        "  p = [0.5, 0.5]",
        "--normalize: Q divided by its sum 4.",
        "  q = [0.25, 0.75]",
    ]
    kl = 0.5 * math.log(0.5 / 0.25) + 0.5 * math.log(0.5 / 0.75)
    assert lines[-1] == f"Result: D_KL(P || Q) = {kl:.6g} nats"
    lines = explain("ce", "1,1,0", "2,1,1", "--normalize")
    assert "  q = [0.5, 0.25, 0.25]" in lines


def test_a_number_too_large_for_a_float_is_named_as_typed() -> None:
    # 1e309 reads as inf in floating point; the error names what was typed.
    for args, message in {
        ("entropy", "1e309,0"): "P: '1e309' is too large for a number (index 0)",
        ("softmax", "0;-1e309"): "Z: '-1e309' is too large for a number (row 1, index 0)",
        ("softmax", "1e308/1e-308,0"): "Z: '1e308/1e-308' is too large for a number (index 0)",
    }.items():
        result = calc(*args)
        assert result.exit_code == 2
        assert result.stderr == wrapped(f"Error: {message}: the largest is about 1.8e308\n")
    assert calc("softmax", "-inf,0", "-q").stdout == "0.0 1.0\n"
    assert calc("softmax", "1e308,0", "-q").stdout == "1.0 0.0\n"


def test_grad_help_bounds_only_the_unweighted_gradient() -> None:
    # With --weights 1,2,3 and class 2: 3 · q_2 - 3 can reach -3, outside [-1, 1].
    out = runner.invoke(app, ["calc", "grad", "--help"]).stdout
    assert "Without --weights each component is in" in out
    g = calc("grad", "2", "0,0,-30", "--weights", "1,2,3", "-q").stdout.split()
    assert float(g[2]) < -1

"""Calculator input that used to be read as something it is not (issue 17, D18)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from messages import squash, wrapped
from typer.testing import CliRunner

from xentcli.cli.app import app

runner = CliRunner()


def _calc(*args: str, stdin: str = "") -> tuple[int, str, str]:
    result = runner.invoke(app, ["calc", *args], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_a_written_out_overflow_in_a_file_is_an_error_not_a_masked_class(
    tmp_path: Path,
) -> None:
    data = tmp_path / "z.csv"
    data.write_text("0.5,0.5\n-1e999,1\n")
    assert _calc("softmax", f"@{data}", "-q") == (2, "", wrapped(
        f"Error: Z: '-1e999' is too large for a number (@{data} line 2, index 0): "
        "the largest is about 1.8e308\n"
    ))


def test_a_written_out_overflow_on_stdin_is_an_error_too() -> None:
    assert _calc("softmax", "-", "-q", stdin="-1e999,1\n") == (2, "", (
        "Error: Z: '-1e999' is too large for a number (standard input line 1, index 0):\n"
        "       the largest is about 1.8e308\n"
    ))


def test_a_literal_minus_inf_in_a_file_is_still_a_masked_class(tmp_path: Path) -> None:
    data = tmp_path / "z.csv"
    data.write_text("-inf,0\n")
    assert _calc("softmax", f"@{data}", "-q") == (0, "0.0 1.0\n", "")


@pytest.mark.parametrize(("typed", "message"), [
    ("[0.5,0.5", "Error: P: a '[' is never closed: write ] after the numbers\n"),
    ("[[0.5,0.5]]]]]", "Error: P: a ']' closes nothing: check the brackets\n"),
    ("[0.5,0.5)", "Error: P: a ')' closes nothing: check the brackets\n"),
    ("[[[0.5,0.5]]]",
     "Error: P: brackets nest more than two deep; a batch is [[a, b], [c, d]]\n"),
])
def test_brackets_that_do_not_pair_are_refused(typed: str, message: str) -> None:
    assert _calc("entropy", typed, "-q") == (2, "", message)


@pytest.mark.parametrize("typed", ["[0.5,0.5]", "(0.5, 0.5)", "[[0.5,0.5],[0.5,0.5]]"])
def test_brackets_that_pair_are_read(typed: str) -> None:
    code, out, err = _calc("entropy", typed, "-q")
    assert (code, err) == (0, "")
    assert abs(float(out) - 0.6931471805599453) < 1e-15


def test_an_endless_line_on_stdin_is_refused_while_it_is_read() -> None:
    # `xent calc entropy - < /dev/zero` grew without limit (5 GB in 10 s).
    code, out, err = _calc("entropy", "-", "-q", stdin="\0" * (1_100_000))
    assert (code, out) == (2, "")
    assert err == "Error: P: standard input line 1 is longer than 1 MB of text: one row per line\n"


def test_a_file_line_past_the_limit_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "wide.csv"
    data.write_text("0.5," * 300_000 + "0.5\n")
    code, out, err = _calc("entropy", f"@{data}", "-q")
    assert (code, out) == (2, "")
    assert err == wrapped(
        f"Error: P: @{data} line 1 is longer than 1 MB of text: one row per line\n")


def _note(stderr: str) -> str:
    """One note as printed: within 80 columns, continued under its text; squashed."""
    lines = stderr.splitlines()
    assert lines and lines[0].startswith("Note: "), stderr
    assert all(len(line) <= 80 and line.startswith("      ") for line in lines[1:]), stderr
    return squash(stderr)


OVERFLOW_NOTE = ("Note: the result overflows: its exact value is finite, but it or a step on "
                 "the way is beyond the largest float, about 1.8e308 (huge weights or "
                 "logits, or a base near 1).")


@pytest.mark.parametrize("args", [
    # Issue 17 D3: no probability is 0 or 1 here; the loss is 3e315, past the largest float.
    ["bce", "1", "0.5", "--base", "1.0000000000000002", "--pos-weight", "1e300"],
    ["bce", "0.2,0.3,0.5", "1e308,1e308,-1e308", "--logits", "--reduction", "sum"],
    ["ce", "0,1,0", "0.5,0.5;0.5,0.5;0.5,0.5", "--weights", "1e308", "--reduction", "sum"],
    ["ce", "0", "0,1", "--eps", "1e-7", "--weights", "1e308,1", "--reduction", "sum"],
    # A probability of 0 or 1 where the target needs none is no cause.
    ["ce", "0", "0.1,0.9,0", "--weights", "1e308,1,1", "--reduction", "sum"],
    ["focal", "0", "0.1,0.9,0", "--alpha", "1e308,1,1", "--reduction", "sum"],
    ["bce", "1,1,1,1", "1,0.5,0.5,0.5", "--pos-weight", "1e308", "--reduction", "sum"],
    ["ce", "0,-100", "0.1,0.9;0,1", "--weights", "1e308,1", "--ignore-index", "-100",
     "--reduction", "sum"],
    # Only a step overflows: log q = -2e308; the exact KL is about 1e308.
    ["kl", "0.5,0.5", "1e308,-1e308", "--logits"],
])
def test_an_overflow_is_called_an_overflow_not_a_probability_of_0(args: list[str]) -> None:
    code, out, err = _calc(*args)
    assert code == 0
    assert " = inf " in out.splitlines()[0]
    assert _note(err) == squash(OVERFLOW_NOTE)


@pytest.mark.parametrize("args, reason", [
    (["bce", "1", "0"], "PRED is exactly 0 or 1 where a label says otherwise. Use --eps 1e-7 "
                        "to clip PRED, or --logits if PRED holds logits."),
    (["ce", "0", "0,1"], "PRED gives probability 0 to a class that TARGET has. Use --eps 1e-7 "
                         "to clip PRED, or --logits if PRED holds logits."),
    (["bce", "1", "-inf", "--logits"], "sigmoid(PRED) is exactly 0 or 1 where a label says "
                                       "otherwise. Use --eps 1e-7 to clip it."),
    (["ce", "0,1", "0,1;0.5,0.5", "--weights", "1e308,1"],
     "PRED gives probability 0 to a class that TARGET has. Use --eps 1e-7 to clip PRED, or "
     "--logits if PRED holds logits."),
    # 1 - 1e-17 rounds to 1: clipping leaves p = 1 where the label is 0.
    (["bce", "0", "1", "--eps", "1e-17"], "PRED is exactly 0 or 1 where a label says "
     "otherwise, even clipped by --eps 1e-17: 1 - 1e-17 rounds to 1. Use --eps 1e-7 or more."),
    (["bce", "0", "40", "--logits", "--eps", "1e-17"], "sigmoid(PRED) is exactly 0 or 1 where "
     "a label says otherwise, even clipped by --eps 1e-17: 1 - 1e-17 rounds to 1. Use --eps "
     "1e-7 or more."),
])
def test_a_probability_of_0_is_still_named(args: list[str], reason: str) -> None:
    code, out, err = _calc(*args)
    assert (code, " = inf " in out.splitlines()[0]) == (0, True)
    assert _note(err) == squash(f"Note: the result is infinite: {reason}")


def test_huge_class_weights_show_a_table_that_adds_up_to_the_headline() -> None:
    # Issue 17 D2: the weights cancel in the mean, but w_i·y_i·ln q_i with w = 1e308
    # overflows: the table showed an inf term and "the terms' sum inf divided by 1e+308".
    code, out, err = _calc("ce", "0.5,0.5", "1e-300,1", "--weights", "1e308,1e308")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "cross-entropy  H(TARGET, PRED) = 345.388 nats"
    assert "inf" not in out
    assert "(weighted mean: the terms' sum 345.388 divided by Σ w_i·y_i = 1)" in lines
    assert _note(err) == squash("Note: the terms are shown with the weights divided by "
                                "1e+308, the largest, so that they fit in a float; a "
                                "weighted mean is the same for weights scaled alike.")
    code, out, err = _calc("ce", "0.5,0.5", "1e-300,1", "--weights", "1e308,1e308", "--json")
    result = json.loads(out)
    assert (result["terms"], result["terms_weights_divided_by"]) == (
        [result["value"], 0.0], 1e308)
    assert result["options"]["weights"] == [1e308, 1e308]  # as given
    plain = json.loads(_calc("ce", "0.5,0.5", "1e-300,1", "--weights", "2,2", "--json")[1])
    assert "terms_weights_divided_by" not in plain and plain["terms"] == [
        2 * result["value"], 0.0]

"""Hints that name the slip: logits without --logits, TARGET and PRED swapped,
a vector split into several arguments, probabilities given to grad.

Each message is pinned exactly, with the exit code and both streams.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from typer.testing import CliRunner

from xentcli.cli.app import app

runner = CliRunner()


def calc(*args: str) -> Any:
    return runner.invoke(app, ["calc", *args])


def fails(*args: str) -> str:
    result = calc(*args)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert len(result.stderr.rstrip("\n")) <= 80
    return str(result.stderr)


# ------------------------------------------------------------ logits as PRED


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ce", "0", "2.0,1.0,0.1"], "Error: PRED looks like logits (index 0 is 2): add --logits\n"),
        # A negative logit is not called a negative probability.
        (["ce", "0", "0.5,-1.0,0.1"], "Error: PRED looks like logits (index 1 is -1): add --logits\n"),
        (["focal", "0", "2,1,0.1"], "Error: PRED looks like logits (index 0 is 2): add --logits\n"),
        (["kl", "0.2,0.8", "0.5,-0.5"], "Error: Q looks like logits (index 1 is -0.5): add --logits\n"),
        (["bce", "1,0", "0.5,-3"], "Error: PRED looks like logits (index 1 is -3): add --logits\n"),
        (["ce", "0;1", "0.2,0.8;1.5,0.3"], "Error: PRED looks like logits (row 1, index 0 is 1.5): add --logits\n"),
        # Inside [0, 1] but summing to more than 1: logits as likely as probabilities.
        (["ce", "0", "0.9,0.8,0.1"], "Error: PRED sums to 1.8, not 1: logits? add --logits; else --normalize\n"),
        (["ce", "0;1", "0.5,0.5;0.9,0.8"], "Error: PRED row 1 sums to 1.7, not 1: logits? add --logits; else --normalize\n"),
        (["kl", "0.5,0.5", "0.9,0.8"], "Error: Q sums to 1.7, not 1: logits? add --logits; else --normalize\n"),
    ],
)
def test_logits_given_as_probabilities_suggest_logits(args: list[str], message: str) -> None:
    assert fails(*args) == message


def test_the_suggestion_is_right() -> None:
    # Following the hint gives the loss of those logits: -log softmax(z)_0.
    z = (2.0, 1.0, 0.1)
    expected = -(z[0] - math.log(sum(math.exp(v) for v in z)))
    result = calc("ce", "0", "2.0,1.0,0.1", "--logits", "-q")
    assert result.exit_code == 0
    assert float(result.stdout) == pytest.approx(expected, rel=1e-12)
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        # Inside [0, 1] a row that does not sum to 1 is a probability slip: rescale it.
        (["ce", "0", "0.2,0.3,0.4"], "Error: PRED sums to 0.9, not 1 (use --normalize to rescale it)\n"),
        (["ce", "0", "0.2,0.3,0.6"], "Error: PRED sums to 1.1, not 1 (use --normalize to rescale it)\n"),
        # With --logits, a bad logit keeps its own message.
        (["ce", "0", "inf,1", "--logits"], "Error: PRED has an invalid logit inf at index 0 (-inf is allowed)\n"),
        # A shape problem keeps its own message, whatever the numbers.
        (["ce", "0,0,1", "2,1"], "Error: TARGET has 3 values but PRED has 2\n"),
        # Entropy has no --logits: a negative probability is just that.
        (["entropy", "-0.5,1.5"], "Error: P has a negative probability -0.5 at index 0\n"),
    ],
)
def test_no_logits_hint_where_logits_are_not_the_slip(args: list[str], message: str) -> None:
    assert fails(*args) == message


def test_a_target_out_of_range_is_not_called_logits() -> None:
    assert fails("ce", "-0.5,1.5", "0.5,0.5").startswith(
        "Error: TARGET has a negative probability -0.5 at index"
    )


# ----------------------------------------------------------- swapped arguments

SWAPPED_CE = (
    "Note: the result is infinite: PRED is one-hot and TARGET is not, so they look\n"
    "      swapped: the true distribution comes first, then the prediction. Try:\n"
    "      xent calc ce 0,0,1 0.1,0.2,0.7\n"
)


def test_swapped_target_and_pred_are_named() -> None:
    result = calc("ce", "0.1,0.2,0.7", "0,0,1", "-q")
    assert result.exit_code == 0
    assert result.stdout == "inf\n"
    assert result.stderr == SWAPPED_CE
    assert all(len(line) <= 80 for line in result.stderr.splitlines())


def test_swapped_kl_and_files(tmp_path: Any) -> None:
    result = calc("kl", "0.2,0.8", "1,0", "-q")
    assert (result.exit_code, result.stdout) == (0, "inf\n")
    assert result.stderr == (
        "Note: the result is infinite: Q is one-hot and P is not, so they look swapped:\n"
        "      the true distribution comes first, then the prediction. Try:\n"
        "      xent calc kl 1,0 0.2,0.8\n"
    )
    target, pred = tmp_path / "t.csv", tmp_path / "p.csv"
    target.write_text("0.1,0.9\n0.5,0.5\n")
    pred.write_text("1,0\n0,1\n")
    result = calc("ce", f"@{target}", f"@{pred}", "-q")
    assert (result.exit_code, result.stdout) == (0, "inf\n")
    # A file cannot be swapped for the user: no command to copy.
    assert result.stderr == (
        "Note: the result is infinite: PRED is one-hot and TARGET is not, so they look\n"
        "      swapped: the true distribution comes first, then the prediction.\n"
    )


def test_a_one_hot_target_keeps_the_eps_note() -> None:
    result = calc("ce", "0,1", "1,0", "-q")
    assert result.stderr == (
        "Note: the result is infinite: PRED gives probability 0 to a class that TARGET\n"
        "      has. Use --eps 1e-7 to clip PRED, or --logits if PRED holds logits.\n"
    )


# ----------------------------------------------------- numbers split by spaces


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["entropy", "0.5", "0.5"], "Error: P is one argument: join its numbers with commas (0.5,0.5) or quotes\n"),
        (["softmax", "-1", "0", "2"], "Error: Z is one argument: join its numbers with commas (-1,0,2) or quotes\n"),
        (["entropy", "0.25", "0.25", "0.25", "0.25"], "Error: P is one argument: join its numbers with commas (0.25,0.25,...) or quotes\n"),
        (["ce", "0", "0.2", "0.8"], "Error: 3 numbers for TARGET PRED: join each vector's numbers with commas\n"),
        (["kl", "0.5", "0.5", "0.2", "0.8", "-q"], "Error: 4 numbers for P Q: join each vector's numbers with commas\n"),
        # Not all numbers: click's own message.
        (["entropy", "0.5,0.5", "x"], "Error: Got unexpected extra argument(s) (x). See 'xent calc entropy --help'.\n"),
    ],
)
def test_space_separated_numbers_get_a_hint(args: list[str], message: str) -> None:
    assert fails(*args) == message


def test_plot_compare_gets_the_hint_too() -> None:
    result = runner.invoke(app, ["plot", "compare", "0.5", "0.5", "0.2", "0.8"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == "Error: 4 numbers for P Q: join each vector's numbers with commas\n"


# --------------------------------------------------------- probabilities as Z

GRAD_NOTE = (
    "Note: Z sums to 1 like probabilities, but grad reads Z as logits and applies\n"
    "      softmax to it. If these are probabilities q, the gradient with respect to\n"
    "      the logits is simply q - y.\n"
)


def test_grad_given_probabilities_says_z_is_logits() -> None:
    result = calc("grad", "2", "0.1,0.2,0.7", "-q")
    assert result.exit_code == 0
    assert len(result.stdout.split()) == 3
    assert result.stderr == GRAD_NOTE


@pytest.mark.parametrize("z", ["-1,0,2", "0.1,0.2,0.3", "0.5,0.5;3,1"])
def test_grad_given_logits_has_no_note(z: str) -> None:
    target = "0;1" if ";" in z else "2"
    result = calc("grad", target, z, "-q")
    assert result.exit_code == 0
    assert result.stderr == ""

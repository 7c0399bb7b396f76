"""Calculator input that used to be read as something it is not (issue 17, D18)."""

from __future__ import annotations

from pathlib import Path

import pytest
from messages import wrapped
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

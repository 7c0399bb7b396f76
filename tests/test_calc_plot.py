"""`xent calc entropy|cross-entropy|kl --plot`: bars of the distributions as used."""

from __future__ import annotations

import re

import pytest
from messages import wrapped
from typer.testing import CliRunner

from xentcli.cli.app import app

runner = CliRunner()


def test_cross_entropy_plot_shows_softmax_of_logits_under_the_result() -> None:
    result = runner.invoke(app, ["calc", "ce", "2", "-1,0,2", "--logits", "--plot"])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    head = lines.index(next(line for line in lines if line.startswith("class  TARGET")))
    assert lines[0].startswith("cross-entropy")  # the result first, the bars under it
    values = [re.findall(r"\d\.\d{3}", row) for row in lines[head + 1 : head + 4]]
    # softmax(-1, 0, 2) = 0.042, 0.114, 0.844: the bars show probabilities, not logits;
    # the class-index target is drawn one-hot.
    assert values == [["0.000", "0.042"], ["0.000", "0.114"], ["1.000", "0.844"]]


def test_kl_and_entropy_plots_name_their_columns() -> None:
    kl = runner.invoke(app, ["calc", "kl", "0.2,0.3,0.5", "0.1,0.2,0.7", "--plot"])
    assert kl.exit_code == 0, kl.stderr
    lines = kl.stdout.splitlines()
    heads = [i for i, line in enumerate(lines) if line.split() == ["class", "P", "Q"]]
    assert len(heads) == 1  # the bar block's header row, not the D_KL(P || Q) headline
    rows = lines[heads[0] + 1 :]
    # One row per class: the class, P's number, its bar, Q's number, its bar.
    assert [re.findall(r"\d\.\d{3}", row) for row in rows] == [
        ["0.200", "0.100"], ["0.300", "0.200"], ["0.500", "0.700"]]
    assert [row.split()[0] for row in rows] == ["0", "1", "2"]
    assert [row.split()[1] for row in rows] == ["0.200", "0.300", "0.500"]
    ent = runner.invoke(app, ["calc", "entropy", "0.25,0.75", "--plot", "--explain"])
    assert ent.exit_code == 0
    assert ent.stdout.rstrip().splitlines()[-1].split()[:2] == ["1", "0.750"]


@pytest.mark.parametrize("flag", ["-q", "--json"])
def test_plot_refuses_script_outputs(flag: str) -> None:
    result = runner.invoke(app, ["calc", "entropy", "0.5,0.5", "--plot", flag])
    assert result.exit_code == 2
    assert result.stdout == ""
    name = "--quiet" if flag == "-q" else "--json"
    assert result.stderr == wrapped(
        f"Error: Invalid value for '--plot': --plot draws under the result for people; it "
        f"does not go with {name}. See 'xent calc entropy --help'.\n"
    )


def test_plot_refuses_a_batch_before_printing_anything() -> None:
    result = runner.invoke(app, ["calc", "entropy", "0.5,0.5;1,0", "--plot"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "Error: --plot draws a single distribution: give one row, not a batch\n"
    )


def test_plot_draws_more_classes_than_the_table_shows() -> None:
    q = ",".join(["0.05"] * 20)
    result = runner.invoke(app, ["calc", "ce", "19", q, "--plot"])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "-y_i" not in result.stdout  # no per-class table for 20 classes...
    bars = lines[lines.index(next(line for line in lines if line.startswith("class  TARGET"))):]
    assert len(bars) == 21  # ...but a bar for each of them
    cells = bars[-1].split()
    assert (cells[0], cells[1], cells[3]) == ("19", "1.000", "0.050")  # TARGET, then PRED


def test_plot_refuses_more_than_100_classes() -> None:
    result = runner.invoke(app, ["calc", "entropy", ",".join(["1/101"] * 101), "--plot"])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "Error: --plot draws at most 100 classes, but there are 101\n"

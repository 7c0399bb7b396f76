"""`xent eval`: the report's numbers worked by hand, its JSON, large files in
blocks, and its errors (exit code, streams, exact text)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from messages import wrapped
from typer.testing import CliRunner

from xentcli.cli.app import app
from xentcli.cli.calc import stream

runner = CliRunner()
LN = math.log

TARGET = "0;1;1;0"
PRED = "0.9,0.1;0.6,0.4;0.2,0.8;0.7,0.3"
# Rows right: 0, 2, 3; wrong: 1 (confidence 0.6 on class 0).
NLL = -(LN(0.9) + LN(0.4) + LN(0.8) + LN(0.7)) / 4
BRIER = (2 * 0.1**2 + 2 * 0.6**2 + 2 * 0.2**2 + 2 * 0.3**2) / 4
ECE5 = (abs(0 - 0.6) + abs(2 - 1.5) + abs(1 - 0.9)) / 4


def evaluate(*args: str) -> Any:
    return runner.invoke(app, ["eval", *args])


def report(*args: str) -> dict[str, Any]:
    result = evaluate(*args, "--json")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.count("\n") == 1

    def refuse(name: str) -> Any:
        raise AssertionError(f"non-standard JSON constant {name}")

    obj = json.loads(result.stdout, parse_constant=refuse)
    assert isinstance(obj, dict)
    return obj


def test_the_report_by_hand() -> None:
    obj = report(TARGET, PRED, "--bins", "5")
    assert (obj["rows"], obj["ignored"], obj["classes"]) == (4, 0, 2)
    assert obj["accuracy"] == 0.75
    assert obj["nll"]["nats"] == pytest.approx(NLL, rel=1e-13)
    assert obj["nll"]["bits"] == pytest.approx(NLL / LN(2), rel=1e-13)
    assert obj["perplexity"] == pytest.approx(math.exp(NLL), rel=1e-13)
    assert obj["brier"] == pytest.approx(BRIER, rel=1e-13)
    assert obj["ece"] == pytest.approx(ECE5, rel=1e-13)
    assert [b["rows"] for b in obj["bins"]] == [0, 0, 1, 2, 1]


def test_human_report_piped_has_no_diagram() -> None:
    result = evaluate(TARGET, PRED, "--bins", "5")
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout == (
        "rows         4\n"
        "classes      2\n"
        "accuracy     0.75   (75.00 %)\n"
        f"NLL          {NLL:.6g} nats   {NLL / LN(2):.6g} bits   (mean per row)\n"
        f"perplexity   {math.exp(NLL):.6g}\n"
        f"Brier        {BRIER:.6g}\n"
        "ECE          0.3   (5 bins)\n"
    )


def test_logits_ignore_index_and_infinity() -> None:
    z = "2,0;0,1;5,5"
    obj = report("0;1;-100", z, "--logits", "--ignore-index", "-100")
    assert (obj["rows"], obj["ignored"]) == (3, 1)
    nll = (LN(1 + math.exp(-2)) + LN(1 + math.exp(-1))) / 2
    assert obj["nll"]["nats"] == pytest.approx(nll, rel=1e-13)
    assert obj["accuracy"] == 1.0
    # A true class with probability 0: infinite NLL, written as a JSON string.
    inf = report("0;1", "0,1;0,1")
    assert inf["nll"] == {"nats": "Infinity", "bits": "Infinity"}
    assert inf["perplexity"] == "Infinity"
    assert inf["brier"] == pytest.approx(1.0)


def test_large_files_in_blocks_give_the_same_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(3)
    z = rng.normal(size=(41, 4)) * 2
    y = rng.integers(0, 4, size=41)
    np.save(tmp_path / "z.npy", z)
    np.savetxt(tmp_path / "y.csv", y, fmt="%d")
    args = (f"@{tmp_path / 'y.csv'}", f"@{tmp_path / 'z.npy'}", "--logits", "--bins", "4")
    whole = report(*args)
    monkeypatch.setattr(stream, "CHUNK_VALUES", 8)  # blocks of 2 rows
    blocks = report(*args)
    for key in ("accuracy", "perplexity", "brier", "ece"):
        assert blocks[key] == pytest.approx(whole[key], rel=1e-13)
    assert blocks["rows"] == whole["rows"] == 41
    q = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    assert whole["accuracy"] == pytest.approx(np.mean(q.argmax(axis=1) == y))
    assert whole["nll"]["nats"] == pytest.approx(-np.mean(np.log(q[np.arange(41), y])),
                                                 rel=1e-12)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["0;1", "2,1;0.5,0.5"], "Error: PRED looks like logits (row 0, index 0 is 2): add --logits\n"),
        (["-100", "0.5,0.5", "--ignore-index", "-100"], "Error: every row's target is the ignore index: there is nothing to evaluate\n"),
        (["0;1", "0.5,0.5;0.5,0.5", "--bins", "0"], "Error: bins must be a whole number from 1 to 10000; got 0\n"),
        (["0", "1"], "Error: PRED needs one probability per class (at least 2) in each row\n"),
        (["-", "-"], "Error: only one argument can be read from standard input: TARGET and PRED are both -\n"),
        (["0", "0.5", "0.5"], "Error: 3 numbers for TARGET PRED: join each vector's numbers with commas\n"),
    ],
)
def test_errors(args: list[str], message: str) -> None:
    result = evaluate(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == wrapped(message)


def test_rows_that_do_not_match(tmp_path: Path) -> None:
    (tmp_path / "y.txt").write_text("0\n1\n")
    (tmp_path / "q.csv").write_text("0.5,0.5\n0.5,0.5\n0.5,0.5\n")
    result = evaluate(f"@{tmp_path / 'y.txt'}", f"@{tmp_path / 'q.csv'}")
    assert result.exit_code == 2
    assert result.stderr == "Error: TARGET has 2 rows but PRED has more\n"


def test_diagram_only_at_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from xentcli.cli.calc import report as report_module

    monkeypatch.setattr(report_module, "at_terminal", lambda: True)
    monkeypatch.setenv("NO_COLOR", "1")
    result = evaluate(TARGET, PRED, "--bins", "5")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[:7] == evaluate(TARGET, PRED, "--bins", "5").stdout.splitlines()[:7]
    assert "Reliability: accuracy per confidence bin" in result.stdout
    assert "\x1b" not in result.stdout
    assert all(len(line) <= 80 for line in lines)
    # JSON stays one object, even at a terminal.
    assert evaluate(TARGET, PRED, "--json").stdout.count("\n") == 1

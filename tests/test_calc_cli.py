"""`xent calc` end to end: every command and option, the outputs, the errors.

Expected values are hand computations of the classic worked examples (with
``math``), not calls to the core.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from messages import wrapped
from typer.testing import CliRunner

from xentcli.cli.app import app

runner = CliRunner()

LN = math.log


def calc(*args: str, input: str | None = None) -> Any:
    return runner.invoke(app, ["calc", *args], input=input)


def ok(*args: str, input: str | None = None) -> Any:
    result = calc(*args, input=input)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert "\x1b" not in result.stdout
    return result


def quiet(*args: str, input: str | None = None) -> float:
    return float(ok(*args, "-q", input=input).stdout)


def quiet_list(*args: str) -> list[float]:
    out = ok(*args, "-q").stdout
    assert out.endswith("\n") and out.count("\n") == 1
    return [float(x) for x in out.split()]


def _no_constants(name: str) -> Any:
    raise AssertionError(f"non-standard JSON constant {name}")


def strict_json(*args: str) -> dict[str, Any]:
    out = ok(*args, "--json").stdout
    assert out.count("\n") == 1
    obj = json.loads(out, parse_constant=_no_constants)
    assert isinstance(obj, dict)
    return obj


def fails(*args: str, input: str | None = None) -> str:
    """Run a failing command: exit 2, nothing on stdout, one message on stderr
    (a long one continues on indented lines, within 80 columns)."""
    result = calc(*args, input=input)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert result.stdout == ""
    assert result.stderr.count("Error: ") == 1
    assert all(line.startswith("       ") for line in result.stderr.splitlines()[1:])
    assert "Traceback" not in result.stderr
    return str(result.stderr)


# ------------------------------------------------------- the classic numbers

ENTROPY = -(0.2 * LN(0.2) + 0.3 * LN(0.3) + 0.5 * LN(0.5))
CE_SEED = -LN(0.7)
KL_SEED = 0.2 * LN(0.2 / 0.1) + 0.3 * LN(0.3 / 0.2) + 0.5 * LN(0.5 / 0.7)
SOFTMAX = [math.exp(v) / (math.exp(-1) + 1 + math.exp(2)) for v in (-1, 0, 2)]


def test_entropy() -> None:
    assert quiet("entropy", "0.2,0.3,0.5") == pytest.approx(ENTROPY, rel=1e-14)
    assert quiet("entropy", "0.5,0.5", "--base", "2") == pytest.approx(1.0, rel=1e-14)
    assert quiet("entropy", "0.5,0.5", "--base", "bits") == pytest.approx(1.0, rel=1e-14)
    assert quiet("entropy", "0.1,0.9", "-b", "10") == pytest.approx(
        -(0.1 * math.log10(0.1) + 0.9 * math.log10(0.9)), rel=1e-14
    )
    assert quiet("entropy", "1,1,1,1", "--normalize", "-b", "2") == pytest.approx(2.0)


def test_entropy_human_view() -> None:
    out = ok("entropy", "0.2,0.3,0.5").stdout
    lines = out.splitlines()
    assert lines[0] == "entropy  H(P) = 1.02965 nats"
    assert "-p_i·ln p_i" in lines[2]
    assert lines[4].split() == ["0", "0.2", "0.321888"]
    assert all(len(line) <= 80 for line in lines)
    assert ok("entropy", "0.5,0.5", "-b", "2").stdout.startswith("entropy  H(P) = 1 bit\n")


def test_surprisal_is_a_list() -> None:
    assert quiet_list("surprisal", "0.5,0.25,0.125", "--base", "2") == [1.0, 2.0, 3.0]
    assert quiet_list("surprisal", "0.001") == [pytest.approx(-LN(0.001))]
    assert ok("surprisal", "0.5", "-b", "2").stdout.startswith("surprisal  -log p = [1] bits\n")


@pytest.mark.parametrize("name", ["cross-entropy", "ce"])
def test_cross_entropy_and_alias(name: str) -> None:
    assert quiet(name, "1,0,0", "0.7,0.2,0.1") == pytest.approx(CE_SEED, rel=1e-14)
    assert quiet(name, "0", "0.7,0.2,0.1") == pytest.approx(CE_SEED, rel=1e-14)
    assert quiet(name, "0,0,1", "0.1,0.2,0.7", "--base", "2") == pytest.approx(-math.log2(0.7))


def test_cross_entropy_options() -> None:
    logits = -math.log(math.exp(2) / (math.exp(-1) + 1 + math.exp(2)))
    assert quiet("ce", "2", "-1,0,2", "--logits") == pytest.approx(logits, rel=1e-13)
    # label smoothing 0.3 over 3 classes: y = [0.8, 0.1, 0.1]
    smooth = -(0.8 * LN(0.7) + 0.1 * LN(0.2) + 0.1 * LN(0.1))
    assert quiet("ce", "0", "0.7,0.2,0.1", "--label-smoothing", "0.3") == pytest.approx(smooth)
    assert quiet("ce", "0", "0.7,0.2,0.1", "--label-smoothing", "3/10") == pytest.approx(smooth)
    # one row, weights: the weighted mean divides by the true class's weight
    assert quiet("ce", "1", "0.5,0.5", "--weights", "1,3") == pytest.approx(LN(2))
    assert quiet("ce", "1", "0.5,0.5", "--weights", "1,3", "-r", "sum") == pytest.approx(3 * LN(2))
    assert quiet("ce", "0,1", "1,0", "--eps", "1e-7") == pytest.approx(-LN(1e-7))
    assert quiet("ce", "2,0", "1,3", "--normalize") == pytest.approx(-LN(0.25))


def test_weighted_mean_is_explained_under_the_table() -> None:
    # In nats the two numbers differ: the terms' sum is 3 ln 2 = 2.07944, Σ w_i·y_i = 3.
    out = ok("ce", "1", "0.5,0.5", "--weights", "1,3").stdout
    assert out.startswith("cross-entropy  H(TARGET, PRED) = 0.693147 nats\n")
    assert out.endswith("(weighted mean: the terms' sum 2.07944 divided by Σ w_i·y_i = 3)\n")


def test_named_bases() -> None:
    # A fair coin: ln 2 nats = 1 bit = log10 2 bans, whichever way the base is named.
    for base, value, unit in (("nats", LN(2), "nats"), ("bits", 1.0, "bits"),
                              ("bans", math.log10(2), "bans"), ("10", math.log10(2), "bans"),
                              ("e", LN(2), "nats")):
        assert quiet("entropy", "0.5,0.5", "--base", base) == pytest.approx(value, rel=1e-15)
        assert strict_json("entropy", "0.5,0.5", "--base", base)["unit"] == unit


def test_batches_and_reductions() -> None:
    rows = ["0;1", "0.9,0.1;0.2,0.8"]
    per_row = [-LN(0.9), -LN(0.8)]
    assert quiet("ce", *rows) == pytest.approx(sum(per_row) / 2)
    assert quiet("ce", *rows, "--reduction", "sum") == pytest.approx(sum(per_row))
    assert quiet_list("ce", *rows, "--reduction", "none") == pytest.approx(per_row)
    assert quiet_list("entropy", "0.5,0.5;1,0", "-r", "none", "-b", "2") == [1.0, 0.0]
    out = ok("ce", *rows).stdout
    assert out.startswith("cross-entropy  H(TARGET, PRED) = 0.164252 nats   (mean over 2 rows)\n")


def test_kl() -> None:
    assert quiet("kl", "0.2,0.3,0.5", "0.1,0.2,0.7") == pytest.approx(KL_SEED, rel=1e-12)
    assert round(quiet("kl", "0.2,0.3,0.5", "0.1,0.2,0.7"), 6) == 0.092033
    assert quiet("kl", "0.5,0.5", "0.5,0.5") == 0.0
    assert quiet("kl", "0.5,0.5", "0,0", "--logits") == 0.0
    assert quiet("kl", "1,0", "0.5,0.5", "-b", "2") == pytest.approx(1.0)


def test_bce() -> None:
    seed = -(LN(0.9) + LN(0.8) + LN(0.6))
    assert quiet("bce", "1,0,1", "0.9,0.2,0.6", "--reduction", "sum") == pytest.approx(seed)
    assert quiet("bce", "1,0,1", "0.9,0.2,0.6") == pytest.approx(seed / 3)
    assert quiet("bce", "1", "0", "--logits") == pytest.approx(LN(2))
    assert quiet("bce", "1", "0.5", "--pos-weight", "3") == pytest.approx(3 * LN(2))
    assert quiet_list("bce", "1,0", "0.8,0.4", "-r", "none") == pytest.approx(
        [-LN(0.8), -LN(0.6)]
    )


def test_focal() -> None:
    assert quiet("focal", "2", "0.1,0.2,0.7") == pytest.approx(0.09 * CE_SEED, rel=1e-12)
    assert quiet("focal", "2", "0.1,0.2,0.7", "--gamma", "0") == pytest.approx(CE_SEED)
    assert quiet("focal", "2", "0.1,0.2,0.7", "--alpha", "0.25") == pytest.approx(
        0.25 * 0.09 * CE_SEED
    )
    assert quiet("focal", "1", "0.5,0.5", "--alpha", "1,3", "--gamma", "1") == pytest.approx(
        3 * 0.5 * LN(2)
    )


def test_softmax_and_negative_numbers() -> None:
    assert quiet_list("softmax", "-1,0,2") == pytest.approx(SOFTMAX, rel=1e-14)
    assert quiet_list("softmax", "-1") == [1.0]
    assert quiet_list("softmax", "-0.5,0.5", "--log") == pytest.approx(
        [-LN(1 + math.e), 1 - LN(1 + math.e)]
    )
    assert quiet_list("softmax", "-inf,0") == [0.0, 1.0]
    assert quiet_list("softmax", "--log", "\u22121,0,2") == pytest.approx([math.log(v) for v in SOFTMAX])
    out = ok("softmax", "-1,0,2").stdout
    assert out.startswith("softmax  softmax(Z) = [0.0420101, 0.114195, 0.843795]\n")


def test_options_may_come_anywhere() -> None:
    a = quiet("ce", "--logits", "2", "-1,0,2")
    b = quiet("ce", "2", "--logits", "-1,0,2")
    c = float(ok("ce", "2", "-1,0,2", "-q", "--logits", "--base", "e").stdout)
    assert a == b == c
    assert quiet("focal", "1", "0.5,0.5", "--alpha", "0.5", "--gamma", "1") == pytest.approx(
        0.25 * LN(2)
    )


def test_softmax_batch_prints_one_row_per_line() -> None:
    out = ok("softmax", "0,0;-inf,0", "-q").stdout
    assert out == "0.5 0.5\n0.0 1.0\n"


def test_grad() -> None:
    expected = [SOFTMAX[0], SOFTMAX[1], SOFTMAX[2] - 1]
    assert quiet_list("grad", "2", "-1,0,2") == pytest.approx(expected, rel=1e-13)
    assert quiet_list("grad", "0,0,1", "-1,0,2") == pytest.approx(expected, rel=1e-13)
    assert quiet_list("grad", "0", "0,0", "--weights", "2,1") == pytest.approx([-1.0, 1.0])
    out = ok("grad", "0,1;1,0", "0,0;0,0", "-q", "-r", "mean").stdout
    assert out == "0.25 -0.25\n-0.25 0.25\n"


# -------------------------------------------------------------------- --json


def test_json_fields() -> None:
    obj = strict_json("ce", "2", "0.1,0.2,0.7", "--base", "2")
    assert obj["measure"] == "cross-entropy"
    assert obj["value"] == pytest.approx(-math.log2(0.7))
    assert obj["unit"] == "bits"
    assert obj["base"] == "2"
    assert obj["reduction"] == "mean"
    assert obj["inputs"] == {"target": 2, "pred": [0.1, 0.2, 0.7]}
    assert obj["options"] == {
        "logits": False, "weights": None, "label_smoothing": 0.0, "eps": None, "normalize": False,
        "ignore_index": None, "sample_weights": None,
    }
    assert obj["terms"] == [0.0, 0.0, pytest.approx(-math.log2(0.7))]


def test_json_lists_and_units() -> None:
    obj = strict_json("softmax", "-1,0,2")
    assert obj["measure"] == "softmax"
    assert obj["value"] == pytest.approx(SOFTMAX)
    assert "unit" not in obj
    assert strict_json("softmax", "0,0", "--log")["measure"] == "log-softmax"
    assert strict_json("surprisal", "0.5", "-b", "2") == {
        "measure": "surprisal", "value": [1.0], "unit": "bits", "base": "2",
        "inputs": {"p": [0.5]},
    }
    obj = strict_json("kl", "0.5,0.5", "0.25,0.75", "--base", "nats")
    assert obj["unit"] == "nats"
    assert obj["options"] == {"logits": False, "eps": None, "normalize": False,
                              "sample_weights": None}
    obj = strict_json("focal", "0", "0.5,0.5", "--alpha", "0.25,0.75")
    assert obj["options"]["alpha"] == [0.25, 0.75]
    assert obj["options"]["gamma"] == 2.0
    obj = strict_json("bce", "1,0", "0.5,0.5", "--pos-weight", "2", "-r", "none")
    assert obj["value"] == pytest.approx([2 * LN(2), LN(2)])
    assert obj["options"]["pos_weight"] == [2.0]
    assert strict_json("grad", "0", "0,0")["unit"] == "nats"


def test_a_base_may_be_a_fraction() -> None:
    # Base 1/2: log_0.5 x = -log2 x, so the entropy of a fair coin is -1.
    assert float(calc("entropy", "0.5,0.5", "--base", "1/2", "-q").stdout) == -1.0


def test_json_infinity_is_a_string() -> None:
    result = calc("ce", "0,1", "1,0", "--json")
    assert result.exit_code == 0
    obj = json.loads(result.stdout, parse_constant=_no_constants)
    assert obj["value"] == "Infinity"
    assert float(obj["value"]) == math.inf
    assert obj["terms"] == [0.0, "Infinity"]
    assert result.stderr.startswith("Note: the result is infinite")
    obj = json.loads(calc("softmax", "-inf,0", "--log", "--json").stdout,
                     parse_constant=_no_constants)
    assert obj["value"] == ["-Infinity", 0.0]


def test_json_echoes_large_files_by_source(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    np.savetxt(path, np.full((600, 2), 0.5), delimiter=",")
    obj = strict_json("entropy", f"@{path}", "-b", "2")
    assert obj["value"] == 1.0
    assert obj["inputs"] == {"p": {"source": f"@{path}", "shape": [600, 2]}}


# -------------------------------------------------------------------- infinity


@pytest.mark.parametrize(
    ("args", "note"),
    [
        (["ce", "0,1", "1,0"], "Note: the result is infinite: PRED gives probability 0 to a class that TARGET has. Use --eps 1e-7 to clip PRED, or --logits if PRED holds logits.\n"),
        (["focal", "1", "1,0"], "Note: the result is infinite: PRED gives probability 0 to a class that TARGET has. Use --eps 1e-7 to clip PRED, or --logits if PRED holds logits.\n"),
        (["kl", "0.5,0.5,0", "0.5,0,0.5"], "Note: the result is infinite: Q gives probability 0 to a class that P has. Use --eps 1e-7 to clip Q, or --logits if Q holds logits.\n"),
        (["bce", "1", "0"], "Note: the result is infinite: PRED is exactly 0 or 1 where a label says otherwise. Use --eps 1e-7 to clip PRED, or --logits if PRED holds logits.\n"),
        (["surprisal", "0"], "Note: a probability of 0 has infinite surprisal\n"),
    ],
)
def test_infinite_results_exit_0_with_a_note(args: list[str], note: str) -> None:
    result = calc(*args, "-q")
    assert result.exit_code == 0
    assert float(result.stdout) == math.inf
    assert all(len(line) <= 80 for line in result.stderr.splitlines())
    assert " ".join(result.stderr.split()) + "\n" == note
    human = calc(*args)
    assert human.exit_code == 0
    assert "inf" in human.stdout


# -------------------------------------------------------------------- --explain


def _explain(*args: str) -> list[str]:
    lines = str(ok(*args, "--explain").stdout).splitlines()
    assert all(len(line) <= 80 for line in lines), lines
    return lines


def test_explain_cross_entropy() -> None:
    lines = _explain("ce", "1,0,0", "0.7,0.2,0.1")
    assert lines == [
        "Cross-entropy  H(y, q) = -Σ y_i · ln q_i   (y = TARGET, q = PRED)",
        "Terms -y_i · ln q_i:",
        "  i=0:  -1 · ln 0.7 = 0.356675",
        "  i=1:  y_i = 0, so the term is 0",
        "  i=2:  y_i = 0, so the term is 0",
        "H = 0.356675 + 0 + 0 = 0.356675 nats",
        "With a one-hot target only the true class counts: H = -ln q_0.",
        "Result: H(TARGET, PRED) = 0.356675 nats",
    ]


def test_explain_logits_smoothing_and_weights() -> None:
    lines = _explain("ce", "2", "-1,0,2", "--logits", "--label-smoothing", "0.1")
    assert "TARGET is class index 2: y is one-hot, y_2 = 1, the rest 0." in lines
    assert "  y = [0.0333333, 0.0333333, 0.933333]" in lines
    assert "PRED holds logits; softmax first, shifted by max z = 2:" in lines
    assert "  exp(z - 2) = [0.0497871, 0.135335, 1]" in lines
    assert "  q = [0.0420101, 0.114195, 0.843795]" in lines
    assert "  logsumexp(z) = max z + ln Σ = 2 + ln 1.18512 = 2.16985" in lines
    assert "  i=2:  -0.933333 · ln 0.843795 = 0.158523" in lines
    lines = _explain("ce", "0", "0.5,0.5", "--weights", "2,1", "-b", "2")
    assert "Class weights w = [2, 1]" in lines
    assert "  i=0:  -2 · 1 · log2 0.5 = 2" in lines
    assert "  = (2) / (2) = 1 bit" in lines
    assert lines[-1] == "Result: H(TARGET, PRED) = 1 bit"


def test_explain_kl_shows_the_identity() -> None:
    lines = _explain("kl", "0.2,0.3,0.5", "0.1,0.2,0.7")
    assert "  i=0:  0.2 · ln(0.2 / 0.1) = 0.138629" in lines
    assert "Check with the identity D_KL(P || Q) = H(P, Q) - H(P):" in lines
    assert "  H(P, Q) - H(P) = 1.12169 - 1.02965 = 0.0920329 nats" in lines
    assert lines[-1] == "Result: D_KL(P || Q) = 0.0920329 nats"


def test_explain_focal_entropy_bce_softmax_grad_surprisal() -> None:
    lines = _explain("focal", "2", "0.1,0.2,0.7", "--alpha", "0.25")
    assert "  i=2:  -0.25 · 1 · (1 - 0.7)^2 · ln 0.7 = 0.00802519" in lines
    assert "        (the factor (1 - q_i)^γ = 0.09)" in lines
    lines = _explain("entropy", "0.2,0.3,0.5")
    assert "H(P) = 0.321888 + 0.361192 + 0.346574 = 1.02965 nats" in lines
    lines = _explain("bce", "1,0", "0.9,0.2")
    assert "  j=1:  y = 0, p = 0.2:  -ln(1 - 0.2) = 0.223144" in lines
    assert lines[-2] == "mean over the 2 labels = (0.105361 + 0.223144) / 2 = 0.164252 nats"
    lines = _explain("softmax", "-1,0,2", "--log")
    assert "logsumexp(z) = max z + ln Σ = 2 + ln 1.18512 = 2.16985" in lines
    lines = _explain("grad", "2", "-1,0,2")
    assert "  i=2:  0.843795 - 1 = -0.156205" in lines
    lines = _explain("surprisal", "0.5,0.25", "-b", "2")
    assert lines[2:] == [
        "  -log2 0.5 = 1 bit",
        "  -log2 0.25 = 2 bits",
        "Result: -log p = [1, 2] bits",
    ]
    result = calc("surprisal", "0", "--explain")
    assert "  -ln 0 = inf nats  (an impossible outcome)" in result.stdout.splitlines()


def test_explain_batch() -> None:
    lines = _explain("ce", "0;1;1;0", "0.9,0.1;0.2,0.8;0.5,0.5;0.6,0.4")
    assert "Row 0 (of 4):" in lines
    assert "(row 3 is computed the same way)" in lines
    assert lines[-1] == "Result: H(TARGET, PRED) = 0.383119 nats"


# -------------------------------------------------------------- inputs, stdin


def test_stdin_and_files(tmp_path: Path) -> None:
    assert quiet("entropy", "-", "-b", "2", input="0.5 0.5\n") == 1.0
    assert quiet("ce", "-", "0.7,0.2,0.1", input="0\n") == pytest.approx(CE_SEED)
    target = tmp_path / "y.txt"
    target.write_text("0\n1\n")
    pred = tmp_path / "q.csv"
    pred.write_text("p0,p1\n0.9,0.1\n0.2,0.8\n")
    assert quiet("ce", f"@{target}", f"@{pred}", "-r", "sum") == pytest.approx(-LN(0.9) - LN(0.8))
    np.save(tmp_path / "z.npy", np.array([[-1.0, 0.0, 2.0]]))
    assert quiet_list("softmax", f"@{tmp_path / 'z.npy'}") == pytest.approx(SOFTMAX)


# ---------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["entropy", ""], "Error: P is empty: give numbers like 0.2,0.3,0.5\n"),
        (["entropy", ",,"], "Error: P: empty value (index 0): two commas in a row?\n"),
        (["entropy", "0.5,abc"], "Error: P: 'abc' is not a number (index 1)\n"),
        (["entropy", "1/0"], "Error: P: '1/0' divides by zero (index 0)\n"),
        (["entropy", "nan,1"], "Error: P has a non-finite value nan at index 0\n"),
        (["entropy", "inf,0"], "Error: P has a non-finite value inf at index 0\n"),
        (["entropy", "0.2,0.3"], "Error: P sums to 0.5, not 1 (use --normalize to rescale it)\n"),
        (["entropy", "-0.1,1.1"], "Error: P has a negative probability -0.1 at index 0\n"),
        (["entropy", "\u22120.5,1.5"], "Error: P has a negative probability -0.5 at index 0\n"),
        (["entropy", "0.5,0.5", "--base", "1"], "Error: base must be a positive finite number other than 1; got 1\n"),
        (["entropy", "0.5,0.5", "--base", "-2"], "Error: base must be a positive finite number other than 1; got -2\n"),
        (["entropy", "0.5,0.5", "--base", "foo"], "Error: base must be e, 2, 10, nats, bits, bans or a positive number; got 'foo'\n"),
        (["entropy", "0.5,0.5", "--reduction", "avg"], "Error: Invalid value for '--reduction' / '-r': 'avg' is not one of 'mean', 'sum', 'none'. See 'xent calc entropy --help'.\n"),
        (["ce", "1,0", "0.5,0.5", "--eps", "2"], "Error: eps must be between 0 and 0.5 (exclusive); got 2\n"),
        (["ce", "1,0", "0.5,0.5", "--eps", "1e-400"], "Error: --eps: '1e-400' is too small for a float (the smallest is about 5e-324)\n"),
        (["entropy", "0.5,0.5", "--base", "1/0"], "Error: --base: '1/0' divides by zero\n"),
        (["ce", "1,0", "0.5,0.5", "--eps", "abc"], "Error: --eps: 'abc' is not a number\n"),
        (["ce", "1,0", "0.5,0.5", "--label-smoothing", "1.5"], "Error: label smoothing must be in [0, 1); got 1.5\n"),
        (["focal", "1", "0.5,0.5", "--gamma", "-1"], "Error: gamma must be a finite number >= 0; got -1\n"),
        (["ce", "5", "0.2,0.8"], "Error: TARGET class index 5 is out of range for 2 classes (0 to 1)\n"),
        (["ce", "-1", "0.2,0.8"], "Error: TARGET class index -1 is out of range for 2 classes (0 to 1)\n"),
        (["ce", "1,0,0", "0.5,0.5"], "Error: TARGET has 3 values but PRED has 2\n"),
        (["ce", "1", "0.5,0.5", "--weights", "1,2,3"], "Error: weights must have one value per class (2); got shape (3,)\n"),
        (["ce", "1", "0.5,0.5", "--weights", "-1,2"], "Error: weights must be finite and >= 0; got -1 at index 0\n"),
        (["ce", "1", "0.5,0.5", "--weights", "x"], "Error: --weights: 'x' is not a number (index 0)\n"),
        (["ce", "1", "0.5,0.5", "--logits", "--normalize"], "Error: --normalize applies to probabilities, not to logits\n"),
        (["bce", "2", "0.5"], "Error: TARGET label 2 at index 0 is outside [0, 1]\n"),
        (["bce", "1,0", "0.5"], "Error: TARGET has 2 values but PRED has 1\n"),
        (["softmax", "-inf,-inf"], "Error: Z has every logit -inf: at least one class must be possible\n"),
        (["softmax", "inf,0"], "Error: Z has an invalid logit inf at index 0 (-inf is allowed)\n"),
        (["ce", "-", "-"], "Error: only one argument can be read from standard input: TARGET and PRED are both -\n"),
        (["entropy", "0.5,0.5", "--json", "-q"], "Error: Invalid value for '--json': --json and --quiet are different outputs: choose one. See 'xent calc entropy --help'.\n"),
        (["entropy"], "Error: Missing argument 'P'. See 'xent calc entropy --help'.\n"),
        (["kl", "0.5,0.5"], "Error: Missing argument 'Q'. See 'xent calc kl --help'.\n"),
        (["entropy", "0.5,0.5", "-x"], "Error: No such option: -x. See 'xent calc entropy --help'.\n"),
        (["entropy", "@missing.csv"], "Error: P: @missing.csv: no such file\n"),
        (["entropy", "0.5,0.5;0.2"], "Error: P: row 1 has 1 value but row 0 has 2\n"),
        (["frobnicate"], "Error: No such command 'frobnicate'. See 'xent calc --help'.\n"),
    ],
)
def test_errors(args: list[str], message: str) -> None:
    assert fails(*args) == wrapped(message)


def test_file_errors(tmp_path: Path) -> None:
    assert fails("entropy", f"@{tmp_path}") == wrapped(
        f"Error: P: @{tmp_path}: is a directory, not a file\n")
    garbage = tmp_path / "g.bin"
    garbage.write_bytes(bytes(range(256)) * 4)
    assert fails("entropy", f"@{garbage}") == wrapped(
        f"Error: P: @{garbage} is not a text file (nor a .npy array)\n"
    )
    assert fails("entropy", "-", input="") == "Error: P: standard input holds no numbers\n"


# ---------------------------------------------------------------- help, colour


@pytest.mark.parametrize(
    ("command", "formula", "example"),
    [
        ("entropy", "H(P) = -Σ p_i log p_i", "xent calc entropy 0.2,0.3,0.5"),
        ("surprisal", "-log p", "xent calc surprisal"),
        ("cross-entropy", "H(TARGET, PRED) = -Σ y_i log q_i", "xent calc ce 2 0.1,0.2,0.7"),
        ("ce", "H(TARGET, PRED) = -Σ y_i log q_i", "xent calc ce 2 0.1,0.2,0.7"),
        ("kl", "D_KL(P || Q) = Σ p_i log(p_i / q_i)", "xent calc kl 0.2,0.3,0.5 0.1,0.2,0.7"),
        ("bce", "-[y log p + (1 - y) log(1 - p)]", "xent calc bce 1,0,1 0.9,0.2,0.6"),
        ("focal", "-Σ α_i y_i (1 - q_i)^γ log q_i", "xent calc focal 2 0.1,0.2,0.7"),
        ("softmax", "exp(z_i) / Σ_j exp(z_j)", "xent calc softmax -1,0,2"),
        ("grad", "softmax(z)_i - y_i", "xent calc grad 2 -1,0,2"),
    ],
)
def test_help_shows_formula_order_and_example(command: str, formula: str, example: str) -> None:
    result = ok(command, "--help")
    text = " ".join(result.stdout.split())
    assert formula in text
    assert f"Example: {example}" in text
    assert all(len(line) <= 80 for line in result.stdout.splitlines())


def test_no_escape_codes_with_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert "\x1b[" in calc("entropy", "0.5,0.5").stdout  # the check can fail
    monkeypatch.setenv("NO_COLOR", "1")
    for args in (["entropy", "0.5,0.5"], ["ce", "0", "0.5,0.5", "--explain"]):
        result = calc(*args)
        assert result.exit_code == 0
        assert "\x1b" not in result.stdout


# ------------------------------------------------------ the installed program


def _xent() -> list[str]:
    script = Path(sys.executable).with_name("xent")
    return [str(script)] if script.exists() else [sys.executable, "-m", "xentcli"]


def test_installed_xent_negative_numbers_and_stdin() -> None:
    done = subprocess.run(
        [*_xent(), "calc", "softmax", "-1,0,2", "-q"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert [float(x) for x in done.stdout.split()] == pytest.approx(SOFTMAX)
    done = subprocess.run(
        [sys.executable, "-m", "xentcli", "calc", "ce", "-", "-0.5,0.5", "--logits", "-q"],
        input="1\n", capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stderr
    assert float(done.stdout) == pytest.approx(LN(1 + math.exp(-1)))
    done = subprocess.run(
        [*_xent(), "calc", "entropy", "0.2,abc"], capture_output=True, text=True
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "Error: P: 'abc' is not a number (index 1)\n"


def test_calc_commands_are_built_on_first_use() -> None:
    from xentcli.cli.app import load_command

    group = load_command.__wrapped__("calc")  # a fresh build, not the cached one
    ctx = group.make_context("calc", ["entropy", "--help"], resilient_parsing=True)
    assert group.get_command(ctx, "ce").name == "ce"
    assert sorted(group.commands._built) == ["ce"]
    assert group.list_commands(ctx) == [
        "entropy", "surprisal", "cross-entropy", "ce", "kl", "bce", "focal", "softmax", "grad",
        "js", "perplexity", "sigmoid-focal", "ece", "brier",
    ]
    assert sorted(group.commands._built) == ["ce"]  # listing names builds nothing
    assert group.get_command(ctx, "nope") is None
    assert len(dict(group.commands.items())) == 14  # iterating builds them all (help)


_WORDS = st.sampled_from(
    ["0.5", "-1", "1/3", "1/0", "nan", "-inf", "inf", "2", ",", ";", " ", "[", "]", "abc",
     "1e999", "-0", "\u2212", "@", "-", "0x1", "..", "e", "1_0", "\x00"]
)
_ARGS = st.lists(_WORDS, min_size=0, max_size=6).map("".join)


@settings(max_examples=60)
@given(
    st.sampled_from(["entropy", "surprisal", "ce", "kl", "bce", "focal", "softmax", "grad"]),
    _ARGS, _ARGS,
    st.sampled_from([[], ["--logits"], ["-q"], ["--json"], ["--explain"], ["-b", "2"]]),
)
def test_anything_typed_gives_a_result_or_one_error_line(
    command: str, first: str, second: str, options: list[str]
) -> None:
    args = [command, first] if command in ("entropy", "surprisal", "softmax") else [
        command, first, second
    ]
    if "--logits" in options and command in ("entropy", "surprisal", "softmax", "grad"):
        options = []
    result = calc(*args, *options, input="")
    assert result.exit_code in (0, 2), result.stderr
    if result.exit_code == 2:
        assert result.stdout == ""
        assert result.stderr.startswith("Error: ")
        assert all(line.startswith("       ") and len(line) <= 80
                   for line in result.stderr.splitlines()[1:])
    else:
        assert result.stderr in ("",) or result.stderr.startswith("Note: ")

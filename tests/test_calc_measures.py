"""The second wave of `xent calc`: js, perplexity, sigmoid-focal, ece, brier,
--ignore-index, --sample-weights and binary label smoothing, end to end.

Expected values are worked by hand with ``math`` (not by the core).
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from messages import is_one_error, wrapped
from typer.testing import CliRunner

from xentcli.cli.app import app

runner = CliRunner()
LN = math.log


def calc(*args: str) -> Any:
    return runner.invoke(app, ["calc", *args])


def quiet(*args: str) -> float:
    result = calc(*args, "-q")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.count("\n") == 1
    return float(result.stdout)


def strict_json(*args: str) -> dict[str, Any]:
    result = calc(*args, "--json")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""

    def refuse(name: str) -> Any:
        raise AssertionError(f"non-standard JSON constant {name}")

    obj = json.loads(result.stdout, parse_constant=refuse)
    assert isinstance(obj, dict)
    return obj


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


# ------------------------------------------------------------------------ values

JS_HALF = 0.5 * (0.5 * LN(0.5 / 0.75) + 0.5 * LN(0.5 / 0.25)) + 0.5 * LN(1 / 0.75)


def test_js_and_its_distance() -> None:
    assert quiet("js", "0.5,0.5", "1,0") == pytest.approx(JS_HALF, rel=1e-13)
    assert quiet("js", "1,0", "0.5,0.5") == pytest.approx(JS_HALF, rel=1e-13)  # symmetric
    assert quiet("js", "0.5,0.5", "1,0", "-b", "2") == pytest.approx(JS_HALF / LN(2), rel=1e-13)
    distance = quiet("js", "0.5,0.5", "1,0", "--distance", "-b", "2")
    assert distance == pytest.approx(math.sqrt(JS_HALF / LN(2)), rel=1e-13)
    # Disjoint supports: the largest value, 1 bit.
    assert quiet("js", "1,0", "0,1", "-b", "2") == pytest.approx(1.0, rel=1e-13)
    obj = strict_json("js", "0.5,0.5", "1,0", "--distance", "-b", "2")
    assert obj["measure"] == "js"
    assert "unit" not in obj and obj["base"] == "2"
    assert obj["options"]["distance"] is True
    assert strict_json("js", "0.5,0.5", "1,0")["unit"] == "nats"


def test_perplexity_and_bits_per_token() -> None:
    nats = (LN(2) + LN(4 / 3)) / 2
    args = ("perplexity", "0;1", "0.5,0.5;0.25,0.75")
    assert quiet(*args) == pytest.approx(math.exp(nats), rel=1e-13)
    obj = strict_json(*args)
    assert obj["measure"] == "perplexity"
    assert obj["value"] == pytest.approx(math.sqrt(8 / 3), rel=1e-13)
    assert obj["bits_per_token"] == pytest.approx(nats / LN(2), rel=1e-13)
    assert "unit" not in obj and "reduction" not in obj
    # A uniform guess over 4 classes: perplexity 4, 2 bits per token.
    uniform = strict_json("perplexity", "3", "0.25,0.25,0.25,0.25")
    assert (uniform["value"], uniform["bits_per_token"]) == (pytest.approx(4.0),
                                                             pytest.approx(2.0))


def test_sigmoid_focal() -> None:
    p = _sigmoid(2.0)
    expected = -0.25 * (1 - p) ** 2 * LN(p)
    assert quiet("sigmoid-focal", "1", "2.0", "--logits", "--alpha", "0.25") == pytest.approx(
        expected, rel=1e-12)
    # y = 0: p_t = 1 - p and alpha_t = 1 - alpha.
    q = _sigmoid(-1.0)
    zero = -(1 - 0.25) * q**2 * LN(1 - q)
    both = quiet("sigmoid-focal", "1,0", "2.0,-1.0", "--logits", "--alpha", "0.25")
    assert both == pytest.approx((expected + zero) / 2, rel=1e-12)
    # gamma 0 and no alpha: the binary cross-entropy.
    assert quiet("sigmoid-focal", "1,0", "0.9,0.2", "--gamma", "0") == pytest.approx(
        quiet("bce", "1,0", "0.9,0.2"), rel=1e-13)


def test_ece_with_its_bins() -> None:
    args = ("ece", "0;1;1;0", "0.9,0.1;0.6,0.4;0.2,0.8;0.7,0.3", "--bins", "5")
    # (0.4, 0.6]: 1 row, wrong at 0.6; (0.6, 0.8]: 2 right at 0.8, 0.7; (0.8, 1]: right at 0.9.
    expected = (abs(0 - 0.6) + abs(2 - 1.5) + abs(1 - 0.9)) / 4
    assert quiet(*args) == pytest.approx(expected, rel=1e-13)
    obj = strict_json(*args)
    assert [b["rows"] for b in obj["bins"]] == [0, 0, 1, 2, 1]
    assert obj["bins"][3] == {"lo": pytest.approx(0.6), "hi": pytest.approx(0.8), "rows": 2,
                              "accuracy": 1.0, "confidence": pytest.approx(0.75)}
    assert obj["bins"][0]["accuracy"] is None
    assert obj["options"]["bins"] == 5


def test_brier() -> None:
    assert quiet("brier", "0", "0.7,0.2,0.1") == pytest.approx(0.09 + 0.04 + 0.01, rel=1e-12)
    assert quiet("brier", "0;1", "1,0;1,0", "-r", "sum") == pytest.approx(2.0)
    # Finite where the cross-entropy is not.
    assert quiet("brier", "1", "1,0") == pytest.approx(2.0)


def test_ignore_index_drops_rows_from_loss_and_mean() -> None:
    expected = (LN(2) - LN(0.8)) / 2
    args = ("0;1;-100", "0.5,0.5;0.2,0.8;0.3,0.7", "--ignore-index", "-100")
    assert quiet("ce", *args) == pytest.approx(expected, rel=1e-13)
    assert quiet("perplexity", *args) == pytest.approx(math.exp(expected), rel=1e-13)
    assert quiet("focal", *args, "--gamma", "0") == pytest.approx(expected, rel=1e-13)
    grad = calc("grad", "0;-100", "0,0;5,1", "--ignore-index", "-100", "-q")
    assert grad.exit_code == 0
    assert grad.stdout == "-0.5 0.5\n0.0 0.0\n"  # an ignored row's gradient is 0


def test_sample_weights() -> None:
    expected = (LN(2) - 3 * LN(0.8)) / 4
    args = ("0;1", "0.5,0.5;0.2,0.8", "--sample-weights", "1,3")
    assert quiet("ce", *args) == pytest.approx(expected, rel=1e-13)
    assert quiet("ce", *args, "-r", "sum") == pytest.approx(LN(2) - 3 * LN(0.8), rel=1e-13)
    result = calc("ce", *args, "-r", "none", "-q")
    assert [float(x) for x in result.stdout.split()] == pytest.approx([LN(2), -3 * LN(0.8)])
    kl = quiet("kl", "1,0;0.5,0.5", "0.5,0.5;0.5,0.5", "--sample-weights", "2,0")
    assert kl == pytest.approx(LN(2), rel=1e-13)


def test_binary_label_smoothing() -> None:
    # y' = y (1 - 0.1) + 0.05: 0.95 for 1, 0.05 for 0.
    first = -(0.95 * LN(0.9) + 0.05 * LN(0.1))
    second = -(0.05 * LN(0.2) + 0.95 * LN(0.8))
    got = quiet("bce", "1,0", "0.9,0.2", "--label-smoothing", "0.1")
    assert got == pytest.approx((first + second) / 2, rel=1e-13)


# ------------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ece", "0", "0.5,0.5", "--bins", "0"], "Error: bins must be a whole number from 1 to 10000; got 0\n"),
        (["ce", "0;1", "0.5,0.5;0.2,0.8", "--sample-weights", "1,2,3"], "Error: sample weights must have shape (2,), one per row; got shape (3,)\n"),
        (["ce", "0;1", "0.5,0.5;0.2,0.8", "--sample-weights", "-1,2"], "Error: sample weights must be finite and >= 0; got -1 at index 0\n"),
        (["ce", "0;1", "0.5,0.5;0.2,0.8", "--ignore-index", "1.5"], "Error: --ignore-index must be a whole number; got 1.5\n"),
        (["ce", "0,1", "0.5,0.5", "--ignore-index", "0"], "Error: ignore index applies to class-index targets, not to distributions\n"),
        (["sigmoid-focal", "1", "0.5", "--alpha", "2"], "Error: alpha must be in [0, 1] for the sigmoid focal loss; got 2\n"),
        (["ece", "0", "2,1"], "Error: PRED looks like logits (index 0 is 2): add --logits\n"),
        (["perplexity", "0", "0.5,0.5", "-b", "2"], "Error: No such option: -b. See 'xent calc perplexity --help'.\n"),
        (["ce", "-", "0.5,0.5", "--sample-weights", "-"], "Error: only one argument can be read from standard input: TARGET and --sample-weights are both -\n"),
    ],
)
def test_errors(args: list[str], message: str) -> None:
    result = calc(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == wrapped(message)


@pytest.mark.parametrize(
    ("command", "formula"),
    [
        ("js", "JS(P, Q) = ½ KL(P || M) + ½ KL(Q || M). M = (P + Q)/2"),
        ("perplexity", "PPL = exp(mean_n H(y_n, q_n))"),
        ("sigmoid-focal", "-α_t (1 - p_t)^γ log p_t"),
        ("ece", "ECE = Σ_b (n_b / N) · |acc_b - conf_b|"),
        ("brier", "BS = Σ_k (q_k - y_k)²"),
    ],
)
def test_help_shows_the_formula(command: str, formula: str) -> None:
    result = calc(command, "--help")
    assert result.exit_code == 0
    assert formula in " ".join(result.stdout.split())
    assert all(len(line) <= 80 for line in result.stdout.splitlines())


# ----------------------------------------------------------------------- explain


def explain(*args: str) -> str:
    result = calc(*args, "--explain")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert all(len(line) <= 80 for line in result.stdout.splitlines())
    return str(result.stdout)


def test_explain_js_works_both_divergences() -> None:
    assert explain("js", "0.5,0.5", "1,0") == (
        "Jensen-Shannon divergence  JS(P, Q) = ½ D_KL(P || M) + ½ D_KL(Q || M)\n"
        "M = (P + Q) / 2 is the average of the two: where one has mass, M has too,\n"
        "so both divergences are finite and JS <= ln 2 nats (1 bit).\n"
        "  M = (0.75, 0.25)\n"
        "  D_KL(P || M) = Σ x_i · ln(x_i / m_i):\n"
        "    i=0: 0.5 · ln(0.5 / 0.75) = -0.202733\n"
        "    i=1: 0.5 · ln(0.5 / 0.25) = 0.346574\n"
        "    = 0.143841 nats\n"
        "  D_KL(Q || M) = Σ x_i · ln(x_i / m_i):\n"
        "    i=0: 1 · ln(1 / 0.75) = 0.287682\n"
        "    i=1: 0 (x_i = 0)\n"
        "    = 0.287682 nats\n"
        "  JS = ½ · 0.143841 + ½ · 0.287682 = 0.215762 nats\n"
        "Result: JS(P, Q) = 0.215762 nats\n"
    )
    assert f"{JS_HALF:.6g}" == "0.215762"  # the hand value behind the text
    distance = explain("js", "0.5,0.5", "1,0", "--distance", "-b", "2")
    assert "  sqrt(0.311278) = 0.557923\n" in distance
    assert distance.endswith("Result: sqrt JS(P, Q) = 0.557923\n")


def test_explain_ece_shows_the_bins() -> None:
    text = explain("ece", "0;1;1;0", "0.9,0.1;0.6,0.4;0.2,0.8;0.7,0.3", "--bins", "5")
    assert "  row 1: confidence 0.6 (class 0), target 1: wrong\n" in text
    assert "  (0.6, 0.8]        2          1         0.75           0.25\n" in text
    assert "ECE = Σ_b n_b · |acc_b - conf_b| / N = (1·0.6 + 2·0.25 + 1·0.1) / 4 = 0.3\n" in text
    assert text.endswith("Result: ECE(TARGET, PRED) = 0.3\n")


def test_explain_perplexity_leaves_ignored_rows_out() -> None:
    text = explain("perplexity", "0;1;-100", "0.5,0.5;0.25,0.75;0.1,0.9",
                   "--ignore-index", "-100")
    assert "  row 2 (class -100): ignored\n" in text
    assert "H̄ = mean over the 2 rows = (0.693147 + 0.287682) / 2 = 0.490415 nats\n" in text
    assert "PPL = exp(0.490415) = 1.63299\n" in text


def test_explain_sigmoid_focal_brier_and_weighted_rows() -> None:
    text = explain("sigmoid-focal", "1,0", "2.0,-1.0", "--logits", "--alpha", "0.25")
    p = _sigmoid(2.0)
    bce, factor = -LN(p), (1 - p) ** 2
    assert (f"  label 0: y = 1, p = {p:.6g}, p_t = {p:.6g}\n"
            f"    0.25 · {factor:.6g} · {bce:.6g} = {0.25 * factor * bce:.6g} nats\n") in text
    assert "  label 1: y = 0, p = 0.268941, p_t = 0.731059\n" in text
    text = explain("brier", "0;2", "0.7,0.2,0.1;0.1,0.3,0.6")
    assert "    (0.7 - 1)² + (0.2 - 0)² + (0.1 - 0)² = 0.14\n" in text
    assert "mean over the 2 rows = (0.14 + 0.26) / 2 = 0.2\n" in text
    text = explain("ce", "0;1", "0.5,0.5;0.2,0.8", "--sample-weights", "1,3")
    assert "  = (1 · 0.693147 + 3 · 0.223144) / (1 + 3)\n  = 0.340644 nats\n" in text


def test_js_plot_draws_p_and_q() -> None:
    result = calc("js", "0.5,0.5", "1,0", "--plot")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[2].split() == ["class", "P", "Q"]
    assert lines[3].split()[:2] == ["0", "0.500"] and "1.000" in lines[3]


# ------------------------------------------------------------- anything typed

_WORDS = st.sampled_from(
    ["0.5", "-1", "1/3", "2", "0", "1", ",", ";", " ", "abc", "-inf", "inf", "nan", "1e999", "-"]
)
_ARGS = st.lists(_WORDS, min_size=0, max_size=6).map("".join)
_OPTIONS = {
    "js": [[], ["--distance"], ["-b", "2"]],
    "perplexity": [[], ["--logits"], ["--ignore-index", "1"]],
    "sigmoid-focal": [[], ["--logits"], ["--alpha", "0.25"], ["--gamma", "0"]],
    "ece": [[], ["--logits"], ["--bins", "3"]],
    "brier": [[], ["--logits"], ["--sample-weights", "1"]],
}


@settings(max_examples=60)
@given(st.sampled_from(sorted(_OPTIONS)), _ARGS, _ARGS, st.integers(0, 2),
       st.sampled_from([[], ["-q"], ["--json"], ["--explain"]]))
def test_anything_typed_gives_a_result_or_one_error_line(
    command: str, first: str, second: str, pick: int, output: list[str]
) -> None:
    result = runner.invoke(app, ["calc", command, first, second, *_OPTIONS[command][pick],
                                 *output], input="")
    assert result.exit_code in (0, 2), result.stderr
    if result.exit_code == 2:
        assert result.stdout == ""
        assert is_one_error(result.stderr)
    else:
        assert result.stderr == "" or result.stderr.startswith("Note: ")


@settings(max_examples=40)
@given(_ARGS, _ARGS, st.sampled_from([[], ["--logits"], ["--ignore-index", "0"], ["--json"]]))
def test_eval_of_anything_typed_gives_a_report_or_one_error_line(
    first: str, second: str, options: list[str]
) -> None:
    result = runner.invoke(app, ["eval", first, second, *options], input="")
    assert result.exit_code in (0, 2), result.stderr
    if result.exit_code == 2:
        assert result.stdout == ""
        assert is_one_error(result.stderr)

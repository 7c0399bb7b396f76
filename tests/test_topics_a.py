"""The six interview topics on calibration, scoring rules, distillation, framework traps,
language-model losses and the two directions of KL.

Every numeric question is drawn for many seeds and its expected value compared with an
independent formula written here with numpy and math (never the bank's own formula);
the independent formulas are themselves checked against values worked by hand.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import yaml
from typer.testing import CliRunner

from xentcli.cli.app import app
from xentcli.quiz.bank import Instance, load_banks, shipped_bank_dir
from xentcli.quiz.cards import load_card
from xentcli.quiz.grading import grade_numeric

TOPICS = (
    "calibration",
    "scoring-rules",
    "distillation",
    "framework-traps",
    "language-models",
    "forward-reverse-kl",
)
TITLES = {
    "calibration": "Calibration",
    "scoring-rules": "Proper scoring rules",
    "distillation": "Knowledge distillation",
    "framework-traps": "Framework traps",
    "language-models": "Language-model losses",
    "forward-reverse-kl": "Forward vs reverse KL",
}
FILES = [shipped_bank_dir() / f"{topic}.yaml" for topic in TOPICS]
BANK = load_banks(FILES)
SEEDS = range(150)

Params = dict[str, Any]


# ------------------------------------------------------------ independent maths


Vector = npt.NDArray[np.float64]


def _arr(x: npt.ArrayLike) -> Vector:
    return np.asarray(x, dtype=np.float64)


def softmax(z: npt.ArrayLike) -> Vector:
    a = _arr(z)
    e = np.exp(a - a.max())
    out: Vector = e / e.sum()
    return out


def log_softmax(z: npt.ArrayLike) -> Vector:
    a = _arr(z)
    m = a.max()
    out: Vector = a - m - math.log(float(np.exp(a - m).sum()))
    return out


def kl(p: npt.ArrayLike, q: npt.ArrayLike) -> float:
    pa, qa = _arr(p), _arr(q)
    return float(np.sum(pa * np.log(pa / qa)))


def entropy(p: npt.ArrayLike) -> float:
    pa = _arr(p)
    return float(-np.sum(pa * np.log(pa)))


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def bce(y: Sequence[float], p: Sequence[float]) -> float:
    ya, pa = _arr(y), _arr(p)
    return float(np.mean(-(ya * np.log(pa) + (1 - ya) * np.log(1 - pa))))


def ece(conf: Sequence[float], correct: Sequence[int], edges: Sequence[float]) -> float:
    """Top-label ECE over the bins (edges[i], edges[i + 1]]."""
    c, r = _arr(conf), _arr(correct)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        inside = (c > lo) & (c <= hi)
        if inside.any():
            total += inside.sum() / len(c) * abs(r[inside].mean() - c[inside].mean())
    return total


def logit(p: float) -> float:
    return math.log(p) - math.log1p(-p)


def _scaled(z: Sequence[float], t: float) -> Vector:
    return _arr(z) / t


# ------------------------------------------------------- one formula per question


def _auc(P: Params) -> float:
    pos, neg = _arr(P["s"]), _arr(P["g"])
    return float(np.mean(pos[:, None] > neg[None, :]))


def _accuracy_at_half(P: Params) -> float:
    right = np.concatenate([_arr(P["s"]) > 0.5, _arr(P["g"]) < 0.5])
    return float(right.mean())


def _calib_bins(P: Params) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = _arr([P["n1"], P["n2"], P["n3"]])
    c = _arr([P["c1"], P["c2"], P["c3"]])
    if "d1" in P:
        a = _arr([round(P["c1"] + P["d1"], 2), round(P["c2"] + P["d2"], 2),
                  round(P["c3"] - P["d3"], 2)])
    else:
        a = _arr([P["a1"], P["a2"], P["a3"]])
    return n, c, a


def _ece_table(P: Params) -> float:
    n, c, a = _calib_bins(P)
    return float(np.sum(n / n.sum() * np.abs(a - c)))


def _ece_eight(P: Params) -> float:
    conf = [*P["u"], *P["v"]]
    right = [*P["cu"], *P["cv"]]
    return ece(conf, right, [0.5, 0.75, 1.0])


def _nll_drop(P: Params) -> float:
    y, z = P["y"], P["z"]
    return float(-log_softmax(z)[y] + log_softmax(_scaled(z, P["T"]))[y])


def _score_epochs(P: Params) -> float:
    a = _arr([P["a1"], P["a2"], P["a3"], P["a4"]])
    b = _arr([P["b1"], P["b2"], P["b3"], P["t"]])
    return float(np.mean(-np.log(b)) - np.mean(-np.log(a)))


def _distil_pair(P: Params) -> tuple[np.ndarray, np.ndarray]:
    return softmax(_scaled(P["zt"], P["T"])), softmax(_scaled(P["zs"], P["T"]))


def _distil_combined(P: Params) -> float:
    p, q = _distil_pair(P)
    hard = -log_softmax(P["zs"])[P["y"]]
    return float(P["alpha"] * hard + (1 - P["alpha"]) * P["T"] ** 2 * kl(p, q))


def _weighted_ignore(P: Params) -> float:
    table: list[list[float]] = [[1, 2, 5], [0.5, 1, 3], [2, 1, 4], [1, 4, 2]]
    w = table[P["wi"]]
    ys = [P["y1"], P["y2"], P["y3"]]
    ps = [P["p1"], P["p2"], P["p3"]]
    num = sum(w[y] * -math.log(p) for y, p in zip(ys, ps, strict=True))
    return float(num / sum(w[y] for y in ys))


def _mixup(P: Params) -> float:
    t = np.zeros(3)
    t[P["a"]] += P["lam"]
    t[P["b"]] += 1 - P["lam"]
    return float(-np.sum(t * log_softmax(P["z"])))


def _multilabel(P: Params) -> float:
    z = _arr([P["z1"], P["z2"]]).ravel()
    y = _arr([P["y1"], P["y2"]]).ravel()
    # log(1 + e^-z) for y = 1 and log(1 + e^z) for y = 0, written with logaddexp.
    return float(np.mean(y * np.logaddexp(0, -z) + (1 - y) * np.logaddexp(0, z)))


def _padding(P: Params) -> float:
    na, nb = round(P["fa"] * P["T"]), round(P["fb"] * P["T"])
    sa, sb = round(P["ma"] * na, 1), round(P["mb"] * nb, 1)
    return math.exp((sa + sb) / (na + nb))


def _token_vs_sequence(P: Params) -> float:
    s1, s2 = round(P["m1"] * P["n1"], 1), round(P["m2"] * P["n2"], 1)
    return math.exp((s1 + s2) / (P["n1"] + P["n2"]))


def _gaussian_kl(m1: float, s1: float, m2: float, s2: float) -> float:
    # Rearranged: ½[(σ₁/σ₂)² + ((μ₂ − μ₁)/σ₂)² − 1 − 2 log(σ₁/σ₂)].
    ratio = s1 / s2
    return 0.5 * (ratio**2 + ((m2 - m1) / s2) ** 2 - 1 - 2 * math.log(ratio))


def _mixture_std(P: Params) -> float:
    """The standard deviation of ½N(−m, s²) + ½N(m, s²), by numerical integration."""
    m, s = P["m"], P["s"]
    x = np.linspace(-m - 12 * s, m + 12 * s, 200_001)
    dens = 0.5 * (np.exp(-0.5 * ((x + m) / s) ** 2) + np.exp(-0.5 * ((x - m) / s) ** 2))
    dens /= s * math.sqrt(2 * math.pi)
    step = x[1] - x[0]
    mean = float(np.sum(x * dens) * step)
    return math.sqrt(float(np.sum((x - mean) ** 2 * dens) * step))


def _bimodal(b: float) -> list[float]:
    return [(1 - b) / 2, b, (1 - b) / 2]


def _mode(eps: float) -> list[float]:
    return [1 - 2 * eps, eps, eps]


REFERENCE: dict[str, Callable[[Params], float]] = {
    # calibration
    "calib-bin-gap": lambda P: P["c"] - round(P["a"] * P["n"]) / P["n"],
    "calib-ece-bins": _ece_table,
    "calib-mce-bins": lambda P: float(np.max(np.abs(_calib_bins(P)[2] - _calib_bins(P)[1]))),
    "calib-ece-predictions": _ece_eight,
    "calib-temperature-confidence": lambda P: float(softmax(_scaled(P["z"], P["T"])).max()),
    "calib-temperature-nll-drop": _nll_drop,
    "calib-temperature-for-target": lambda P: logit(P["p"]) / logit(P["c"]),
    "calib-smoothing-cap": lambda P: 1 - P["eps"] * (P["K"] - 1) / P["K"] - P["acc"],
    # scoring rules
    "score-brier-single": lambda P: (P["p"] - P["y"]) ** 2,
    "score-brier-multiclass": lambda P: float(np.sum((_arr(P["q"]) - np.eye(3)[P["y"]]) ** 2)),
    "score-logloss-batch": lambda P: bce(P["y"], P["p"]),
    "score-loss-up-accuracy-up": _score_epochs,
    "score-honesty-log": lambda P: kl([P["p"], 1 - P["p"]], [P["r"], 1 - P["r"]]),
    "score-honesty-brier": lambda P: (P["r"] - P["p"]) ** 2,
    "score-base-rate": lambda P: entropy([P["rate"], 1 - P["rate"]]),
    "score-auc-pairs": _auc,
    # distillation
    "distil-t2-factor": lambda P: float(P["T"] * P["T"]),
    "distil-soft-target": lambda P: float(softmax(_scaled(P["z"], P["T"]))[P["c"]]),
    "distil-temperature-for-ratio": lambda P: P["gap"] / -math.log(P["r"]),
    "distil-kl": lambda P: kl(*_distil_pair(P)),
    "distil-soft-loss": lambda P: P["T"] ** 2 * kl(*_distil_pair(P)),
    "distil-combined-loss": _distil_combined,
    "distil-ce-offset": lambda P: entropy(softmax(_scaled(P["zt"], P["T"]))),
    "distil-mean-reduction": lambda P: round(P["xs"] / P["K"], 6) * P["K"],
    # framework traps
    "fw-nll-on-probabilities": lambda P: -(P["q1"][P["y1"]] + P["q2"][P["y2"]]) / 2,
    "fw-double-softmax": lambda P: float(-log_softmax(P["q"])[P["y"]]),
    "fw-bcewithlogits-on-probabilities": lambda P: bce([1, 0], [sigmoid(P["p1"]),
                                                                sigmoid(P["p2"])]),
    "fw-ignore-index": lambda P: float(np.mean(-np.log(_arr(P["pr"])))),
    "fw-weighted-ignore": _weighted_ignore,
    "fw-soft-targets": _mixup,
    "fw-multilabel-mean": _multilabel,
    # language models
    "lm-perplexity-from-loss": lambda P: math.exp(P["L"]),
    "lm-init-loss": lambda P: math.log(P["V"]),
    "lm-sequence-perplexity": lambda P: float(np.prod(_arr(P["p"])) ** -0.25),
    "lm-token-vs-sequence": _token_vs_sequence,
    "lm-padding-denominator": _padding,
    "lm-bits-per-character": lambda P: P["L"] / math.log(2) / P["c"],
    "lm-word-perplexity": lambda P: P["P"] ** (round(P["r"] * P["nw"]) / P["nw"]),
    "lm-compression": lambda P: P["N"] * (P["b"] / 8),
    # forward vs reverse KL
    "fr-vae-kl-1d": lambda P: _gaussian_kl(P["mu"], P["s"], 0.0, 1.0),
    "fr-vae-logvar": lambda P: sum(_gaussian_kl(m, math.exp(lv / 2), 0.0, 1.0)
                                   for m, lv in zip(P["mu"], P["lv"], strict=True)),
    "fr-gaussian-kl": lambda P: _gaussian_kl(P["m1"], P["s1"], P["m2"], P["s2"]),
    "fr-reverse-kl-mode": lambda P: kl(_mode(P["eps"]), _bimodal(P["b"])),
    "fr-reverse-kl-choice": lambda P: (kl([1 / 3] * 3, _bimodal(P["b"]))
                                       - kl(_mode(P["eps"]), _bimodal(P["b"]))),
    "fr-rlhf-penalty": lambda P: P["r"] - P["beta"] * float(
        np.sum(np.log(_arr(P["pol"])) - np.log(_arr(P["rho"])))),
    "fr-k3-estimator": lambda P: P["b"] / P["a"] - 1 - math.log(P["b"] / P["a"]),
    "fr-forward-moment-match": _mixture_std,
}

NUMERIC = [q for q in BANK.questions if q.kind == "numeric"]


@functools.cache
def _draws(question_id: str) -> tuple[Instance, ...]:
    """The question drawn for every seed, once for all the tests that look at the draws."""
    question = BANK.question(question_id)
    return tuple(question.instantiate(seed) for seed in SEEDS)


def test_every_numeric_question_has_an_independent_formula() -> None:
    assert sorted(q.id for q in NUMERIC) == sorted(REFERENCE)


@pytest.mark.parametrize("question", NUMERIC, ids=[q.id for q in NUMERIC])
def test_expected_values_agree_with_the_independent_formula(question: Any) -> None:
    reference = REFERENCE[question.id]
    for inst in _draws(question.id):
        want = reference(inst.params)
        assert inst.expected == pytest.approx(want, rel=1e-9, abs=1e-12), (question.id,
                                                                           inst.seed,
                                                                           inst.params)


@pytest.mark.parametrize("question", NUMERIC, ids=[q.id for q in NUMERIC])
def test_no_draw_is_degenerate(question: Any) -> None:
    for inst in _draws(question.id):
        value = inst.expected
        assert isinstance(value, float) and math.isfinite(value)
        # Far from zero relative to the tolerance: an answer of "0" never passes.
        assert abs(value) > 10 * inst.atol, (question.id, inst.seed, value)
        # Every number the prompt shows is finite and the prompt has no leftover braces.
        assert "{" not in inst.prompt and "nan" not in inst.prompt.split(), (question.id,
                                                                            inst.seed)


# Worked by hand (the steps are in the comments),
# to check that the independent formulas above say what the questions mean.
HAND = [
    ("calib-bin-gap", {"n": 200, "c": 0.9, "a": 0.8}, 0.9 - 160 / 200),
    # ECE: (100·|0.66 − 0.62| + 300·|0.74 − 0.81| + 600·|0.90 − 0.96|) / 1000 = 0.061.
    ("calib-ece-bins", {"n1": 100, "n2": 300, "n3": 600, "c1": 0.62, "c2": 0.81, "c3": 0.96,
                        "d1": 0.04, "d2": -0.07, "d3": 0.06}, 0.061),
    # Bins: {0.6 r, 0.7 w, 0.75 r} → |2 − 2.05| = 0.05; {0.8 r, 0.9 r, 0.95 w, 0.99 r,
    # 0.85 r} → |4 − 4.49| = 0.49; ECE = (0.05 + 0.49) / 8 = 0.0675.
    ("calib-ece-predictions", {"u": [0.6, 0.7, 0.75], "cu": [1, 0, 1],
                               "v": [0.8, 0.9, 0.95, 0.99, 0.85], "cv": [1, 1, 0, 1, 1]},
     0.0675),
    # logit(0.99) / logit(0.9) = ln 99 / ln 9 = 4.595120 / 2.197225.
    ("calib-temperature-for-target", {"p": 0.99, "c": 0.9}, 4.595120 / 2.197225),
    # ε = 0.1 over 10 classes: the top class keeps 0.9 + 0.01 = 0.91; 0.91 − 0.99.
    ("calib-smoothing-cap", {"K": 10, "eps": 0.1, "acc": 0.99}, -0.08),
    # softmax([1, 0, 0]) top = e / (e + 2) = 0.57612.
    ("calib-temperature-confidence", {"z": [2, 0, 0], "T": 2}, 0.576117),
    ("score-brier-multiclass", {"q": [0.7, 0.2, 0.1], "y": 0}, 0.09 + 0.04 + 0.01),
    ("score-honesty-brier", {"p": 0.7, "r": 0.9}, 0.04),
    # KL(0.7 ‖ 0.9) = 0.7 ln(7/9) + 0.3 ln 3 = −0.175922 + 0.329584.
    ("score-honesty-log", {"p": 0.7, "r": 0.9}, 0.153664),
    # H(0.02) = −0.02 ln 0.02 − 0.98 ln 0.98 = 0.078240 + 0.019799.
    ("score-base-rate", {"rate": 0.02}, 0.098039),
    # 0.8 beats all three; 0.45 beats 0.2 and 0.4 but not 0.7: 5 of 6 pairs.
    ("score-auc-pairs", {"s": [0.8, 0.45], "g": [0.2, 0.7, 0.4]}, 5 / 6),
    # T = 4: soft target of logit 0 against [8, 0, 0]: 1 / (e² + 2) = 0.106507.
    ("distil-soft-target", {"z": [8, 0, 0], "T": 4, "c": 1}, 0.106507),
    ("distil-temperature-for-ratio", {"gap": 4, "r": 0.5}, 4 / 0.693147),
    # logged 0.002 with 'mean' over 100 classes: 0.2 per example.
    ("distil-mean-reduction", {"xs": 0.2, "K": 100}, 0.2),
    # Uniform teacher at any T: entropy log 3.
    ("distil-ce-offset", {"zt": [1, 1, 1], "T": 3}, 1.098612),
    ("fw-nll-on-probabilities", {"q1": [0.7, 0.2, 0.1], "y1": 0, "q2": [0.2, 0.5, 0.3],
                                 "y2": 1}, -0.6),
    # softmax([0.7, 0.2, 0.1])_0 = e^0.7 / (e^0.7 + e^0.2 + e^0.1) = 2.013753 / 4.340326.
    ("fw-double-softmax", {"q": [0.7, 0.2, 0.1], "y": 0}, 0.767950),
    # −log σ(0.5) and −log(1 − σ(0.5)): 0.474077 and 0.974077, mean 0.724077.
    ("fw-bcewithlogits-on-probabilities", {"p1": 0.5, "p2": 0.5}, 0.724077),
    # Weights [1, 2, 5], targets 0, 2, 2 with p 0.5, 0.5, 0.25:
    # (ln 2 + 5 ln 2 + 5 ln 4) / 11 = 16 ln 2 / 11.
    ("fw-weighted-ignore", {"wi": 0, "y1": 0, "y2": 2, "y3": 2, "p1": 0.5, "p2": 0.5,
                            "p3": 0.25}, 16 * 0.693147 / 11),
    ("lm-init-loss", {"V": 32000}, 10.373491),
    ("lm-sequence-perplexity", {"p": [0.5, 0.5, 0.25, 0.125]}, 2 ** 1.75),
    # 10 tokens / 40 nats and 200 tokens / 400 nats: exp(440 / 210) = exp(2.095238).
    ("lm-token-vs-sequence", {"n1": 10, "m1": 4.0, "n2": 200, "m2": 2.0}, 8.127376),
    ("lm-bits-per-character", {"L": 2.772589, "c": 4.0}, 1.0),  # 4 ln 2 nats over 4 chars
    ("lm-word-perplexity", {"P": 16, "nw": 1000, "r": 1.25}, 32.0),  # 16^1.25
    ("lm-compression", {"N": 1000, "b": 1.0}, 125.0),  # 1 bit of every 8
    # ½(0.25 + 1 − 1 − ln 0.25) = ½(0.25 + 1.386294).
    ("fr-vae-kl-1d", {"mu": 1, "s": 0.5}, 0.818147),
    # logvar 0 and μ 0: no KL in the first dimension; the second is the 1-D case.
    ("fr-vae-logvar", {"mu": [0, 1], "lv": [0, math.log(0.25)]}, 0.818147),
    ("fr-gaussian-kl", {"m1": 0, "s1": 1, "m2": 1, "s2": 1}, 0.5),
    # Modes at ±3 with unit spread: variance 1 + 9 = 10.
    ("fr-forward-moment-match", {"m": 3, "s": 1}, math.sqrt(10)),
    ("fr-rlhf-penalty", {"r": 2, "beta": 0.1, "pol": [0.5, 0.5, 0.5],
                         "rho": [0.25, 0.25, 0.25]}, 2 - 0.3 * 0.693147),
    # r = 0.6 / 0.3 = 2: 2 − 1 − ln 2.
    ("fr-k3-estimator", {"a": 0.3, "b": 0.6}, 0.306853),
]


@pytest.mark.parametrize(("question_id", "params", "value"), HAND,
                         ids=[h[0] for h in HAND])
def test_independent_formulas_match_hand_worked_values(question_id: str, params: Params,
                                                       value: float) -> None:
    assert REFERENCE[question_id](params) == pytest.approx(value, rel=5e-6, abs=1e-9)


def test_the_hand_worked_cases_cover_every_topic() -> None:
    topics = {BANK.question(qid).topic for qid, _, _ in HAND}
    assert topics == set(TOPICS)


# --------------------------------------------------------------- structure and mix


@pytest.mark.parametrize("topic", TOPICS)
def test_each_topic_mixes_kinds(topic: str) -> None:
    kinds = [q.kind for q in BANK.topics[topic].questions]
    assert len(kinds) >= 11
    assert kinds.count("numeric") >= 7
    assert kinds.count("choice") >= 2
    assert kinds.count("open") >= 1


def test_bank_check_is_clean() -> None:
    result = CliRunner().invoke(app, ["bank", "check", *map(str, FILES)])
    assert result.exit_code == 0, result.stdout
    assert result.stdout.startswith("OK: ")


# ------------------------------------------------------------------------ cards

SECTIONS = ("## In one minute", "## The formula", "## Worked example", "## Pitfalls")


@pytest.mark.parametrize("topic", TOPICS)
def test_each_topic_has_a_card_that_renders(topic: str) -> None:
    card = load_card(topic)
    assert card.title == TITLES[topic] == BANK.topics[topic].title
    for heading in SECTIONS:
        assert heading in card.text, (topic, heading)
    # The topic list puts the summary after the longest topic id: keep it short enough
    # for ids of up to 22 characters at 80 columns.
    assert 10 <= len(card.summary) <= 56, card.summary
    rendered = card.render()
    assert "{" not in rendered and "}" not in rendered
    assert re.search(r"\b(nan|inf)\b", rendered) is None
    assert any(ch.isdigit() for ch in rendered.split("## Worked example")[1])


@pytest.mark.parametrize("topic", TOPICS)
def test_each_card_fits_80_columns_and_two_screens(topic: str) -> None:
    result = CliRunner().invoke(app, ["learn", topic])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert len(lines) <= 48, len(lines)
    assert f"Quiz me on this: xent quiz --topic {topic}" in result.stdout


# The cards' worked numbers, computed here by hand or with math alone.
CARD_NUMBERS = {
    "calibration": ["ECE = 0.061", f"top class {math.e ** 3 / (math.e ** 3 + math.e + math.e ** 0.5):.4f} at T = 1"],
    "scoring-rules": [f"KL(0.7 || 0.9) = {0.7 * math.log(7 / 9) + 0.3 * math.log(3):.4f} nats",
                      "Brier 0.2100", "Brier 0.2500"],
    "distillation": ["soft term          16 · KL = "],
    "framework-traps": [f"= {-math.log(0.7):.4f} nats", "= -0.7000",
                        f"{math.log(math.e ** 0.7 + math.e ** 0.2 + math.e ** 0.1) - 0.7:.4f} nats"],
    "language-models": [f"PPL {math.exp(440 / 210):.3f}", f"PPL {math.exp(3):.3f}",
                        f"{440 / 210 / (4 * math.log(2)):.4f}"],
    "forward-reverse-kl": [f"= {0.5 * (0.25 - math.log(0.25)):.4f} nats",
                           f"reverse {0.9 * math.log(0.9 / 0.495) + 0.05 * math.log(5) + 0.05 * math.log(0.05 / 0.495):.4f}"],
}


@pytest.mark.parametrize("topic", TOPICS)
def test_card_worked_examples_show_the_right_numbers(topic: str) -> None:
    rendered = load_card(topic).render()
    for text in CARD_NUMBERS[topic]:
        assert text in rendered, (topic, text)


# ------------------------------------------------------ wave-2 keys on every question


def _raw(topic: str) -> list[dict[str, Any]]:
    data = yaml.safe_load((shipped_bank_dir() / f"{topic}.yaml").read_text(encoding="utf-8"))
    questions: list[dict[str, Any]] = data["questions"]
    return questions


RAW = [q for topic in TOPICS for q in _raw(topic)]


@pytest.mark.parametrize("raw", RAW, ids=[q["id"] for q in RAW])
def test_every_question_declares_level_hint_and_for_numbers_par_and_mistakes(
        raw: dict[str, Any]) -> None:
    assert raw["level"] in (1, 2, 3)
    assert raw.get("hint"), raw["id"]
    if raw["kind"] == "numeric":
        assert isinstance(raw.get("par_seconds"), int) and raw["par_seconds"] > 0
        assert len(raw.get("mistakes", [])) >= 2, raw["id"]
    if raw["kind"] == "choice":
        right = raw["answer"] - 1
        for i, entry in enumerate(raw["choices"]):
            # Distractors explain themselves; the right option is a plain string.
            assert isinstance(entry, dict) != (i == right), (raw["id"], i)
            if i != right:
                assert entry["why"].strip(), (raw["id"], i)


@pytest.mark.parametrize("topic", TOPICS)
def test_each_topic_has_five_auto_graded_interview_questions(topic: str) -> None:
    questions = BANK.topics[topic].questions
    hard = [q for q in questions if q.level == 3 and q.kind in ("numeric", "choice")]
    assert len(hard) >= 5, topic
    assert {q.level for q in questions} >= {2, 3}


def test_the_right_option_is_seldom_the_longest() -> None:
    choice = [q for q in RAW if q["kind"] == "choice"]
    longest = 0
    for raw in choice:
        texts = [c["text"] if isinstance(c, dict) else c for c in raw["choices"]]
        lengths = [len(t) for t in texts]
        longest += lengths[raw["answer"] - 1] == max(lengths)
    assert longest <= len(choice) // 3, longest


@pytest.mark.parametrize("question", NUMERIC, ids=[q.id for q in NUMERIC])
def test_no_declared_mistake_is_graded_right(question: Any) -> None:
    for inst in _draws(question.id):
        assert len(inst.mistakes) >= 2
        assert isinstance(inst.expected, float)
        for mistake in inst.mistakes:
            assert not grade_numeric(repr(mistake.value), inst.expected, inst.rtol,
                                     inst.atol).correct, (question.id, inst.seed, mistake.id)
            assert mistake.message.strip() and "{" not in mistake.message


# A few declared mistakes, worked out independently, so that a message never names a slip
# its formula does not compute.
MISTAKE_REFERENCE: dict[tuple[str, str], Callable[[Params], float]] = {
    ("calib-ece-bins", "unweighted-bins"):
        lambda P: float(np.mean(np.abs(_calib_bins(P)[2] - _calib_bins(P)[1]))),
    ("calib-temperature-nll-drop", "new-nll"):
        lambda P: float(-log_softmax(_scaled(P["z"], P["T"]))[P["y"]]),
    ("score-honesty-log", "swapped-kl"): lambda P: kl([P["r"], 1 - P["r"]],
                                                      [P["p"], 1 - P["p"]]),
    ("score-base-rate", "coin-flip"): lambda P: math.log(2),
    ("score-auc-pairs", "accuracy"): _accuracy_at_half,
    ("distil-soft-loss", "forgot-t2"): lambda P: kl(*_distil_pair(P)),
    ("distil-kl", "swapped-kl"): lambda P: kl(*reversed(_distil_pair(P))),
    ("fw-nll-on-probabilities", "real-cross-entropy"):
        lambda P: -(math.log(P["q1"][P["y1"]]) + math.log(P["q2"][P["y2"]])) / 2,
    ("fw-ignore-index", "padding-in-denominator"):
        lambda P: float(np.sum(-np.log(_arr(P["pr"])))) / 5,
    ("lm-token-vs-sequence", "per-sequence-mean"):
        lambda P: math.exp((round(P["m1"] * P["n1"], 1) / P["n1"]
                            + round(P["m2"] * P["n2"], 1) / P["n2"]) / 2),
    ("lm-bits-per-character", "bits-per-token"): lambda P: P["L"] / math.log(2),
    ("fr-vae-kl-1d", "reversed"): lambda P: _gaussian_kl(0.0, 1.0, P["mu"], P["s"]),
    ("fr-reverse-kl-mode", "forward"): lambda P: kl(_bimodal(P["b"]), _mode(P["eps"])),
}


@pytest.mark.parametrize("key", list(MISTAKE_REFERENCE), ids=["/".join(k) for k in MISTAKE_REFERENCE])
def test_declared_mistakes_compute_the_slip_they_name(key: tuple[str, str]) -> None:
    question_id, mistake_id = key
    for inst in _draws(question_id)[:40]:
        value = next(m.value for m in inst.mistakes if m.id == mistake_id)
        assert value == pytest.approx(MISTAKE_REFERENCE[key](inst.params), rel=1e-9)


@pytest.mark.parametrize("question", NUMERIC, ids=[q.id for q in NUMERIC])
def test_worked_solutions_and_tables_fit_80_columns(question: Any) -> None:
    # Prose prompts are folded by the terminal; tables and worked lines are not.
    for inst in _draws(question.id):
        lines = inst.explanation.splitlines()
        if len(inst.prompt.splitlines()) > 1:
            lines += inst.prompt.splitlines()
        assert max(len(line) for line in lines) <= 80, (question.id, inst.seed)

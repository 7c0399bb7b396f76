"""The fourteen first banks, raised to interview level: their numbers against formulas
written here with math and numpy (never the bank's own formula), the audit's slips
declared and never graded right, no degenerate draw, and the rules every shipped
question of these banks keeps (levels, par_seconds, hints, mistakes, reasons for
wrong options, right options that do not stand out by length)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from xentcli.quiz.bank import Instance, load_banks, shipped_bank_dir
from xentcli.quiz.grading import grade_numeric

OLD_TOPICS = (
    "activations", "bce", "ce-loss", "cross-entropy", "entropy", "focal", "gradient", "kl",
    "likelihood", "smoothing", "stability", "surprisal", "units", "weighted",
)
FILES = [shipped_bank_dir() / f"{topic}.yaml" for topic in OLD_TOPICS]
BANK = load_banks(FILES)
SEEDS = range(60)
LN2, LN10 = math.log(2), math.log(10)


def _raw() -> list[dict[str, Any]]:
    return [q for path in FILES for q in yaml.safe_load(Path(path).read_text("utf-8"))["questions"]]


RAW = _raw()


# ----------------------------------------------------------------- worked by hand

def _h(probs: Any, log: Callable[[float], float] = math.log) -> float:
    """Entropy written out term by term, 0 · log 0 = 0."""
    return float(-sum(p * log(p) for p in probs if p > 0))


def _hb(p: float, log: Callable[[float], float] = math.log) -> float:
    return _h([p, 1 - p], log)


def _softmax(z: Any) -> np.ndarray:
    e = np.exp(np.asarray(z, dtype=float) - np.max(z))
    return np.asarray(e / e.sum())


def _xent(p: Any, q: Any) -> float:
    return float(-np.sum(np.asarray(p) * np.log(np.asarray(q))))


def _kl(p: Any, q: Any, log: Callable[[Any], Any] = np.log) -> float:
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    return float(np.sum(p * log(p / q)))


def _smoothed(y: int, eps: float, k: int) -> np.ndarray:
    t = np.full(k, eps / k)
    t[y] += 1 - eps
    return t


def _focal(p: float, gamma: float) -> float:
    return float((1 - p) ** gamma * -math.log(p))


def _temperature_grad(v: Mapping[str, Any]) -> float:
    """∂L/∂z_true of −log softmax(z / T)_true, by a central difference."""
    z, y, t, h = np.asarray(v["z"], dtype=float), v["y"], v["t"], 1e-6

    def loss(shift: float) -> float:
        w = z.copy()
        w[y] += shift
        return float(-np.log(_softmax(w / t)[y]))

    return (loss(h) - loss(-h)) / (2 * h)


def _step_probability(v: Mapping[str, Any]) -> float:
    z, y, lr = np.asarray(v["z"], dtype=float), v["y"], v["lr"]
    grad = _softmax(z) - np.eye(3)[y]
    return float(_softmax(z - lr * grad)[y])


def _spread_entropy(v: Mapping[str, Any]) -> float:
    k, m = v["k"], v["m"]
    return _h([m] + [(1 - m) / (k - 1)] * (k - 1), math.log2)


WEIGHT_TABLE = [[1, 2, 5], [1, 3, 10], [0.5, 1, 4], [2, 1, 3]]

# Every question whose answer is new or changed in the raised banks, worked
# independently from the drawn params.
WORKED: dict[str, Callable[[Mapping[str, Any]], float]] = {
    "surprisal-factor": lambda v: 0.5 ** v["d"],
    "surprisal-pin": lambda v: math.log2(10 ** (v["n"] - 1) * v["c"]),
    "entropy-two-coins": lambda v: _h(
        [a * b for a in (v["a"], 1 - v["a"]) for b in (v["b"], 1 - v["b"])], math.log2),
    "entropy-spread": _spread_entropy,
    "cross-entropy-vs-uniform": lambda v: LN2 * math.log2(3) - _xent(v["p"], v["q"]),
    "cross-entropy-rare-errors": lambda v: (
        (1 - v["f"]) * -math.log(v["g"]) - v["f"] * math.log(10.0 ** -v["k"])),
    "kl-smoothed-target": lambda v: _kl(_smoothed(v["y"], v["eps"], 3), v["q"]),
    "kl-ratio-trap": lambda v: (
        (round(v["h"] + v["db"], 2) - v["h"]) / (round(v["h"] + v["da"], 2) - v["h"])),
    "kl-reducible-share": lambda v: _kl(v["p"], v["q"]) / _xent(v["p"], v["q"]),
    "likelihood-log-likelihood": lambda v: math.log(v["q"] ** v["n"]),
    "likelihood-mle-gain": lambda v: 1 - _hb(round(v["f"] * v["n"]) / v["n"], math.log2),
    "likelihood-perplexity-compare": lambda v: math.log(round(v["pa"] * v["r"], 1) / v["pa"]),
    "smoothing-logit-gap": lambda v: math.log1p(v["k"] * (1 - v["eps"]) / v["eps"]),
    "smoothing-hard-label-nll": lambda v: -math.log(_smoothed(0, v["eps"], v["k"])[0]),
    "ce-loss-class-index": lambda v: float(-np.log(_softmax(v["z"])[v["y"]])),
    "ce-loss-init": lambda v: -math.log(1 / v["k"]),
    "ce-loss-init-diagnosis": lambda v: (1 / v["k"]) / math.exp(
        -round(math.log(v["k"]) + v["extra"], 2)),
    "ce-loss-mixup-floor": lambda v: _hb(v["lam"]),
    "bce-constant-predictor": lambda v: -(v["r"] * math.log(v["r"])
                                          + (1 - v["r"]) * math.log(1 - v["r"])),
    "bce-multilabel-constant": lambda v: (
        -math.log(v["c"]) - (v["k"] - 1) * math.log(1 - v["c"])) / v["k"],
    "focal-share-of-ce": lambda v: 1 - math.exp(math.log(v["r"]) / v["g"]),
    "focal-hard-share": lambda v: _focal(v["ph"], 2) / (
        _focal(v["ph"], 2) + v["n"] * _focal(v["pe"], 2)),
    "gradient-step-probability": _step_probability,
    "gradient-batch-mean": lambda v: float(
        (_softmax(v["z"]) - np.eye(3)[v["y"]])[v["j"]] / v["n"]),
    "gradient-temperature": _temperature_grad,
    "stability-overflow-limit": lambda v: math.log(v["mx"]),
    "stability-clip-understatement": lambda v: v["d"] * LN10,
    "units-bits-per-character": lambda v: v["l"] / LN2 / v["c"],
    "units-mixed-report": lambda v: v["x"] * LN2 - round(v["x"] * LN2 - v["d"], 2),
    "weighted-pos-weight": lambda v: (
        -v["pw"] * math.log(v["p1"]) - math.log(1 - v["p0"])) / 2,
    "weighted-single": lambda v: (
        [5, 10, 4, 3, 2][v["wi"]] * math.log(v["qr"])) / ([1, 1, 0.5, 1, 0.2][v["wi"]]
                                                        * math.log(v["qc"])),
    "weighted-effective-pos-weight": lambda v: -v["ratio"] * math.log(v["p"]),
    "weighted-gradient": lambda v: WEIGHT_TABLE[v["wi"]][v["y"]] * (
        float(_softmax(v["z"])[v["y"]]) - 1),
    "activations-double-softmax-loss": lambda v: float(
        -np.log(_softmax(_softmax(v["z"]))[v["y"]])),
    "activations-two-way-softmax": lambda v: math.log(
        float(_softmax([v["a"], v["b"]])[1]) / float(_softmax([v["a"], v["b"]])[0])),
}


def _draws(question_id: str) -> list[Instance]:
    question = BANK.question(question_id)
    return [question.instantiate(seed, texts=False) for seed in SEEDS]


@pytest.mark.parametrize("question_id", sorted(WORKED))
def test_new_and_changed_answers_match_an_independent_formula(question_id: str) -> None:
    for inst in _draws(question_id):
        assert isinstance(inst.expected, float)
        assert inst.expected == pytest.approx(WORKED[question_id](inst.params), rel=1e-7,
                                              abs=1e-9), (question_id, inst.seed, inst.params)


def test_property_checks_of_inverse_questions() -> None:
    """Answers that invert a formula, checked by putting them back into it."""
    for inst in _draws("focal-share-of-ce"):
        p, g, r = float(inst.expected), inst.params["g"], inst.params["r"]
        assert _focal(p, g) / -math.log(p) == pytest.approx(r, rel=1e-9)
    for inst in _draws("activations-two-way-softmax"):
        t = float(inst.expected)
        assert 1 / (1 + math.exp(-t)) == pytest.approx(
            float(_softmax([inst.params["a"], inst.params["b"]])[1]), rel=1e-12)
    for inst in _draws("smoothing-logit-gap"):
        k, eps = inst.params["k"], inst.params["eps"]
        logits = np.zeros(k)
        logits[0] = float(inst.expected)
        assert _softmax(logits) == pytest.approx(_smoothed(0, eps, k), rel=1e-9)


# ------------------------------------------------------------------- the audit

def _slip_never_right(question_id: str, slip: Callable[[Mapping[str, Any]], float],
                      seeds: int = 300) -> None:
    """The slip, worked here, is declared as a mistake of this draw and is graded
    wrong with a diagnosis."""
    question = BANK.question(question_id)
    for seed in range(seeds):
        inst = question.instantiate(seed, texts=False)
        assert isinstance(inst.expected, float)
        value = slip(inst.params)
        declared = [m for m in inst.mistakes if m.value == pytest.approx(value, rel=1e-9)]
        assert declared, (question_id, seed, value)
        grade = grade_numeric(repr(value), inst.expected, inst.rtol, inst.atol,
                              mistakes=inst.mistakes)
        assert not grade.correct and grade.diagnosis, (question_id, seed, value)


AUDIT: dict[str, Callable[[Mapping[str, Any]], float]] = {
    # 1 − ε instead of 1 − ε + ε/K (every K = 100 was accepted)
    "smoothing-true-class": lambda v: 1 - v["eps"],
    # the unsmoothed −log q_y
    "smoothing-loss": lambda v: -math.log(v["q"][v["y"]]),
    # the tails term dropped
    "cross-entropy-coin": lambda v: -v["a"] * math.log2(v["b"]),
    # "1 bit" for 9 or 11 heads of 20
    "likelihood-coin-mle": lambda v: 1.0,
    # swapped H(q, p)
    "cross-entropy-three": lambda v: _xent(v["q"], v["p"]),
    # reverse KL, in bits
    "kl-three-bits": lambda v: _kl(v["q"], v["p"], np.log2),
    # the maximum log2 3
    "entropy-three-bits": lambda v: math.log2(3),
    # the maximum log 4 (an exactly uniform draw)
    "entropy-four-nats": lambda v: math.log(4),
}


@pytest.mark.parametrize("question_id", sorted(AUDIT))
def test_the_audits_slips_are_declared_and_never_graded_right(question_id: str) -> None:
    _slip_never_right(question_id, AUDIT[question_id])


def test_smoothing_true_class_still_asks_k_100() -> None:
    ks = {BANK.question("smoothing-true-class").instantiate(s, texts=False).params["k"]
          for s in range(200)}
    assert 100 in ks


def test_entropy_four_nats_never_draws_the_uniform_distribution() -> None:
    for seed in range(300):
        inst = BANK.question("entropy-four-nats").instantiate(seed)
        assert inst.params["p"] != [0.25, 0.25, 0.25, 0.25]
        assert "below the maximum" not in inst.explanation


# ----------------------------------------------------------------- degenerate draws

def _distribution_params(question_id: str) -> list[str]:
    return [spec.name for spec in BANK.question(question_id).params
            if spec.type == "distribution"]


@pytest.mark.parametrize("path", FILES, ids=OLD_TOPICS)
def test_no_draw_is_degenerate(path: Path) -> None:
    """No numeric answer is within ten absolute tolerances of 0, no drawn distribution has a
    zero (every question here takes logs of its entries), and every declared
    mistake stays clear of the answer."""
    for question in load_banks([path]).questions:
        if question.kind != "numeric":
            continue
        names = _distribution_params(question.id)
        for seed in SEEDS:
            inst = question.instantiate(seed, texts=False)
            assert isinstance(inst.expected, float)
            tolerance = max(inst.atol, inst.rtol * abs(inst.expected))
            assert abs(inst.expected) >= 10 * inst.atol, (question.id, seed, inst.expected)
            for name in names:
                assert min(inst.params[name]) > 0, (question.id, seed, name)
            for mistake in inst.mistakes:
                assert abs(mistake.value - inst.expected) > 2 * tolerance, (question.id, seed)


# ------------------------------------------------------------------------ rules

def test_every_question_has_a_level_and_numeric_ones_par_seconds_and_a_hint() -> None:
    for raw in RAW:
        assert raw.get("level") in (1, 2, 3), raw["id"]
        if raw["kind"] == "numeric":
            assert isinstance(raw.get("par_seconds"), int) and raw["par_seconds"] > 0, raw["id"]
            assert raw.get("hint"), raw["id"]


def test_numeric_questions_declare_at_least_two_mistakes() -> None:
    counts = [len(raw.get("mistakes", [])) for raw in RAW if raw["kind"] == "numeric"]
    assert min(counts) >= 2
    assert sum(counts) / len(counts) >= 2.5


def test_every_distractor_has_a_reason() -> None:
    for raw in RAW:
        if raw["kind"] != "choice":
            continue
        for position, entry in enumerate(raw["choices"], 1):
            if position != raw["answer"]:
                assert isinstance(entry, dict) and str(entry.get("why", "")).strip(), (
                    raw["id"], position)


def test_the_right_option_rarely_stands_out_by_length() -> None:
    choice = [raw for raw in RAW if raw["kind"] == "choice"]
    longest = 0
    for raw in choice:
        texts = [str(c["text"] if isinstance(c, dict) else c) for c in raw["choices"]]
        longest += len(texts[raw["answer"] - 1]) >= max(len(t) for t in texts)
    assert longest / len(choice) <= 0.30, f"{longest} of {len(choice)}"


@pytest.mark.parametrize("topic", OLD_TOPICS)
def test_every_old_topic_has_auto_graded_interview_questions(topic: str) -> None:
    level3 = [q for q in BANK.questions
              if q.topic == topic and q.level == 3 and q.kind in ("numeric", "choice")]
    assert len(level3) >= 2, topic


def test_the_old_banks_hold_about_140_questions() -> None:
    assert len(BANK.questions) >= 140

"""The banks js-divergence, mutual-information, contrastive, logistic-regression,
entropy-regularisation and hinge: every numeric question's expected value agrees, over
many draws, with the same quantity computed here another way (numpy, the definition, or
a finite difference of the loss); no draw is degenerate; a few draws are worked by hand;
the bank format is complete (levels, hints, par times, mistakes, reasons); each topic has
its card."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from xentcli.cli.app import app
from xentcli.quiz.bank import load_banks, shipped_bank_dir
from xentcli.quiz.cards import load_card
from xentcli.quiz.question import Instance, Question

TOPICS = (
    "js-divergence",
    "mutual-information",
    "contrastive",
    "logistic-regression",
    "entropy-regularisation",
    "hinge",
)
FILES = [shipped_bank_dir() / f"{topic}.yaml" for topic in TOPICS]
BANK = load_banks(FILES)
SEEDS = range(120)
LN2 = math.log(2)

Params = Mapping[str, Any]


# --------------------------------------------------------------- plain references


def _h(p: Any, base: float = math.e) -> float:
    """Entropy from the definition, 0·log 0 = 0."""
    a = np.asarray(p, dtype=float)
    a = a[a > 0]
    return float(-(a * np.log(a)).sum() / math.log(base))


def _js(p: Any, q: Any, base: float = math.e) -> float:
    """JS as the entropy of the mixture minus the mean entropy (not via KL)."""
    m = (np.asarray(p, dtype=float) + np.asarray(q, dtype=float)) / 2
    return _h(m, base) - (_h(p, base) + _h(q, base)) / 2


def _mi(joint: Any, base: float = math.e) -> float:
    """I(X;Y) = Σ p(x,y) log(p(x,y) / (p(x)p(y))), from a 2-D table."""
    t = np.asarray(joint, dtype=float)
    t = t / t.sum()
    px = t.sum(axis=1, keepdims=True)
    py = t.sum(axis=0, keepdims=True)
    nz = t > 0
    return float((t[nz] * np.log(t[nz] / (px @ py)[nz])).sum() / math.log(base))


def _softmax(z: Any) -> Any:
    a = np.asarray(z, dtype=float)
    e = np.exp(a - a.max())
    return e / e.sum()


def _sig(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def _diff(f: Callable[[float], float], x: float, h: float = 1e-6) -> float:
    """Central difference: the slope of f at x."""
    return (f(x + h) - f(x - h)) / (2 * h)


def _gini(counts: Sequence[float]) -> float:
    c = np.asarray(counts, dtype=float)
    return float(1 - ((c / c.sum()) ** 2).sum())


def _log_loss(y: int, z: float) -> float:
    return math.log1p(math.exp(-z)) if y == 1 else math.log1p(math.exp(z))


# ---- js-divergence


def js_gan_value(p: Params) -> float:
    data, gen = np.asarray(p["p"]), np.asarray(p["q"])
    d = data / (data + gen)  # the optimal discriminator, written out
    return float((data * np.log(d)).sum() + (gen * np.log(1 - d)).sum())


def js_entropy_form(p: Params) -> float:
    m = (np.asarray(p["p"]) + np.asarray(p["q"])) / 2
    return round(_h(m), 4) - (round(_h(p["p"]), 4) + round(_h(p["q"]), 4)) / 2


# ---- mutual-information


def mi_split_gain(p: Params) -> float:
    # The gain is the mutual information between the side of the split and the label.
    return _mi([[p["lpos"], p["lneg"]], [p["rpos"], p["rneg"]]], 2)


def mi_gini_gain(p: Params) -> float:
    left, right = [p["lpos"], p["lneg"]], [p["rpos"], p["rneg"]]
    parent = [p["lpos"] + p["rpos"], p["lneg"] + p["rneg"]]
    n, nl, nr = sum(parent), sum(left), sum(right)
    return float(_gini(parent) - nl / n * _gini(left) - nr / n * _gini(right))


def mi_id_gain_ratio(p: Params) -> float:
    n, f = p["n"], p["f"]
    npos = round(n * f)
    positive = np.arange(n) < npos
    # One leaf per row: the table of (leaf, label) has a single 1 in each row.
    gain = _mi(np.column_stack([positive, ~positive]).astype(float), 2)
    split_info = _h(np.full(n, 1 / n), 2)
    return gain / split_info


def mi_zero_correlation(p: Params) -> float:
    a, b = p["a"], p["b"]
    c = round((1 - a - 2 * b) / 2, 4)
    xs = np.array([-2, -1, 0, 1, 2])
    px = np.array([c, b, a, b, c])
    ys = xs**2
    # The prompt's claim: X and X² are uncorrelated.
    assert abs((px * xs * ys).sum() - (px * xs).sum() * (px * ys).sum()) < 1e-12
    table = np.zeros((5, 3))
    for i, y in enumerate(ys):
        table[i, [0, 1, 4].index(y)] = px[i]
    return _mi(table, 2)


# ---- contrastive


def nce_loss(p: Params) -> float:
    z = np.asarray(p["s"]) / p["t"]
    return float(-np.log(_softmax(z)[0]))


def nce_grad_positive(p: Params) -> float:
    s, t = list(p["s"]), p["t"]

    def loss(s0: float) -> float:
        return float(-np.log(_softmax(np.array([s0, *s[1:]]) / t)[0]))

    return _diff(loss, s[0])


def nce_clip(p: Params) -> float:
    sim = np.array([[p["a"], p["b"]], [p["c"], p["d"]]]) / p["t"]
    rows = np.mean([-np.log(_softmax(sim[i])[i]) for i in range(2)])
    cols = np.mean([-np.log(_softmax(sim[:, j])[j]) for j in range(2)])
    return float((rows + cols) / 2)


def nce_hard_negative(p: Params) -> float:
    t = p["t"]
    base = [p["s0"], p["s1"], p["s2"]]
    before = -np.log(_softmax(np.array(base) / t)[0])
    after = -np.log(_softmax(np.array([*base, p["h"]]) / t)[0])
    return float(after - before)


def nce_simclr(p: Params) -> float:
    n = p["n"]
    views = np.repeat(np.arange(n), 2)  # the image each of the 2N views comes from
    anchor = 0
    candidates = [v for v in range(2 * n) if v != anchor]  # the view itself is masked
    positive = next(v for v in candidates if views[v] == views[anchor])
    logits = np.zeros(len(candidates))  # all similarities equal
    return float(-np.log(_softmax(logits)[candidates.index(positive)]))


# ---- logistic-regression


def lr_gradient_weight(p: Params) -> float:
    return _diff(lambda w1: _log_loss(p["y"], w1 * p["x1"] + p["w2"] * p["x2"] + p["b"]),
                 p["w1"])


def lr_sgd_step(p: Params) -> float:
    g = _diff(lambda w1: _log_loss(p["y"], w1 * p["x1"] + p["w2"] * p["x2"]), p["w1"])
    return float(p["w1"] - p["eta"] * g)


def lr_curvature(p: Params) -> float:
    def loss(z: float) -> float:
        return (_sig(z) - 1) ** 2

    h, z = 1e-4, p["z"]
    return (loss(z + h) - 2 * loss(z) + loss(z - h)) / h**2


def lr_odds(p: Params) -> float:
    odds = p["p0"] / (1 - p["p0"]) * math.exp(p["w"])
    return float(odds / (1 + odds))


def lr_odds_ratio(p: Params) -> float:
    def odds(x: float) -> float:
        q = _sig(p["w"] * x + 0.4)
        return q / (1 - q)

    return odds(1.7) / odds(0.7)  # any start and any bias give the same ratio


def lr_batch_gradient(p: Params) -> float:
    batch = [(p["x1"], p["y1"]), (p["x2"], p["y2"]), (p["x3"], p["y3"])]
    return _diff(lambda w: sum(_log_loss(y, w * x) for x, y in batch) / 3, p["w"])


# ---- entropy-regularisation


def _penalised(z: Sequence[float], y: int, beta: float) -> float:
    q = _softmax(z)
    return float(-np.log(q[y]) - beta * _h(q))


def er_entropy_gradient(p: Params) -> float:
    z, j = list(p["z"]), p["j"]

    def entropy_at(v: float) -> float:
        return _h(_softmax([v if i == j else zi for i, zi in enumerate(z)]))

    return _diff(entropy_at, z[j])


def er_total_gradient(p: Params) -> float:
    z, j = list(p["z"]), p["j"]
    return _diff(lambda v: _penalised([v if i == j else zi for i, zi in enumerate(z)],
                                      p["y"], p["beta"]), z[j])


def er_penalty_reorders(p: Params) -> float:
    def loss(top: float) -> float:
        q = [top, (1 - top) / 2, (1 - top) / 2]
        return float(-math.log(top) - p["beta"] * _h(q))

    return loss(p["a"]) - loss(p["b"])


def er_soft_value(p: Params) -> float:
    pol = np.asarray(p["pol"])
    q = np.array([p["q1"], p["q2"], p["q3"]])
    return float((pol * (q - p["alpha"] * np.log(pol))).sum())


# ---- hinge


def _multiclass_hinge(s: Sequence[float], y: int) -> float:
    return sum(max(0.0, 1 + s[j] - s[y]) for j in range(len(s)) if j != y)


def hinge_zero_but_ce(p: Params) -> float:
    assert _multiclass_hinge(p["s"], p["y"]) == 0  # the prompt's claim
    return float(-np.log(_softmax(p["s"])[p["y"]]))


def _svm(w: Sequence[float], x: Sequence[float], y: int, lam: float) -> float:
    wv, xv = np.asarray(w, dtype=float), np.asarray(x, dtype=float)
    return float(lam / 2 * wv @ wv + max(0.0, 1 - y * wv @ xv))


def hinge_subgradient(p: Params) -> float:
    x = [p["x1"], p["x2"]]
    return _diff(lambda w1: _svm([w1, p["w2"]], x, p["y"], p["lam"]), p["w1"])


def hinge_past_margin(p: Params) -> float:
    x = [p["y"] * p["u1"], p["y"] * p["u2"]]
    g = _diff(lambda w1: _svm([w1, p["w2"]], x, p["y"], p["lam"]), p["w1"])
    return float(p["w1"] - p["eta"] * g)


def hinge_svm_objective(p: Params) -> float:
    xs = np.array([p["x1"], p["x2"], p["x3"]])
    ys = np.array([1, 1, -1])
    margins = ys * (p["w"] * xs + p["b"])
    return float(p["lam"] / 2 * p["w"] ** 2 + np.maximum(0, 1 - margins).mean())


# Question id -> (reference from the drawn params, relative tolerance of the comparison).
EXACT = 1e-9
FINITE_DIFF = 1e-6
REFERENCES: dict[str, tuple[Callable[[Params], float], float]] = {
    "js-three-outcomes": (lambda p: _js(p["p"], p["q"]), EXACT),
    "js-two-coins-bits": (lambda p: _js([p["a"], 1 - p["a"]], [p["b"], 1 - p["b"]], 2), EXACT),
    "js-scipy-distance": (lambda p: math.sqrt(_js(p["p"], p["q"], 2)), EXACT),
    "js-disjoint-support": (lambda p: _js([p["a"], 1 - p["a"], 0, 0],
                                          [0, 0, p["b"], 1 - p["b"]]), EXACT),
    "js-partial-overlap": (lambda p: _js([p["a"], 1 - p["a"], 0],
                                         [0, p["b"], 1 - p["b"]], 2), EXACT),
    "js-gan-value": (js_gan_value, EXACT),
    "js-from-gan-value": (lambda p: (p["v"] + math.log(4)) / 2 / LN2, EXACT),
    "js-entropy-form": (js_entropy_form, EXACT),
    "mi-split-gain": (mi_split_gain, EXACT),
    "mi-gini-gain": (mi_gini_gain, EXACT),
    "mi-joint-table": (lambda p: _mi(np.reshape(p["j"], (2, 2)), 2), EXACT),
    "mi-from-conditional": (lambda p: p["hy"] - round(p["hy"] - p["d"], 2), EXACT),
    "mi-noisy-copy": (lambda p: _mi([[1 - p["f"], p["f"]], [p["f"], 1 - p["f"]]], 2), EXACT),
    "mi-id-gain-ratio": (mi_id_gain_ratio, EXACT),
    "mi-gini-node": (lambda p: _gini([p["a"], p["b"], p["c"]]), EXACT),
    "mi-zero-correlation": (mi_zero_correlation, EXACT),
    "nce-loss": (nce_loss, EXACT),
    "nce-uniform-start": (lambda p: float(-np.log(_softmax([p["c"] / p["t"]] * p["n"])[0])),
                          EXACT),
    "nce-mi-bound": (lambda p: math.log(p["n"]) - p["l"], EXACT),
    "nce-batch-for-bits": (lambda p: float(math.ceil(2 ** (p["k"] + p["frac"]))), EXACT),
    "nce-grad-positive": (nce_grad_positive, FINITE_DIFF),
    "nce-clip-symmetric": (nce_clip, EXACT),
    "nce-simclr-views": (nce_simclr, EXACT),
    "nce-hard-negative": (nce_hard_negative, EXACT),
    "lr-gradient-weight": (lr_gradient_weight, FINITE_DIFF),
    "lr-log-loss": (lambda p: _log_loss(p["y"], p["z"]), EXACT),
    "lr-sgd-step": (lr_sgd_step, FINITE_DIFF),
    "lr-squared-error-curvature": (lr_curvature, 1e-5),
    "lr-odds-probability": (lr_odds, EXACT),
    "lr-odds-ratio": (lr_odds_ratio, EXACT),
    "lr-batch-gradient": (lr_batch_gradient, FINITE_DIFF),
    "lr-separable-scale": (lambda p: math.log1p(math.exp(-2 * p["m"])), EXACT),
    "er-penalised-loss": (lambda p: _penalised(p["z"], p["y"], p["beta"]), EXACT),
    "er-entropy-gradient": (er_entropy_gradient, FINITE_DIFF),
    "er-total-gradient": (er_total_gradient, FINITE_DIFF),
    "er-max-bonus": (lambda p: p["beta"] * _h(np.full(p["k"], 1 / p["k"])), EXACT),
    "er-kl-to-uniform": (lambda p: float(sum(q * math.log(q * 4) for q in p["q"])), EXACT),
    "er-policy-gradient-loss": (lambda p: -p["adv"] * math.log(p["pol"][p["a"]])
                                - p["beta"] * _h(p["pol"]), EXACT),
    "er-penalty-reorders": (er_penalty_reorders, EXACT),
    "er-soft-value": (er_soft_value, EXACT),
    "hinge-single": (lambda p: max(0.0, 1 - p["y"] * p["f"]), EXACT),
    "hinge-batch": (lambda p: float(np.mean([max(0.0, 1 - p[f"y{i}"] * p[f"f{i}"])
                                             for i in (1, 2, 3)])), EXACT),
    "hinge-multiclass": (lambda p: _multiclass_hinge(p["s"], p["y"]), EXACT),
    "hinge-zero-but-ce": (hinge_zero_but_ce, EXACT),
    "hinge-subgradient": (hinge_subgradient, FINITE_DIFF),
    "hinge-past-margin-step": (hinge_past_margin, FINITE_DIFF),
    "hinge-svm-objective": (hinge_svm_objective, EXACT),
    "hinge-margin-width": (lambda p: 2 / float(np.linalg.norm([p["w1"], p["w2"]])), EXACT),
}

NUMERIC = [q for q in BANK.questions if q.kind == "numeric"]


def _draws(question: Question) -> list[Instance]:
    return [question.instantiate(seed) for seed in SEEDS]


def test_every_numeric_question_has_a_reference() -> None:
    assert sorted(REFERENCES) == sorted(q.id for q in NUMERIC)


@pytest.mark.parametrize("question", NUMERIC, ids=[q.id for q in NUMERIC])
def test_expected_values_agree_with_an_independent_computation(question: Question) -> None:
    reference, rel = REFERENCES[question.id]
    for inst in _draws(question):
        assert isinstance(inst.expected, float)
        want = reference(inst.params)
        assert inst.expected == pytest.approx(want, rel=rel, abs=1e-12), (question.id, inst.seed)


@pytest.mark.parametrize("question", NUMERIC, ids=[q.id for q in NUMERIC])
def test_no_draw_is_degenerate(question: Question) -> None:
    values = set()
    for inst in _draws(question):
        assert isinstance(inst.expected, float)
        expected = inst.expected
        tol = max(inst.atol, inst.rtol * abs(expected))
        # The answer is not 0 and does not round to 0 at the tolerance.
        assert abs(expected) >= 10 * inst.atol, (question.id, inst.seed, expected)
        # Every declared mistake is a finite number that the grading would refuse.
        assert len(inst.mistakes) >= 2, question.id
        for mistake in inst.mistakes:
            assert math.isfinite(mistake.value), (question.id, mistake.id, inst.seed)
            assert abs(mistake.value - expected) > 2 * tol, (question.id, mistake.id, inst.seed)
        values.add(round(expected, 9))
    # Templated: the numbers change from draw to draw (one question's answer is
    # ln 2 whatever the draw, which is its point).
    if question.id != "js-disjoint-support":
        assert len(values) >= 5, question.id


def test_no_zero_where_it_breaks_a_question() -> None:
    # Distributions that go into a log as the model's prediction or as a KL's second
    # argument never draw a zero (the disjoint-support questions put zeros only in p).
    for qid, key in [("js-three-outcomes", "q"), ("js-gan-value", "q"), ("mi-joint-table", "j"),
                     ("er-kl-to-uniform", "q"), ("er-policy-gradient-loss", "pol"),
                     ("er-soft-value", "pol")]:
        for inst in _draws(BANK.question(qid)):
            assert min(inst.params[key]) > 0, (qid, inst.seed)


def _first(question_id: str, **wanted: Any) -> Instance:
    question = BANK.question(question_id)
    for seed in range(2000):
        inst = question.instantiate(seed)
        if all(inst.params[k] == v for k, v in wanted.items()):
            return inst
    raise AssertionError(f"no draw of {question_id} with {wanted}")


# Worked on paper, the numbers typed in.
@pytest.mark.parametrize(
    ("question_id", "params", "expected"),
    [
        # 1 − H_b(0.1) = 1 − (0.1·3.321928 + 0.9·0.152003) = 1 − 0.468996
        ("mi-noisy-copy", {"f": 0.1}, 0.531004),
        # H(Y) = 1 bit over log2 20 = 4.321928 bits of split information
        ("mi-id-gain-ratio", {"n": 20, "f": 0.5}, 0.231378),
        # odds 0.25 · e^0.7 = 0.25 · 2.013753 = 0.503438; p = 0.503438 / 1.503438
        ("lr-odds-probability", {"p0": 0.2, "w": 0.7}, 0.334858),
        # 2^5.5 = 45.25, so 46 candidates
        ("nce-batch-for-bits", {"k": 5, "frac": 0.5}, 46.0),
        # ((−1) + 1.386294)/2 = 0.193147 nats, / 0.693147 = 0.278652 bits
        ("js-from-gan-value", {"v": -1.0}, 0.278652),
        # 0.1 · ln 4 = 0.1 · 1.386294
        ("er-max-bonus", {"k": 4, "beta": 0.1}, 0.138629),
        # max(0, 1 − (−1)(0.3)) = 1.3
        ("hinge-single", {"y": -1, "f": 0.3}, 1.3),
        # the supports do not meet: ½ ln 2 + ½ ln 2
        ("js-disjoint-support", {"a": 0.3, "b": 0.6}, 0.693147),
    ],
)
def test_draws_worked_by_hand(question_id: str, params: dict[str, Any], expected: float) -> None:
    inst = _first(question_id, **params)
    assert inst.expected == pytest.approx(expected, abs=1e-6)


# ---------------------------------------------------------------- bank format


def _raw(topic: str) -> list[dict[str, Any]]:
    data = yaml.safe_load((shipped_bank_dir() / f"{topic}.yaml").read_text(encoding="utf-8"))
    questions: list[dict[str, Any]] = data["questions"]
    return questions


@pytest.mark.parametrize("topic", TOPICS)
def test_each_topic_has_the_planned_mix_and_enough_level_3(topic: str) -> None:
    questions = [q for q in BANK.questions if q.topic == topic]
    kinds = [q.kind for q in questions]
    assert 11 <= len(questions) <= 13, topic
    assert kinds.count("numeric") >= 7 and 2 <= kinds.count("choice") <= 3, topic
    assert 1 <= kinds.count("open") <= 2, topic
    hard_auto = [q for q in questions if q.level == 3 and q.kind != "open"]
    assert len(hard_auto) >= 5, topic
    assert {q.level for q in questions} == {1, 2, 3}, topic


@pytest.mark.parametrize("topic", TOPICS)
def test_every_question_declares_level_hint_and_par(topic: str) -> None:
    for raw in _raw(topic):
        assert raw["level"] in (1, 2, 3), raw["id"]
        assert isinstance(raw["par_seconds"], int) and raw["par_seconds"] > 0, raw["id"]
        assert raw.get("hint"), raw["id"]
        if raw["kind"] == "numeric":
            assert len(raw["mistakes"]) >= 2, raw["id"]
            # The unit is declared or follows from the base.
            assert "unit" in raw or raw.get("base") in (2, 10, None), raw["id"]


@pytest.mark.parametrize("topic", TOPICS)
def test_every_distractor_says_why_and_the_answer_does_not_stand_out(topic: str) -> None:
    longest = 0
    choices = [raw for raw in _raw(topic) if raw["kind"] == "choice"]
    for raw in choices:
        right = raw["answer"] - 1
        texts = []
        for i, entry in enumerate(raw["choices"]):
            if i == right:
                assert isinstance(entry, str), raw["id"]  # the right option needs no why
                texts.append(entry)
            else:
                assert isinstance(entry, dict) and entry["why"].strip(), (raw["id"], i)
                texts.append(entry["text"])
        others = [len(t) for i, t in enumerate(texts) if i != right]
        longest += len(texts[right]) > max(others)
    assert longest <= 1, topic  # the right option is the longest in at most one of 2-3


@pytest.mark.parametrize("topic", TOPICS)
def test_each_topic_has_a_card_titled_like_its_bank(topic: str) -> None:
    card = load_card(topic)
    assert card.title == BANK.topics[topic].title
    rendered = card.render()
    assert "## Worked example" in rendered and "{" not in rendered


def test_bank_check_is_clean_on_these_banks() -> None:
    result = CliRunner().invoke(app, ["bank", "check", *map(str, FILES)])
    assert result.exit_code == 0, result.stdout
    assert result.stdout.startswith("OK: 6 topics, ")


def test_the_files_are_where_the_quiz_looks() -> None:
    assert all(Path(path).is_file() for path in FILES)


def _card_h(p: Sequence[float]) -> float:
    return -sum(x * math.log(x) for x in p if x > 0)


_SIG = 1 / (1 + math.exp(-0.2))
_Q = [math.exp(2) / (math.exp(2) + math.e + 1), math.e / (math.exp(2) + math.e + 1),
      1 / (math.exp(2) + math.e + 1)]
_JS = _card_h([0.15, 0.25, 0.6]) - (_card_h([0.2, 0.3, 0.5]) + _card_h([0.1, 0.2, 0.7])) / 2
_HB = -(0.75 * math.log2(0.75) + 0.25 * math.log2(0.25))


# The cards' worked examples, computed here by hand from their definitions.
@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        ("js-divergence", [f"JS(p, q)    = {_JS:.4f} nats", f"distance    = {math.sqrt(_JS):.4f}"]),
        ("mutual-information", [f"= {1 - _HB:.4f} bits", f"= {0.5 - (1 - 0.75**2 - 0.25**2):.4f}"]),
        ("contrastive", [f"= {math.log(1 + math.exp(-7) + math.exp(-5) + math.exp(-10)):.4f} nats",
                         f"{math.log(1 + math.exp(-0.7) + math.exp(-0.5) + math.exp(-1)):.4f} nats"]),
        ("logistic-regression", [f"= {math.log1p(math.exp(-0.2)):.4f} nats",
                                 f"[{2 * (_SIG - 1):.4f}, {_SIG - 1:.4f}]"]),
        ("entropy-regularisation", [f"CE         = {-math.log(_Q[0]):.4f} nats",
                                    f"= {-math.log(_Q[0]) - 0.5 * _card_h(_Q):.4f} nats"]),
        ("hinge", [f"= {math.log(1 + math.exp(-1.5) + math.exp(-0.5)):.4f} nats",
                   f"{math.log(1 + math.exp(-2.5) + math.exp(-1.5)):.4f} nats"]),
    ],
)
def test_card_worked_examples_show_the_right_numbers(topic: str, expected: list[str]) -> None:
    rendered = load_card(topic).render()
    for text in expected:
        assert text in rendered, (topic, text)


@pytest.mark.parametrize("topic", TOPICS)
def test_each_card_fits_the_pager_and_the_topic_list(topic: str) -> None:
    result = CliRunner().invoke(app, ["learn", topic])
    assert result.exit_code == 0 and result.stderr == ""
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80 and len(lines) <= 48, topic
    assert "{" not in result.stdout and f"xent quiz --topic {topic}" in result.stdout
    listing = CliRunner().invoke(app, ["learn"]).stdout.splitlines()
    row = next(line for line in listing if line.split(" ", 1)[0] == topic)
    assert row.endswith(load_card(topic).summary) and len(row) <= 80  # one row each

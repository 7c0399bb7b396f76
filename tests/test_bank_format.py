"""The bank format's levels, hints, par times, units, declared mistakes and reasons
for wrong choices: loaded, exposed on questions and draws, and checked strictly."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import pytest

from xentcli.errors import BankError
from xentcli.quiz.bank import check_banks, load_banks
from xentcli.quiz.question import MISTAKE_MARGIN, default_par_seconds

HEADER = "topic: t\ntitle: T\nsummary: A test bank.\nquestions:\n"


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def _write(tmp_path: Path, questions: str) -> Path:
    path = tmp_path / "t.yaml"
    path.write_text(HEADER + textwrap.indent(textwrap.dedent(questions), "  "), encoding="utf-8")
    return path


def _problems(tmp_path: Path, questions: str, seeds: int = 5) -> list[str]:
    _, problems = check_banks([_write(tmp_path, questions)], seeds=seeds)
    return [str(p) for p in problems]


FULL = """\
- id: ce
  kind: numeric
  level: 3
  par_seconds: 75
  unit: bits
  base: 2
  prompt: p = {p}, q = {q}. H(p, q) in bits?
  params:
    p: {type: pick, values: [[0.7, 0.3]]}
    q: {type: pick, values: [[0.4, 0.6]]}
  hint:
    - Which distribution goes inside the log?
    - "H(p, q) = -sum p_i log2 q_i with p = {p}."
  answer: cross_entropy(p, q, base=2)
  mistakes:
    - id: swapped
      formula: cross_entropy(q, p, base=2)
      message: "That is H(q, p) = {cross_entropy(q, p, base=2):.3f}: p goes first."
    - id: natural-log
      formula: cross_entropy(p, q)
      message: That is in nats; the question asks for bits.
  explanation: H = {answer:.4f} bits.
- id: pick
  kind: choice
  prompt: Which is a loss?
  hint: Think of what is minimised.
  choices:
    - {text: Accuracy, why: "Accuracy is a score to maximise, and it is not smooth."}
    - Cross-entropy
    - text: Recall
  answer: 2
  explanation: Cross-entropy is minimised.
"""


def test_every_new_key_is_loaded_and_shown_on_the_draw(tmp_path: Path) -> None:
    bank = load_banks([_write(tmp_path, FULL)])
    ce = bank.question("ce")
    assert (ce.level, ce.par_seconds, ce.unit) == (3, 75, "bits")
    assert [m.id for m in ce.mistakes] == ["swapped", "natural-log"]
    inst = ce.instantiate(0)
    assert (inst.level, inst.par_seconds, inst.unit) == (3, 75, "bits")
    assert inst.hints == ("Which distribution goes inside the log?",
                          "H(p, q) = -sum p_i log2 q_i with p = [0.7, 0.3].")
    swapped, nats = inst.mistakes
    assert swapped.id == "swapped"
    assert swapped.value == pytest.approx(-(0.4 * math.log2(0.7) + 0.6 * math.log2(0.3)))
    assert swapped.message == f"That is H(q, p) = {swapped.value:.3f}: p goes first."
    assert nats.value == pytest.approx(inst.expected * 0.6931471805599453)  # type: ignore[operator]
    pick = bank.question("pick").instantiate(4)
    assert pick.hints == ("Think of what is minimised.",)
    whys = dict(zip(pick.choices, pick.whys, strict=True))
    assert whys == {"Accuracy": "Accuracy is a score to maximise, and it is not smooth.",
                    "Cross-entropy": None, "Recall": None}


def test_old_banks_without_the_new_keys_get_defaults(tmp_path: Path) -> None:
    path = _write(tmp_path, """\
        - id: q
          kind: numeric
          prompt: What is 1 + 1?
          answer: 1 + 1
          explanation: Two.
        - id: c
          kind: choice
          prompt: Pick.
          choices: [a, b]
          answer: 1
          explanation: A.
        """)
    bank = load_banks([path])
    q, c = bank.question("q"), bank.question("c")
    assert (q.level, q.unit, q.hints, q.mistakes) == (2, "nats", (), ())
    assert q.par_seconds == default_par_seconds("numeric", 2)
    assert c.par_seconds == default_par_seconds("choice", 2)
    assert c.instantiate(1).whys == (None, None)


@pytest.mark.parametrize(
    ("unit", "expected"),
    [("none", ""), ("None", ""), ("tokens", "tokens"), ("'%'", "%"), ("nats", "nats")],
)
def test_unit_overrides_the_base_and_none_means_a_plain_number(
    tmp_path: Path, unit: str, expected: str
) -> None:
    path = _write(tmp_path, f"""\
        - id: q
          kind: numeric
          base: 2
          unit: {unit}
          prompt: How many?
          answer: 3
          explanation: "{{answer}} {{unit}}"
        """)
    inst = load_banks([path]).question("q").instantiate(0)
    assert inst.unit == expected
    assert inst.explanation == f"3 {expected}"


def test_the_default_unit_follows_the_base(tmp_path: Path) -> None:
    path = _write(tmp_path, """\
        - {id: a, kind: numeric, base: 2, prompt: x, answer: "1", explanation: x}
        - {id: b, kind: numeric, base: 10, prompt: x, answer: "1", explanation: x}
        - {id: c, kind: numeric, prompt: x, answer: "1", explanation: x}
        """)
    bank = load_banks([path])
    assert [q.unit for q in bank.questions] == ["bits", "bans", "nats"]


NUMERIC = """\
- id: q
  kind: numeric
  prompt: x = {x}. Twice x?
  params:
    x: {type: integer, min: 1, max: 9}
  answer: 2 * x
  explanation: "{answer}"
"""


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("  level: 4\n",
         "t.yaml:12: question 'q': level must be 1 (recall), 2 (apply) or 3 (interview), not 4"),
        ("  level: true\n",
         "t.yaml:12: question 'q': level must be 1 (recall), 2 (apply) or 3 (interview), "
         "not True"),
        ("  level: '2'\n",
         "t.yaml:12: question 'q': level must be 1 (recall), 2 (apply) or 3 (interview), "
         "not '2'"),
        ("  par_seconds: 0\n",
         "t.yaml:12: question 'q': par_seconds must be a whole number of seconds > 0, not 0"),
        ("  par_seconds: 1.5\n",
         "t.yaml:12: question 'q': par_seconds must be a whole number of seconds > 0, not 1.5"),
        ("  unit: ''\n",
         "t.yaml:12: question 'q': unit must be a short word such as nats, bits, bans or none, "
         "not ''"),
        ("  unit: [bits]\n",
         "t.yaml:12: question 'q': unit must be a short word such as nats, bits, bans or none, "
         "not ['bits']"),
        ("  hint: []\n",
         "t.yaml:12: question 'q': hint must be text or a list of texts, not an empty list"),
        ("  hint: [Think., '{y}']\n",
         "t.yaml:12: question 'q': hint 2: unknown name 'y'"),
        ("  hint: 'It is {answer}'\n",
         "t.yaml:12: question 'q': hint: unknown name 'answer'"),
        ("  hint: '{x'\n",
         "t.yaml:12: question 'q': hint: the '{' of '{x' is never closed (write '{{' for a "
         "brace)"),
        ("  mistakes: {id: a}\n",
         "t.yaml:12: question 'q': mistakes must be a list of {id, formula, message}"),
        ("  mistakes:\n    - {id: a, formula: x, message: Once.}\n"
         "    - {id: a, formula: 3 * x, message: Thrice.}\n",
         "t.yaml:14: question 'q': mistakes 2: duplicate id 'a'"),
        ("  mistakes:\n    - {id: Bad_id, formula: x, message: Once.}\n",
         "t.yaml:13: question 'q': mistakes 1: id 'Bad_id' may only use a-z, 0-9 and '-'"),
        ("  mistakes:\n    - {id: a, formula: x, message: Once., why: no}\n",
         "t.yaml:13: question 'q': mistakes 1: unknown key 'why' (a mistake has id, formula "
         "and message)"),
        ("  mistakes:\n    - {id: a, message: Once.}\n",
         "t.yaml:13: question 'q': mistakes 1: missing 'formula'"),
        ("  mistakes:\n    - {id: a, formula: x +, message: Once.}\n",
         "t.yaml:13: question 'q': mistakes a formula: 'x +' is not a formula"),
        ("  mistakes:\n    - {id: a, formula: y, message: Once.}\n",
         "t.yaml:13: question 'q': mistakes a formula: unknown name 'y'"),
        ("  mistakes:\n    - {id: a, formula: 2 * x, message: Same.}\n",
         "t.yaml:13: question 'q': mistakes a: the formula is the answer's own"),
        ("  mistakes:\n    - {id: a, formula: x, message: '{z}'}\n",
         "t.yaml:13: question 'q': mistakes a message: unknown name 'z'"),
        ("  mistakes:\n    - id: a\n      formula: x\n      message: \"One.\\nTwo.\"\n",
         "t.yaml:13: question 'q': mistakes a message must be one line"),
        ("  mistakes:\n    - 3\n",
         "t.yaml:13: question 'q': mistakes 1 must be a mapping with id, formula and message"),
    ],
)
def test_bad_new_keys_are_reported(tmp_path: Path, extra: str, expected: str) -> None:
    assert _problems(tmp_path, NUMERIC + extra) == [expected]


def test_numeric_only_keys_are_refused_on_choice_questions(tmp_path: Path) -> None:
    problems = _problems(tmp_path, """\
        - id: c
          kind: choice
          prompt: Pick.
          unit: bits
          mistakes: []
          choices: [a, b]
          answer: 1
          explanation: A.
        """)
    assert problems == [
        "t.yaml:8: question 'c': 'unit' is not used by choice questions (only by numeric)",
        "t.yaml:9: question 'c': 'mistakes' is not used by choice questions (only by numeric)",
    ]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("{txt: a}", ["t.yaml:9: question 'c': choices 1: unknown key 'txt' (a choice has text "
                      "and why)", "t.yaml:9: question 'c': choices 1: missing 'text'"]),
        ("{text: a, why: '{w}'}", ["t.yaml:9: question 'c': choices 1 why: unknown name 'w'"]),
        ("{text: a, why: ''}", ["t.yaml:9: question 'c': choices 1 why must not be empty"]),
        ("{text: a, why: \"x\\ny\"}", ["t.yaml:9: question 'c': choices 1 why must be one line"]),
    ],
)
def test_bad_choice_entries_are_reported(tmp_path: Path, entry: str, expected: list[str]) -> None:
    problems = _problems(tmp_path, f"""\
        - id: c
          kind: choice
          prompt: Pick.
          choices:
            - {entry}
            - b
          answer: 2
          explanation: B.
        """)
    assert problems == expected


def test_a_draw_where_a_mistake_comes_close_is_drawn_again(tmp_path: Path) -> None:
    # x in 1..9; the mistake x + 0.5 is within 2x tolerance (rtol 0.1) of 2x... never
    # the answer itself, but near it for small x: those draws must never be asked.
    path = _write(tmp_path, """\
        - id: q
          kind: numeric
          prompt: "{x}"
          params:
            x: {type: integer, min: 1, max: 9}
          answer: x
          tolerance: {rtol: 0.1, atol: 0}
          mistakes:
            - {id: plus, formula: x + 1, message: One too many.}
          explanation: "{answer}"
        """)
    question = load_banks([path]).question("q")
    drawn = {question.instantiate(seed).params["x"] for seed in range(200)}
    # |x + 1 - x| = 1 <= 2 * 0.1 * x  <=>  x >= 5: those draws are thrown away.
    assert drawn == {1, 2, 3, 4}
    for seed in range(50):
        inst = question.instantiate(seed)
        (mistake,) = inst.mistakes
        assert abs(mistake.value - inst.expected) > MISTAKE_MARGIN * 0.1 * inst.expected  # type: ignore[operator]


def test_check_reports_mistakes_that_collide_in_most_draws(tmp_path: Path) -> None:
    problems = _problems(tmp_path, """\
        - id: q
          kind: numeric
          prompt: "{x}"
          params:
            x: {type: integer, min: 1, max: 9}
          answer: x
          tolerance: {rtol: 0.1, atol: 0}
          mistakes:
            - {id: plus, formula: x + 1, message: One too many.}
          explanation: "{answer}"
        """, seeds=20)
    assert len(problems) == 1
    assert problems[0].startswith(
        "t.yaml:12: question 'q': mistakes: 'plus' comes within 2x the tolerance of the answer "
        "in ")
    assert problems[0].endswith("(each was drawn again); choose params that tell them apart")


def test_a_mistake_that_always_collides_makes_the_question_undrawable(tmp_path: Path) -> None:
    path = _write(tmp_path, NUMERIC + "  mistakes:\n    - {id: a, formula: 2 * x + 0.001, "
                                      "message: Close.}\n")
    question = load_banks([path]).question("q")
    with pytest.raises(BankError, match=r"question 'q': mistakes: a declared mistake came "
                                        r"within 2x the tolerance of the answer in every one "
                                        r"of 200 draws \(seed 0\)"):
        question.instantiate(0)


def test_a_mistake_that_fails_to_evaluate_is_reported_with_its_seed(tmp_path: Path) -> None:
    problems = _problems(tmp_path, NUMERIC + "  mistakes:\n    - {id: a, formula: ln(x - 1), "
                                              "message: Log.}\n", seeds=30)
    assert len(problems) == 1
    assert problems[0].startswith("t.yaml:12: question 'q': mistakes a: the log of 0 is minus "
                                  "infinity (seed ")


def test_a_mistake_message_can_show_the_answer(tmp_path: Path) -> None:
    path = _write(tmp_path, NUMERIC + "  mistakes:\n    - {id: half, formula: x / 2, "
                                      "message: 'Halved: {answer} / 4.'}\n")
    inst = load_banks([path]).question("q").instantiate(3)
    x = inst.params["x"]
    assert inst.mistakes[0].message == f"Halved: {2 * x} / 4."
    assert inst.mistakes[0].value == x / 2


QUESTIONS_README = Path(__file__).resolve().parents[1] / "questions" / "README.md"


def _readme_questions() -> list[str]:
    text = QUESTIONS_README.read_text(encoding="utf-8")
    blocks = text.split("```yaml\n")[1:]
    return [b.split("```")[0] for b in blocks if b.lstrip().startswith("- id:")]


def test_every_question_in_the_format_docs_loads_and_draws(tmp_path: Path) -> None:
    blocks = _readme_questions()
    assert len(blocks) >= 4
    path = tmp_path / "t.yaml"
    path.write_text(HEADER + "".join(blocks), encoding="utf-8")
    bank, problems = check_banks([path], seeds=50)
    assert [str(p) for p in problems] == []
    assert len(bank.questions) == len(blocks)


def test_the_worked_example_names_its_mistakes_and_gives_its_hints(tmp_path: Path) -> None:
    (block,) = [b for b in _readme_questions() if "mistakes:" in b]
    path = tmp_path / "t.yaml"
    path.write_text(HEADER + block, encoding="utf-8")
    question = load_banks([path]).questions[0]
    assert len(question.hints) == 2 and question.unit == "bits"
    from xentcli.quiz.grading import grade_numeric

    for seed in range(50):
        inst = question.instantiate(seed)
        assert isinstance(inst.expected, float)
        a, b = inst.params["a"], inst.params["b"]
        swapped = -(b * math.log2(a) + (1 - b) * math.log2(1 - a))
        grade = grade_numeric(f"{swapped:.4f} bits", inst.expected, unit="bits",
                              mistakes=inst.mistakes)
        assert not grade.correct
        assert grade.diagnosis == ("That is H(q, p): the coin's own probabilities weight the "
                                   "sum, the model's go in the log.")
        assert inst.hints[1] == f"H(p, q) = −Σ p_i log2 q_i over heads and tails, with p = " \
                                f"[{a}, {format(1 - a, '.6g')}]."


def test_texts_false_draws_the_same_numbers(tmp_path: Path) -> None:
    question = load_banks([_write(tmp_path, FULL)]).question("ce")
    full, bare = question.instantiate(3), question.instantiate(3, texts=False)
    assert (bare.params, bare.expected, bare.mistakes) == (full.params, full.expected,
                                                           full.mistakes)
    assert (bare.prompt, bare.explanation, bare.hints) == ("", "", ())

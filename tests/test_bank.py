"""Loading and checking banks: every invalid case is named with file, line, id and reason;
draws are seeded and reproducible."""

from __future__ import annotations

import json
import shlex
import textwrap
from pathlib import Path

import pytest

from xentcli.errors import BankError
from xentcli.quiz.bank import (
    Bank,
    _find_shipped,
    check_banks,
    load_banks,
    read_banks,
    shipped_bank_dir,
)

FIXTURES = Path(__file__).parent / "fixtures" / "banks"
ROOT = Path(__file__).resolve().parents[1]

HEADER = "topic: t\ntitle: T\nsummary: A test bank.\nquestions:\n"


def _problems(tmp_path: Path, questions: str, *, header: str = HEADER,
              name: str = "t.yaml", seeds: int = 5) -> list[str]:
    (tmp_path / name).write_text(header + textwrap.indent(textwrap.dedent(questions), "  "))
    _, problems = check_banks([tmp_path / name], seeds=seeds)
    return [str(p) for p in problems]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Problems name files relative to the current folder.
    monkeypatch.chdir(tmp_path)


NUMERIC = """\
- id: q1
  kind: numeric
  prompt: What is 1 + 1?
  answer: 1 + 1
  explanation: Two.
"""


def test_a_valid_question_has_no_problem(tmp_path: Path) -> None:
    assert _problems(tmp_path, NUMERIC) == []


def test_an_empty_question_list_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text("topic: t\ntitle: T\nsummary: Empty.\nquestions: []\n")
    bank = load_banks([tmp_path / "t.yaml"])
    assert list(bank.topics) == ["t"] and bank.questions == []


@pytest.mark.parametrize(
    ("questions", "expected"),
    [
        (
            NUMERIC.replace("answer:", "anwser:"),
            ["t.yaml:5: question 'q1': missing 'answer'",
             "t.yaml:8: question 'q1': unknown key 'anwser'"],
        ),
        (
            NUMERIC.replace("numeric", "essay"),
            ["t.yaml:6: question 'q1': unknown kind 'essay' (use numeric, choice or open)"],
        ),
        (
            NUMERIC.replace("  kind: numeric\n", ""),
            ["t.yaml:5: question 'q1': missing 'kind' (numeric, choice or open)"],
        ),
        (
            NUMERIC.replace("  explanation: Two.\n", ""),
            ["t.yaml:5: question 'q1': missing 'explanation'"],
        ),
        (
            NUMERIC.replace("- id: q1\n  kind", "- kind"),
            ["t.yaml:5: question #1: missing 'id'"],
        ),
        (
            NUMERIC.replace("id: q1", "id: Q_1"),
            ["t.yaml:5: question #1: id 'Q_1' may only use a-z, 0-9 and '-'"],
        ),
        (
            NUMERIC + NUMERIC,
            ["t.yaml:10: question 'q1': duplicate id (also in t.yaml:5)"],
        ),
        (
            NUMERIC + "  tolerance: {rtol: 0.1, atl: 0.5}\n",
            ["t.yaml:10: question 'q1': unknown key 'atl' in tolerance (rtol, atol)"],
        ),
        (
            NUMERIC + "  key_points: [a, b]\n",
            ["t.yaml:10: question 'q1': 'key_points' is not used by numeric questions "
             "(only by open)"],
        ),
        (
            NUMERIC + "  base: 3\n",
            ["t.yaml:10: question 'q1': base must be e, 2 or 10, not 3"],
        ),
        (
            NUMERIC.replace("1 + 1", "1 +"),
            ["t.yaml:8: question 'q1': answer: '1 +' is not a formula"],
        ),
        (
            NUMERIC.replace("answer: 1 + 1", "answer: x + 1"),
            ["t.yaml:8: question 'q1': answer: unknown name 'x'"],
        ),
        (
            NUMERIC.replace("What is 1 + 1?", "What is {y}? {answer}"),
            ["t.yaml:7: question 'q1': prompt: unknown names 'answer', 'y'",
             "t.yaml:7: question 'q1': the prompt must not show {answer}"],
        ),
        (
            NUMERIC.replace("Two.", "Two is {answer:.2f"),
            ["t.yaml:9: question 'q1': explanation: the '{' of '{answer:.2f' is never closed "
             "(write '{{' for a brace)"],
        ),
        (
            NUMERIC.replace("answer: 1 + 1", "answer: '[1, 2]'"),
            ["t.yaml:8: question 'q1': answer: gives [1, 2], not a number (seed 0)"],
        ),
        (
            NUMERIC.replace("answer: 1 + 1", "answer: __import__('os')"),
            ["t.yaml:8: question 'q1': answer: unknown name '__import__'"],
        ),
    ],
)
def test_invalid_numeric_questions(tmp_path: Path, questions: str, expected: list[str]) -> None:
    assert _problems(tmp_path, questions) == expected


CHOICE = """\
- id: c1
  kind: choice
  prompt: Which?
  choices: [one, two, three]
  answer: 2
  explanation: Two.
"""
OPEN = """\
- id: o1
  kind: open
  prompt: Explain.
  answer: Because.
  key_points: [first, second]
"""


@pytest.mark.parametrize(
    ("questions", "expected"),
    [
        (CHOICE, []),
        (CHOICE.replace("answer: 2", "answer: 4"),
         ["t.yaml:9: question 'c1': answer 4 is not a choice (1 to 3)"]),
        (CHOICE.replace("answer: 2", "answer: two"),
         ["t.yaml:9: question 'c1': answer must be the number of the right choice (1 to 3), "
          "not 'two'"]),
        (CHOICE.replace("[one, two, three]", "[one]"),
         ["t.yaml:8: question 'c1': choices must be a list of 2 to 6 entries"]),
        (CHOICE.replace("[one, two, three]", "[yes, no]"),
         ["t.yaml:8: question 'c1': choices 1 must be text (quote it: YAML reads yes/no/on/off "
          "as true/false)",
          "t.yaml:8: question 'c1': choices 2 must be text (quote it: YAML reads yes/no/on/off "
          "as true/false)"]),
        (CHOICE.replace("[one, two, three]", "[one, '  ', three]"),
         ["t.yaml:8: question 'c1': choices 2 must not be empty"]),
        (CHOICE.replace("[one, two, three]", "[one, '{x}', three]"),
         ["t.yaml:8: question 'c1': choices 2: unknown name 'x'"]),
        (CHOICE.replace("[one, two, three]", "[one, one, three]"),
         ["t.yaml:8: question 'c1': choices: two choices read the same (seed 0): 'one'"]),
        (CHOICE + "  tolerance: {rtol: 0.1}\n",
         ["t.yaml:11: question 'c1': 'tolerance' is not used by choice questions "
          "(only by numeric)"]),
        (OPEN, []),
        (OPEN.replace("[first, second]", "[first]"),
         ["t.yaml:9: question 'o1': key_points must be a list of 2 to 6 entries"]),
        (OPEN.replace("  key_points: [first, second]\n", ""),
         ["t.yaml:5: question 'o1': missing 'key_points'"]),
        (OPEN + "  explanation: More.\n",
         ["t.yaml:10: question 'o1': 'explanation' is not used by open questions "
          "(only by numeric and choice)"]),
    ],
)
def test_invalid_choice_and_open_questions(
    tmp_path: Path, questions: str, expected: list[str]
) -> None:
    assert _problems(tmp_path, questions) == expected


PARAMS = """\
- id: p1
  kind: numeric
  prompt: Loss for {q}?
  params:
{params}
  answer: 1
  explanation: One.
"""


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ("q: {type: gaussian}", "param 'q': unknown type 'gaussian' (use one of: distribution, "
         "onehot, index, integer, number, vector, pick)"),
        ("q: {size: 3}", "param 'q': missing 'type'"),
        ("q: {type: distribution}", "param 'q': missing 'size' (type distribution needs size)"),
        ("q: {type: distribution, size: 3, colour: red}",
         "param 'q': unknown key 'colour' for type distribution"),
        ("q: {type: distribution, size: k}",
         "param 'q': size 'k' must be a number or the name of an earlier integer param"),
        ("q: {type: distribution, size: 3, min: 0.4}",
         "param 'q': 3 entries of at least 0.4 cannot sum to 1"),
        ("q: {type: distribution, size: 3, min: 0.005}",
         "param 'q': min 0.005 is not a multiple of 0.01 (decimals: 2)"),
        ("q: {type: integer, min: 5, max: 1}", "param 'q': min 5 is larger than max 1"),
        ("q: {type: integer, min: 0.5, max: 1}", "param 'q': min and max must be whole numbers"),
        ("q: {type: number, min: 0.11, max: 0.19, step: 0.1}",
         "param 'q': no multiple of step 0.1 lies between 0.11 and 0.19"),
        # k * step with k past 2**53 is inexact; 1e300 / 1e-300 is inf (an OverflowError).
        ("q: {type: number, min: 1.0e+300, max: 1.0e+300, step: 1.0e-300}",
         "param 'q': 1e+300..1e+300 is too far from 0 for a step of 1e-300"),
        ("q: {type: vector, size: 2, min: 1.0e+20, max: 1.0e+20}",
         "param 'q': 1e+20..1e+20 is too far from 0 for a step of 0.01"),
        ("q: {type: number, min: 0, max: 1, step: 0}",
         "param 'q': step must be a positive number, not 0"),
        ("q: {type: pick, values: []}", "param 'q': values must be a non-empty list"),
        ("q: {type: pick, values: [yes, no]}",
         "param 'q': value 1 must be a number, a text or a list of numbers (quote yes/no/on/off:"
         " YAML reads them as true/false)"),
        ("q: {type: onehot, size: 3, index: j}",
         "param 'q': index 'j' must name an earlier param of type index"),
        ("base: {type: integer, min: 1, max: 2}",
         "param 'base' is reserved (a built-in function or constant)"),
        ("ln: {type: integer, min: 1, max: 2}",
         "param 'ln' is reserved (a built-in function or constant)"),
        ("lambda: {type: integer, min: 1, max: 2}", "param 'lambda' is a reserved word"),
        ("q: 3", "param 'q': must be a mapping like {type: integer, min: 1, max: 5}"),
    ],
)
def test_malformed_params(tmp_path: Path, params: str, expected: str) -> None:
    text = PARAMS.replace("{params}", textwrap.indent(params, "    "))
    found = _problems(tmp_path, text)
    # The prompt's {q} is unknown when q is refused; only the param problem matters here.
    assert f"t.yaml:9: question 'p1': {expected}" in found


def test_a_formula_that_fails_for_some_draws_is_found_with_its_seed(tmp_path: Path) -> None:
    found = _problems(tmp_path, """\
        - id: sometimes
          kind: numeric
          prompt: What is 1/({k} - 3)?
          params:
            k: {type: integer, min: 1, max: 5}
          answer: 1 / (k - 3)
          explanation: It is {answer}.
        """, seeds=20)
    assert len(found) == 1
    assert found[0].startswith("t.yaml:10: question 'sometimes': answer: division by zero (seed ")


def test_require_that_never_holds(tmp_path: Path) -> None:
    found = _problems(tmp_path, """\
        - id: never
          kind: numeric
          prompt: "{k}"
          params:
            k: {type: integer, min: 1, max: 5}
          require: [k > 5]
          answer: k
          explanation: "{k}"
        """)
    assert found == ["t.yaml:10: question 'never': require: the conditions never all held in "
                     "200 draws (seed 0)"]


def test_let_may_use_only_earlier_names(tmp_path: Path) -> None:
    found = _problems(tmp_path, """\
        - id: lets
          kind: numeric
          prompt: "{a}"
          let:
            a: b + 1
            b: 2
          answer: a
          explanation: "{a}"
        """)
    assert found == ["t.yaml:9: question 'lets': let a: unknown name 'b'"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("topic: t\ntitle: T\nsummary: S\nquestions: [\n",
         "t.yaml:5: YAML syntax error: while parsing a flow node expected the node content, "
         "but found '<stream end>'"),
        ("topic: t\ntopic: t\n", "t.yaml:2: duplicate key 'topic' (first on line 1)"),
        ("topic: t\ntitle: T\nsummary: S\nquestions: []\nextra: 1\n",
         "t.yaml:5: unknown key 'extra' (a bank has topic, title, summary, questions)"),
        ("topic: other\ntitle: T\nsummary: S\nquestions: []\n",
         "t.yaml:1: topic 'other' does not match the file name (expected 't')"),
        ("topic: t\nsummary: S\nquestions: []\n", "t.yaml:1: missing 'title'"),
        ("- just\n- a list\n",
         "t.yaml: a bank must be a mapping with topic, title, summary and questions"),
        ("topic: t\ntitle: T\nsummary: S\nquestions: {}\n", "t.yaml:4: questions must be a list"),
        ("topic: t\ntitle: T\nsummary: S\nquestions:\n  - &q {id: a}\n  - *q\n",
         "t.yaml:6: YAML aliases (*name) are not supported in banks; write the value out"),
        # PyYAML recurses per level, and Python refuses ints of over 4300 digits or a
        # 30th of February: each was a traceback (an "internal error"), not a problem.
        ("topic: t\ntitle: T\nsummary: S\nquestions: " + "[" * 20_000 + "\n",
         "t.yaml:4: lists and mappings nested more than 50 levels deep"),
        ("topic: t\ntitle: T\nsummary: S\nquestions: []\nx: " + "1" * 5000 + "\n",
         "t.yaml:5: the number 11111111111111111111... is too long"),
        ("topic: t\ntitle: T\nsummary: 2024-02-30\nquestions: []\n",
         "t.yaml:3: '2024-02-30' is not a valid date (day is out of range for month)"),
    ],
)
def test_invalid_files(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "t.yaml").write_text(text)
    _, problems = read_banks([tmp_path / "t.yaml"])
    assert [str(p) for p in problems] == [expected]


def test_a_python_tag_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    (tmp_path / "t.yaml").write_text(
        "topic: t\ntitle: T\nsummary: S\n"
        f"questions: !!python/object/apply:os.system ['touch {marker}']\n"
    )
    _, problems = read_banks([tmp_path / "t.yaml"])
    assert [str(p) for p in problems] == [
        "t.yaml:4: the YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not "
        "allowed (banks are plain data)"
    ]
    assert not marker.exists()


def test_missing_paths_and_empty_folders(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    _, problems = read_banks([tmp_path / "nope.yaml", tmp_path / "empty"])
    assert [str(p) for p in problems] == [
        "nope.yaml: no such file or folder",
        "empty: no .yaml files in this folder",
    ]


def test_load_banks_refuses_with_the_first_problem_and_a_count() -> None:
    with pytest.raises(BankError) as info:
        load_banks([FIXTURES / "bad"])
    message = str(info.value)
    assert message.startswith(f"{FIXTURES / 'bad' / 'broken.yaml'}:8: question "
                              "'broken-unknown-key': unknown key 'anwser' (and ")
    check = f"xent bank check {shlex.quote(str(FIXTURES / 'bad'))}"
    assert message.endswith(f" more problems; run '{check}' for the list)")


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(HEADER.replace("t\n", "a\n", 1) + textwrap.indent(NUMERIC,
                                                                                       "  "))
    (tmp_path / "b.yaml").write_text(HEADER.replace("t\n", "b\n", 1) + textwrap.indent(NUMERIC,
                                                                                       "  "))
    _, problems = read_banks([tmp_path])
    assert [str(p) for p in problems] == ["b.yaml:5: question 'q1': duplicate id (also in "
                                          "a.yaml:5)"]


def test_a_file_reached_twice_is_read_once(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(HEADER + textwrap.indent(NUMERIC, "  "))
    bank, problems = read_banks([tmp_path, tmp_path / "t.yaml", Path("t.yaml")])
    assert problems == []
    assert [q.id for q in bank.questions] == ["q1"]


def test_a_path_that_is_neither_file_nor_folder() -> None:
    _, problems = read_banks([Path("/dev/null")])
    assert [str(p) for p in problems] == ["/dev/null: not a file or folder"]


def test_exponents_without_a_dot_are_numbers(tmp_path: Path) -> None:
    # YAML 1.1 reads 1e-3 as text; a bank author means a number.
    assert _problems(tmp_path, NUMERIC + "  tolerance: {rtol: 1e-3, atol: 5E-4}\n") == []
    (tmp_path / "t.yaml").write_text(HEADER + textwrap.indent(
        NUMERIC + "  tolerance: {rtol: 1e-3, atol: 5E-4}\n", "  "))
    question = read_banks([tmp_path / "t.yaml"])[0].questions[0]
    assert (question.rtol, question.atol) == (0.001, 0.0005)


# ---------------------------------------------------------------- drawing


def _good() -> Bank:
    return load_banks([FIXTURES / "good"])


def test_same_seed_same_instance() -> None:
    question = _good().question("basics-one-hot")
    first, again = question.instantiate(7), question.instantiate(7)
    assert first == again
    draws = {json.dumps(question.instantiate(s).params) for s in range(20)}
    assert len(draws) > 10  # different seeds, different numbers


def test_params_are_json_and_distributions_sum_to_one_on_the_grid() -> None:
    question = _good().question("basics-one-hot")
    for seed in range(50):
        inst = question.instantiate(seed)
        params = json.loads(json.dumps(inst.params, allow_nan=False))
        q, k, y = params["q"], params["k"], params["y"]
        assert len(q) == k and 0 <= y < k
        assert sum(round(x * 100) for x in q) == 100
        assert all(x >= 0.05 and x == round(x, 2) for x in q)
        assert q[y] >= 0.1  # the `require`
        assert f"{q}" in inst.prompt.replace("'", "")


def test_number_params_are_clean_decimals() -> None:
    question = _good().question("units-nats-to-bits")
    for seed in range(50):
        x = question.instantiate(seed).params["x"]
        assert 0.1 <= x <= 3 and x == round(x, 2) and len(repr(x)) <= 4


def test_choices_are_shuffled_by_seed_and_the_letter_follows_the_right_one() -> None:
    question = _good().question("basics-multilabel")
    right = "A sigmoid per label with binary cross-entropy on each label"
    letters = set()
    for seed in range(30):
        inst = question.instantiate(seed)
        assert sorted(inst.choices) == sorted(c.text for c in question.choices)
        assert inst.choices["ABC".index(str(inst.expected))] == right
        letters.add(inst.expected)
    assert letters == {"A", "B", "C"}
    assert question.instantiate(3).choices == question.instantiate(3).choices


def test_numeric_instance_renders_answer_into_the_explanation() -> None:
    inst = _good().question("basics-dog").instantiate(0)
    assert isinstance(inst.expected, float)
    assert f"{inst.expected:.4f} nats" in inst.explanation
    assert inst.params == {}


def test_open_instance_has_model_answer_and_key_points() -> None:
    inst = _good().question("basics-one-minute").instantiate(0)
    assert str(inst.expected).startswith("It measures how far")
    assert len(inst.key_points) == 2 and inst.explanation == ""
    assert inst.expected_text() == "self-graded"


# ---------------------------------------------------------------- shipped folder


def test_shipped_dir_in_a_checkout_is_the_repository_folder() -> None:
    assert shipped_bank_dir() == ROOT / "questions"


def test_shipped_dir_prefers_the_copy_inside_an_installed_package(tmp_path: Path) -> None:
    package = tmp_path / "site" / "xentcli"
    (package / "questions").mkdir(parents=True)
    assert _find_shipped(package) == package / "questions"
    with pytest.raises(BankError, match="the shipped question banks are missing"):
        _find_shipped(tmp_path / "elsewhere" / "xentcli")

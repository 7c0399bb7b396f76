"""Grading that names the mistake, pinned on a small bank of this test suite's own
(tests/fixtures/grading): units, declared mistakes, the value shown, hints, reasons
for wrong choices, replaying questions by id, levels, and the answer prompt."""

from __future__ import annotations

import json
import math
import os
import sqlite3
from collections.abc import Callable
from contextlib import closing
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from messages import wrapped
from typer.testing import CliRunner, Result

from xentcli.cli.app import app
from xentcli.quiz.bank import Instance, load_banks
from xentcli.quiz.grading import grade_numeric, shown_value, within_tolerance
from xentcli.quiz.records import NullRecorder
from xentcli.quiz.schedule import Leitner, Review, card_states
from xentcli.quiz.session import Session, replay_questions
from xentcli.quiz.units import UnitError, check_unit, split_unit

BANK = Path(__file__).parent / "fixtures" / "grading"
needs_pty = pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a POSIX pseudo-terminal")


def _quiz(*args: str, input: str = "", save: bool = False) -> Result:
    return CliRunner().invoke(
        app, ["quiz", *([] if save else ["--no-save"]), "--bank", str(BANK), *args], input=input
    )


def _json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _flat(text: str) -> str:
    return " ".join(text.split())


def _draw(qid: str, seed: int) -> Instance:
    return load_banks([BANK]).question(qid).instantiate(seed)


def _grade(inst: Instance, text: str) -> Any:
    assert isinstance(inst.expected, float)
    return grade_numeric(text, inst.expected, inst.rtol, inst.atol, unit=inst.unit,
                         mistakes=inst.mistakes)


# ------------------------------------------------------------------------- units


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.36 nats", ("0.36", "nats")),
        ("0.36nats", ("0.36", "nats")),
        ("-ln(0.7) nat", ("-ln(0.7)", "nat")),
        ("45 %", ("45", "%")),
        ("45%", ("45", "%")),
        ("12 tokens", ("12", "tokens")),
        ("3 per cent", ("3", "per cent")),
        ("2 * pi", ("2 * pi", None)),
        ("2e3", ("2e3", None)),
        ("0.72 bits/char", ("0.72", "bits/char")),
        ("1.65 nats per token", ("1.65", "nats per token")),
        ("2E-3 nats", ("2E-3", "nats")),
        ("2π", ("2π", None)),
        ("1/e", ("1/e", None)),
        ("0.5", ("0.5", None)),
        ("bits", ("bits", None)),
    ],
)
def test_split_unit_takes_off_a_trailing_word_only(text: str,
                                                   expected: tuple[str, str | None]) -> None:
    assert split_unit(text) == expected


@pytest.mark.parametrize(
    ("word", "unit", "reason"),
    [
        (None, "nats", None),
        ("nats", "nats", None),
        ("NAT", "nats", None),
        ("nits", "nats", None),
        ("bit", "bits", None),
        ("shannons", "bits", None),
        ("hartley", "bans", None),
        ("token", "tokens", None),
        ("%", "", None),
        ("percent", "", None),
        ("bits/char", "bits", None),
        ("nats per token", "nats", None),
        ("nats per token", "bits", "this question asks for bits, not nats: convert, or give "
                                   "the number alone"),
        ("bits", "nats", "this question asks for nats, not bits: convert, or give the number "
                         "alone"),
        ("bans", "bits", "this question asks for bits, not bans: convert, or give the number "
                         "alone"),
        ("nats", "", "this question asks for a plain number, not nats"),
        ("apples", "", "'apples' is not a unit this question knows: give the number alone"),
        ("apples", "nats", "'apples' is not a unit this question knows: it asks for nats"),
        ("bits", "tokens", "this question asks for tokens, not bits: convert, or give the "
                           "number alone"),
        ("%", "nats", "this question asks for nats, not %: convert, or give the number alone"),
    ],
)
def test_each_unit_rule(word: str | None, unit: str, reason: str | None) -> None:
    assert check_unit(word, unit) == reason


def test_the_audit_cases_a_unit_word_is_never_ignored() -> None:
    # 4.503 nats asked: `4.503 bits` and `4.503 bans` were graded right, and the
    # right value in bits, `6.497 bits`, wrong. Now the other units are refused.
    for text in ("4.503 bits", "4.503 bans", "6.497 bits"):
        with pytest.raises(UnitError, match="this question asks for nats, not b"):
            grade_numeric(text, 4.503, unit="nats")
    assert grade_numeric("4.503 nats", 4.503, unit="nats").correct
    assert grade_numeric("4.503", 4.503, unit="nats").correct


def test_a_percentage_of_a_plain_number_is_read_as_a_share() -> None:
    assert grade_numeric("70.3%", 0.703, unit="").correct
    assert not grade_numeric("70.3", 0.703, unit="").correct


def test_a_conversion_question_takes_its_unit_and_refuses_the_one_it_converts_from() -> None:
    inst = _draw("bits-to-nats", 3)
    x = inst.params["x"]
    assert inst.unit == "nats" and inst.expected == pytest.approx(x * math.log(2))
    assert _grade(inst, f"{x} * ln(2) nats").correct
    assert _grade(inst, f"{x * math.log(2):.4f}").correct
    with pytest.raises(UnitError, match="asks for nats, not bits"):
        _grade(inst, f"{x} bits")


def test_a_custom_unit_and_its_singular_are_accepted() -> None:
    inst = _draw("tokens-per-second", 0)
    n = inst.params["n"]
    assert _grade(inst, f"{n / 2} tokens").correct
    assert _grade(inst, f"{n}/2 token").correct
    with pytest.raises(UnitError, match="'words' is not a unit this question knows: it asks "
                                        "for tokens"):
        _grade(inst, f"{n / 2} words")


def test_piped_a_wrong_unit_is_graded_wrong_with_its_reason() -> None:
    inst = _draw("bits-to-nats", 1)
    result = _quiz("--question", "bits-to-nats", "--seed", "1", "--json",
                   input=f"{inst.params['x']} bits\n")
    (row,) = _json(result)["questions"]
    assert (row["correct"], row["diagnosis"]) == (
        False, "This question asks for nats, not bits: convert, or give the number alone.")
    assert row["unit"] == "nats"
    assert ("This question asks for nats, not bits: convert, or give the number alone."
            in result.stderr)


@needs_pty
def test_at_a_terminal_a_wrong_unit_is_asked_again(terminal: Callable[..., Any]) -> None:
    inst = _draw("bits-to-nats", 2)
    term = terminal("--bank", str(BANK), "--question", "bits-to-nats", "--seed", "2")
    term.expect("Answer:")
    term.type(f"{inst.params['x']} bits")
    term.expect("type skip.")
    term.expect("Answer:", count=2)
    term.type(shown_value(inst.expected) + " nats")  # type: ignore[arg-type]
    term.expect("cost so much.")
    code, text = term.finish()
    assert code == 0
    assert ("This question asks for nats, not bits: convert, or give the number alone. "
            "Try again, or type skip.") in text
    assert "Score: 1/1 (100%)" in text


# ----------------------------------------------------------------- shown value


def test_the_shown_value_typed_back_is_right_where_six_digits_were_not() -> None:
    question = load_banks([BANK]).question("logsumexp-tight")
    six_digits_wrong = 0
    for seed in range(200):
        inst = question.instantiate(seed)
        assert isinstance(inst.expected, float)
        shown = shown_value(inst.expected, inst.rtol, inst.atol)
        assert _grade(inst, shown).correct, (seed, shown)
        six_digits_wrong += not within_tolerance(float(f"{inst.expected:.6g}"), inst.expected,
                                                 inst.rtol, inst.atol)
    # The audit's case: "Expected 1000.07; you gave 1000.07" was wrong in many draws.
    assert six_digits_wrong > 20


def test_the_feedback_and_the_json_show_a_value_the_grading_accepts() -> None:
    inst = _draw("logsumexp-tight", 5)
    assert isinstance(inst.expected, float)
    shown = shown_value(inst.expected, inst.rtol, inst.atol)
    assert len(shown.split(".")[1]) >= 4  # 3 decimals asked: never fewer digits than that
    result = _quiz("--question", "logsumexp-tight", "--seed", "5", "--json", input="1\n")
    (row,) = _json(result)["questions"]
    assert row["expected_text"] == shown
    assert f"Wrong. Expected {shown}; you gave 1." in result.stderr
    again = _quiz("--question", "logsumexp-tight", "--seed", "5", "--json",
                  input=f"{shown}\n{row['expected']!r}\n")
    assert _json(again)["score"] == 1


# ------------------------------------------------------------------- mistakes


def test_smoothing_one_minus_eps_is_never_right_and_is_named() -> None:
    question = load_banks([BANK]).question("smoothing-true-class")
    ks = set()
    for seed in range(200):
        inst = question.instantiate(seed)
        ks.add(inst.params["k"])
        grade = _grade(inst, f"1 - {inst.params['eps']}")
        assert not grade.correct, seed
        assert grade.mistake == "share-forgotten"
        assert grade.diagnosis == ("That is 1 − ε: the true class also gets its share ε/K of "
                                   "the spread mass.")
    # K = 100 puts 1 − ε within the tolerance: such draws are never asked.
    assert 100 not in ks and {3, 4} <= ks


def test_swapped_cross_entropy_gets_its_message_at_the_prompt_and_in_json() -> None:
    inst = _draw("cross-entropy-three", 7)
    swapped = next(m for m in inst.mistakes if m.id == "swapped-arguments")
    result = _quiz("--question", "cross-entropy-three", "--seed", "7", "--json",
                   input=f"{swapped.value:.6g}\n")
    (row,) = _json(result)["questions"]
    message = "That is H(q, p): the true distribution p weights the sum, q goes in the log."
    assert (row["correct"], row["diagnosis"]) == (False, message)
    assert row["mistakes"] == [{"id": m.id, "value": m.value, "message": m.message}
                               for m in inst.mistakes]
    assert row["tolerance"] == {"rtol": 0.01, "atol": 0.001}
    assert row["params"] == inst.params and row["seed"] == 7 and row["level"] == 2
    shown = shown_value(inst.expected)  # type: ignore[arg-type]
    assert _flat(f"Wrong. Expected {shown} nats; you gave {swapped.value:.6g}. {message} "
                 f"Solution:") in _flat(result.stderr)


def test_a_wrong_answer_that_is_no_declared_mistake_has_no_diagnosis() -> None:
    inst = _draw("cross-entropy-three", 7)
    result = _quiz("--question", "cross-entropy-three", "--seed", "7", "--json",
                   input="123\n")
    (row,) = _json(result)["questions"]
    assert (row["correct"], row["diagnosis"]) == (False, None)
    assert inst.expected != 123


def test_common_slips_are_named_without_being_declared() -> None:
    inst = _draw("tokens-per-second", 3)
    assert isinstance(inst.expected, float)
    assert _grade(inst, repr(-inst.expected)).diagnosis == (
        "The sign is flipped: check the minus in front of the sum or the log.")
    ce = _draw("bits-to-nats", 4)
    assert isinstance(ce.expected, float)
    # A value in bans for a nats question (not declared): the generic reading.
    assert _grade(ce, repr(ce.expected / math.log(10))).diagnosis == (
        "That is the value in bans: the question asks for nats.")


def test_every_declared_mistake_fed_back_through_the_pipe_is_wrong_with_its_message() -> None:
    bank = load_banks([BANK])
    ids: list[str] = []
    answers: list[str] = []
    expected: list[tuple[str, str]] = []
    for question in bank.questions:
        for number, mistake in enumerate(question.mistakes):
            inst = question.instantiate(100 + number)
            value = next(m for m in inst.mistakes if m.id == mistake.id)
            ids += ["--question", question.id]
            answers.append(repr(value.value))
            expected.append((question.id, value.message))
    assert len(expected) == 7
    # One id asked k times is drawn with seeds 100, 101, ...
    rows = _json(_quiz(*ids, "--seed", "100", "--json", input="\n".join(answers) + "\n"))
    got = [(r["id"], r["diagnosis"]) for r in rows["questions"]]
    assert got == expected
    assert not any(r["correct"] for r in rows["questions"])


# ---------------------------------------------------------------------- hints


def test_hints_come_one_by_one_and_are_counted(tmp_path: Path) -> None:
    inst = _draw("smoothing-true-class", 2)
    result = _quiz("--question", "smoothing-true-class", "--seed", "2", "--json",
                   input=f"hint\n?\n?\n{inst.expected!r}\n", save=True)
    (row,) = _json(result)["questions"]
    assert (row["correct"], row["hints"]) == (True, 2)
    eps, k = inst.params["eps"], inst.params["k"]
    text = _flat(result.stderr)
    assert ("Answer: hint Hint 1/2: The ε of mass is spread over all K classes, the true one "
            "included. Answer: ? Hint 2/2: The true class keeps 1 − ε and gets its share "
            f"ε/K = {eps / k:.4f} back. Answer: ? No more hints. Answer: ") in text
    db = Path(os.environ["XENT_HOME"]) / "progress.db"
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute("SELECT question_id, hints, correct, diagnosis FROM answers").fetchall()
    assert rows == [("smoothing-true-class", 2, 1, None)]


def test_a_question_without_hints_says_so() -> None:
    result = _quiz("--question", "tokens-per-second", "--json", input="?\nskip\n")
    assert "Answer: ? No hint for this question. Answer: skip" in _flat(result.stderr)
    assert _json(result)["questions"][0]["hints"] == 0


def test_an_open_question_takes_a_hint_before_the_answer() -> None:
    result = _quiz("--question", "why-log", "--json", input="hint\nproducts to sums\ny\n")
    (row,) = _json(result)["questions"]
    assert (row["hints"], row["given"], row["correct"]) == (1, "products to sums", True)
    assert "Hint 1/1: Think of independent events and their probabilities." in result.stderr


def test_a_right_answer_after_a_hint_is_not_promoted() -> None:
    t0 = datetime(2026, 1, 5, 9, tzinfo=timezone.utc)
    rule = Leitner()
    new = rule.update(None, True, t0, hinted=True)
    assert (new.box, new.lapses) == (1, 0)
    plain = rule.update(None, True, t0)
    due = plain.due + timedelta(minutes=1)
    assert rule.update(plain, True, due, hinted=True).box == plain.box
    assert rule.update(plain, True, due).box == plain.box + 1
    history = [Review("q", "t", True, t0, hinted=True),
               Review("q", "t", True, t0 + timedelta(days=2), hinted=True)]
    assert card_states(history)["q"].box == 1
    assert card_states([Review("q", "t", True, t0)])["q"].box == 2


def test_the_saved_hint_keeps_the_question_in_box_one() -> None:
    inst = _draw("bits-to-nats", 0)
    _quiz("--question", "bits-to-nats", "--seed", "0", input=f"hint\n{inst.expected!r}\n",
          save=True)
    from xentcli.quiz.store import open_progress

    progress = open_progress()
    (review,) = progress.reviews
    assert review.hinted and review.correct
    assert card_states(progress.reviews)["bits-to-nats"].box == 1


def test_session_hint_api_counts_per_question() -> None:
    bank = load_banks([BANK])
    first, second = replay_questions(bank, ["smoothing-true-class", "bits-to-nats"], 1)
    session = Session([first, second], NullRecorder())
    session.start()
    assert session.hint(first) == first.hints[0]
    assert session.hints_used == 1
    outcome = session.skip(first)
    assert outcome.hints == 1
    session.start()
    assert session.hints_used == 0
    assert session.hint(second) == "One bit is ln 2 nats."
    assert session.hint(second) is None


# -------------------------------------------------------------------- choices


def test_a_wrong_choice_shows_why_it_is_wrong() -> None:
    inst = _draw("loss-for-probabilities", 3)
    wrong = next(i for i, why in enumerate(inst.whys) if why and "Hinge" in why)
    letter = "ABC"[wrong]
    result = _quiz("--question", "loss-for-probabilities", "--seed", "3", "--json",
                   input=f"{letter}\n")
    (row,) = _json(result)["questions"]
    assert row["diagnosis"] == "Hinge loss wants margins on scores, not probabilities."
    assert (f"(you chose {letter})\n{letter} is wrong: Hinge loss wants margins on scores, "
            f"not probabilities.\n") in result.stderr
    right = _quiz("--question", "loss-for-probabilities", "--seed", "3", "--json",
                  input=f"{inst.expected}\n")
    assert _json(right)["questions"][0]["diagnosis"] is None


# ------------------------------------------------------------ replay and levels


def test_question_ids_are_asked_in_order_with_the_seed_of_the_draw() -> None:
    rows = _json(_quiz("--question", "tokens-per-second", "--question", "bits-to-nats",
                       "--question", "tokens-per-second", "--seed", "40", "--json",
                       input="skip\nskip\nskip\n"))["questions"]
    assert [(r["id"], r["seed"]) for r in rows] == [
        ("tokens-per-second", 40), ("bits-to-nats", 40), ("tokens-per-second", 41)]
    assert rows[0]["params"] == _draw("tokens-per-second", 40).params
    assert rows[2]["params"] == _draw("tokens-per-second", 41).params


def test_an_unknown_question_id_is_one_line_with_a_suggestion() -> None:
    result = _quiz("--question", "bits-to-nat")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == wrapped("Error: unknown question 'bits-to-nat'. Did you mean "
                             "'bits-to-nats'? 'xent bank list --json' lists the ids.\n")


def test_question_ids_refuse_the_filters_they_replace() -> None:
    result = _quiz("--question", "bits-to-nats", "--topic", "grading", "-n", "2")
    assert result.exit_code == 2
    assert result.stderr == ("Error: --question picks the questions itself; leave out "
                             "--count and --topic\n")


def test_level_filters_the_questions() -> None:
    rows = _json(_quiz("--level", "3", "-n", "5", "--json", input="skip\n" * 5))["questions"]
    assert sorted(r["id"] for r in rows) == ["logsumexp-tight", "why-log"]
    assert {r["level"] for r in rows} == {3}
    both = _json(_quiz("--level", "1", "--level", "3", "-n", "9", "--json",
                       input="skip\n" * 9))["questions"]
    assert sorted(r["level"] for r in both) == [1, 1, 1, 3, 3]
    none = _quiz("--level", "2", "--kind", "open")
    assert none.exit_code == 2
    assert none.stderr == "Error: no questions for kind open and level 2\n"


def test_bank_list_json_has_the_contract_shape() -> None:
    result = CliRunner().invoke(app, ["bank", "list", "--bank", str(BANK), "--json"])
    assert result.exit_code == 0
    listing = json.loads(result.stdout)
    assert listing == {"topics": [{
        "id": "grading", "title": "Grading cases", "questions": [
            {"id": "smoothing-true-class", "kind": "numeric", "level": 2, "mistakes": 2},
            {"id": "cross-entropy-three", "kind": "numeric", "level": 2, "mistakes": 3},
            {"id": "bits-to-nats", "kind": "numeric", "level": 1, "mistakes": 1},
            {"id": "logsumexp-tight", "kind": "numeric", "level": 3, "mistakes": 1},
            {"id": "tokens-per-second", "kind": "numeric", "level": 1, "mistakes": 0},
            {"id": "loss-for-probabilities", "kind": "choice", "level": 1, "mistakes": 0},
            {"id": "why-log", "kind": "open", "level": 3, "mistakes": 0},
        ]}]}


# --------------------------------------------------------------- the prompt


def test_an_escape_sequence_in_piped_input_never_reaches_the_grader_or_the_store() -> None:
    inst = _draw("tokens-per-second", 9)
    answer = f"{inst.expected!r}"
    garbled = answer[:-1] + "\x1b[D" + answer[-1]  # what a Left-arrow sends unread
    result = _quiz("--question", "tokens-per-second", "--seed", "9", "--json",
                   input=garbled + "\n", save=True)
    (row,) = _json(result)["questions"]
    assert row["given"] == answer and not row["correct"]
    assert row["diagnosis"] == ("The answer held a terminal key code (an arrow key?), taken "
                                "out of it.")
    assert "\x1b" not in result.stdout + result.stderr
    db = Path(os.environ["XENT_HOME"]) / "progress.db"
    with closing(sqlite3.connect(db)) as conn:
        (given,) = conn.execute("SELECT given FROM answers").fetchone()
    assert given == answer


@needs_pty
def test_left_arrow_edits_the_answer_at_a_terminal(terminal: Callable[..., Any]) -> None:
    inst = _draw("tokens-per-second", 9)
    n = inst.params["n"]
    term = terminal("--bank", str(BANK), "--question", "tokens-per-second", "--seed", "9")
    term.expect("Answer:")
    # "{n}2", Left-arrow, "/": the line reads "{n}/2" only where the arrow moves
    # the cursor; unedited it would be "{n}2" plus a key code.
    term.keys(f"{n}2".encode() + b"\x1b[D" + b"/" + b"\r")
    term.expect("cost so much.")
    code, text = term.finish()
    assert code == 0
    assert f"Right. Expected {n / 2:g} tokens; you gave {n}/2 = {n / 2:g}." in text


def test_a_long_hint_wraps_within_80_columns_under_its_text() -> None:
    # The first line follows "Hint 1/1: "; it was wrapped as if it did not, so the
    # terminal broke it again: "... where does" / "1/T" / "  appear?".
    hint = "Differentiate the softened softmax with respect to a logit: where does 1/T appear?"
    result = CliRunner().invoke(app, ["quiz", "--no-save", "--question", "distil-why-t2"],
                                input="?\nskip\n", env={"COLUMNS": "80"})
    lines = result.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Answer (A-D): ?"))
    first = lines[start + 1]
    assert first.startswith("Hint 1/1: ") and len(first) <= 80
    rest = []
    for line in lines[start + 2:]:
        if not line.startswith("  ") or line.startswith("Answer"):
            break
        assert len(line) <= 80
        rest.append(line)
    assert " ".join([first[len("Hint 1/1: "):], *(line.strip() for line in rest)]) == hint
    assert len(rest) == 1

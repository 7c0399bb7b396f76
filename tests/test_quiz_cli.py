"""`xent quiz` end to end through CliRunner (line mode: stdin is not a terminal)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from messages import wrapped
from typer.testing import CliRunner, Result

from xentcli.cli.app import app
from xentcli.quiz.bank import Instance, load_banks
from xentcli.quiz.session import select_questions

FIXTURES = Path(__file__).parent / "fixtures" / "banks"
GOOD = FIXTURES / "good"
SINGLE = FIXTURES / "single"
RULE = "─" * 80


def _quiz(*args: str, input: str = "") -> Result:
    return CliRunner().invoke(app, ["quiz", "--no-save", *args], input=input)


def _flat(text: str) -> str:
    """Rich wraps at 80 columns; compare words, not line breaks."""
    return " ".join(text.split())


def _strict_json(text: str) -> Any:
    def refuse(name: str) -> None:
        raise ValueError(f"not strict JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def _rule(title: str) -> str:
    return title + " " + "─" * (80 - len(title) - 1)


DOG_PROMPT = (
    "A classifier outputs [0.1, 0.2, 0.7] for (cat, fox, dog) and the image is a dog.\n"
    "What is the cross-entropy loss in nats?\n"
)
DOG_SOLUTION = "Solution:\nOnly the true class counts: L = −log 0.7 = 0.3567 nats.\n"
SUMMARY_TABLE = (
    "Topic                Asked   Right   Skipped\n"
    + "─" * 44 + "\n"
)


def test_exact_transcript_of_a_right_expression_answer() -> None:
    result = _quiz("--bank", str(SINGLE), input="-ln(0.7)\n")
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout == (
        "\n"
        + _rule("Question 1/1 · Cross-entropy loss") + "\n"
        + DOG_PROMPT
        + "Answer: -ln(0.7)\n"
        + "Right. Expected 0.356675 nats; you gave -ln(0.7) = 0.356675.\n"
        + DOG_SOLUTION
        + "\n"
        + _rule("Summary") + "\n"
        + "Score: 1/1 (100%)\n"
        + SUMMARY_TABLE
        + "Cross-entropy loss       1       1         0\n"
        + "Next: xent stats for your progress, xent learn for the concept cards, xent plot \n"
        + "logloss to see why confident mistakes cost so much.\n"
    )


@pytest.mark.parametrize(
    ("answer", "verdict", "row"),
    [
        ("0.5", "Wrong. Expected 0.356675 nats; you gave 0.5.", "1       0         0"),
        ("0.36", "Right. Expected 0.356675 nats; you gave 0.36.", "1       1         0"),
        ("0.357 nats", "Right. Expected 0.356675 nats; you gave 0.357 nats = 0.357.",
         "1       1         0"),
        ("skip", "Skipped. Expected 0.356675 nats.", "1       0         1"),
        ("", "Skipped. Expected 0.356675 nats.", "1       0         1"),
        ("1/0", "Could not read that: division by zero. Wrong. Expected 0.356675 nats; you gave 1/0.",
         "1       0         0"),
    ],
)
def test_one_answer(answer: str, verdict: str, row: str) -> None:
    result = _quiz("--bank", str(SINGLE), input=answer + "\n")
    assert result.exit_code == 0, result.output
    assert f"Answer: {answer}".rstrip() in result.stdout
    assert verdict in _flat(result.stdout)
    assert DOG_SOLUTION in result.stdout  # the worked solution, right or wrong
    assert f"Cross-entropy loss       {row}\n" in result.stdout


@pytest.mark.parametrize("answers", ["quit\n", "", "exit\n"])
def test_quit_or_end_of_input_before_any_answer(answers: str) -> None:
    result = _quiz("--bank", str(SINGLE), input=answers)
    assert result.exit_code == 0
    assert result.stderr == ""
    assert _flat(result.stdout).endswith(
        "Summary " + "─" * 72 + " No questions answered. Ended early after 0 of 1 questions. "
        "Next: xent stats for your progress, xent learn for the concept cards, xent plot "
        "logloss to see why confident mistakes cost so much."
    )


def _seed_with_numeric_third() -> tuple[int, list[Instance]]:
    bank = load_banks([GOOD])
    for seed in range(1000):
        instances = select_questions(bank, count=5, seed=seed)
        kinds = [i.kind for i in instances]
        if kinds[2] == "numeric" and "open" in kinds[:2] and "choice" in kinds[:2]:
            return seed, instances
    raise AssertionError("no suitable seed")  # pragma: no cover


def _right(inst: Instance) -> str:
    if inst.kind == "open":
        return "It compares the two distributions.\ny"
    return repr(inst.expected) if inst.kind == "numeric" else str(inst.expected)


def _wrong(inst: Instance) -> str:
    if inst.kind == "open":
        return "No idea.\nn"
    if inst.kind == "numeric":
        assert isinstance(inst.expected, float)
        return repr(inst.expected * 1.5 + 1)
    return next(letter for letter in "ABC" if letter != inst.expected)


def test_a_session_through_right_wrong_expression_skip_and_quit() -> None:
    seed, instances = _seed_with_numeric_third()
    first, second, third, fourth, _ = instances
    assert isinstance(third.expected, float)
    expression = f"-ln(exp(-{third.expected!r}))"  # evaluates back to the expected value
    script = [_right(first), _wrong(second), expression, "skip", "quit"]
    result = _quiz("--bank", str(GOOD), "--seed", str(seed), "-n", "5",
                   input="\n".join(script) + "\n")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    out = result.stdout
    # Questions in order, each with its number and topic title, answered as scripted.
    titles = {"basics": "Basics", "units": "Bits and nats"}
    positions = [out.index(f"Question {n}/5 · {titles[inst.topic]}")
                 for n, inst in enumerate(instances, 1)]
    assert positions == sorted(positions)
    q1, q2, q3, q4, q5 = (out[a:b] for a, b in zip(positions, [*positions[1:], len(out)],
                                                    strict=True))
    assert first.prompt.rstrip() in q1 or _flat(first.prompt) in _flat(q1)
    assert "Right." in q1 and "Wrong." not in q1
    assert "Wrong." in q2 and "Right." not in q2
    shown = f"{third.expected:.6g}"
    unit = f" {third.unit}" if third.unit else ""
    assert f"Right. Expected {shown}{unit}; you gave {expression} = {shown}." in _flat(q3)
    assert "Answer: \n" not in q4 and "Answer: skip" in q4 and "Skipped." in q4
    assert "Answer: quit" in q5 and "Right." not in q5 and "Wrong." not in q5
    summary = _flat(out[out.index(_rule("Summary")):])
    assert "Score: 2/4 (50%)" in summary
    assert "Ended early after 4 of 5 questions." in summary
    assert "Next: xent stats for your progress, xent learn " in summary
    assert "to review your weakest topic, xent plot logloss" in summary


def test_json_report_is_the_only_stdout() -> None:
    result = _quiz("--bank", str(SINGLE), "--json", input="-ln(0.7)\n")
    assert result.exit_code == 0
    report = _strict_json(result.stdout)
    assert result.stdout.count("\n") == 1
    assert report == {
        "score": 1,
        "total": 1,
        "questions": [
            {
                "id": "ce-loss-dog",
                "topic": "ce-loss",
                "kind": "numeric",
                "prompt": DOG_PROMPT,
                "given": "-ln(0.7)",
                "expected": pytest.approx(-math.log(0.7)),
                "correct": True,
                "level": 2,
                "seed": report["questions"][0]["seed"],
                "params": {},
                "skipped": False,
                "diagnosis": None,
                "hints": 0,
                "seconds": report["questions"][0]["seconds"],
                "expected_text": "0.356675",
                "unit": "nats",
                "tolerance": {"rtol": 0.01, "atol": 0.001},
                "mistakes": [],
            }
        ],
    }
    assert isinstance(report["questions"][0]["expected"], float)
    assert "Question 1/1" in result.stderr and "Score: 1/1" in result.stderr


def test_json_report_of_a_mixed_session() -> None:
    bank = load_banks([GOOD])
    instances = select_questions(bank, count=6, seed=5)
    script = [_right(i) for i in instances]
    result = _quiz("--bank", str(GOOD), "--seed", "5", "-n", "6", "--json",
                   input="\n".join(script) + "\n")
    assert result.exit_code == 0, result.stderr
    report = _strict_json(result.stdout)
    assert (report["score"], report["total"]) == (6, 6)
    assert [q["id"] for q in report["questions"]] == [i.id for i in instances]
    for q, inst in zip(report["questions"], instances, strict=True):
        assert q["expected"] == inst.expected and q["correct"] is True


def test_same_seed_same_session() -> None:
    first = _quiz("--bank", str(GOOD), "--seed", "9", "-n", "4")
    again = _quiz("--bank", str(GOOD), "--seed", "9", "-n", "4")
    assert first.exit_code == again.exit_code == 0
    assert first.stdout == again.stdout


def test_topic_and_kind_filters() -> None:
    result = _quiz("--bank", str(GOOD), "-t", "units", "--kind", "choice", "--json",
                   input="1\n")
    report = _strict_json(result.stdout)
    assert [q["id"] for q in report["questions"]] == ["units-base-of-bits"]


def test_open_question_takes_an_answer_line_then_a_self_grade_line() -> None:
    result = _quiz("--bank", str(GOOD), "--kind", "open", input="It compares.\nmaybe\n")
    assert result.exit_code == 0
    out = result.stdout
    assert "Your answer: It compares.\nA model answer:\n" in out
    assert "Key points:\n  - compares a predicted and a target distribution\n" in out
    assert "Did your answer cover the key points? (y/n): maybe" in out
    assert "Expected y or n; counted as no." in out
    assert "Score: 0/1 (0%)" in out


def test_an_empty_self_grade_line_skips_the_open_question() -> None:
    result = _quiz("--bank", str(GOOD), "--kind", "open", "--json", input="It compares.\n\n")
    assert result.exit_code == 0
    report = _strict_json(result.stdout)
    assert (report["score"], report["total"]) == (0, 1)
    assert report["questions"][0]["given"] == "It compares."  # kept, though not graded
    assert "Skipped." in result.stderr
    assert result.stderr.count("A model answer:") == 1  # shown once, before the grade


def test_ctrl_c_ends_with_the_summary_and_exit_130(monkeypatch: pytest.MonkeyPatch) -> None:
    from xentcli.cli import quiz as quiz_cli

    calls = {"n": 0}
    real_read = quiz_cli._LineAnswers.read

    def read(self: Any, prompt: str) -> str | None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real_read(self, prompt)

    monkeypatch.setattr(quiz_cli._LineAnswers, "read", read)
    result = _quiz("--bank", str(GOOD), "-n", "3", "--seed", "2", "--kind", "numeric",
                   "--json", input="1\n2\n3\n")
    assert result.exit_code == 130
    report = _strict_json(result.stdout)
    assert report["total"] == 1
    assert "Interrupted after 1 of 3 questions." in _flat(result.stderr)


def test_bank_and_user_text_is_not_read_as_markup(tmp_path: Path) -> None:
    (tmp_path / "markup.yaml").write_text(
        "topic: markup\ntitle: '[red]Markup[/red]'\nsummary: S\nquestions:\n"
        "  - id: m1\n    kind: numeric\n    prompt: 'Is [bold]this[/bold] bold?'\n"
        "    answer: '1'\n    explanation: 'Not [link=x]a link[/link].'\n"
    )
    result = _quiz("--bank", str(tmp_path), input="[b]2[/b]\n")
    assert result.exit_code == 0
    assert "Question 1/1 · [red]Markup[/red]" in result.stdout
    assert "Is [bold]this[/bold] bold?" in result.stdout
    assert "Not [link=x]a link[/link]." in result.stdout
    assert "Answer: [b]2[/b]" in result.stdout
    emoji = _quiz("--bank", str(tmp_path), input=":fire:\n")
    assert "you gave :fire:." in emoji.stdout  # echoed as typed, not as an emoji


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bank", str(GOOD), "-t", "entropy"],
         "Error: unknown topic 'entropy' (topics: basics, units)\n"),
        (["--bank", str(GOOD), "-t", "units", "--kind", "open"],
         "Error: no questions for topic units and kind open\n"),
        (["--count", "0"],
         "Error: Invalid value for '--count' / '-n': must be at least 1, not 0. "
         "See 'xent quiz --help'.\n"),
        (["--kind", "essay"],
         "Error: Invalid value for '--kind': 'essay' is not one of 'numeric', "
         "'choice', 'open'. See 'xent quiz --help'.\n"),
    ],
)
def test_usage_errors(args: list[str], message: str) -> None:
    result = _quiz(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == wrapped(message)


def test_an_invalid_bank_is_refused_with_file_and_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)
    result = _quiz("--bank", "bad")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == wrapped(
        "Error: bad/broken.yaml:8: question 'broken-unknown-key': unknown key 'anwser' "
        "(and 7 more problems; run 'xent bank check bad' for the list)\n"
    )


def test_help_lists_every_option() -> None:
    result = CliRunner().invoke(app, ["quiz", "--help"])
    assert result.exit_code == 0
    for option in ("--count", "-n", "--topic", "-t", "--kind", "--seed", "--bank", "--review",
                   "--json", "--no-save"):
        assert option in result.stdout


# ------------------------------------------------------------ a real terminal

needs_pty = pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a POSIX pseudo-terminal")


@needs_pty
def test_interactive_session_re_asks_an_unreadable_answer(
    terminal: Callable[..., Any],
) -> None:
    term = terminal("--bank", str(SINGLE))
    term.expect("Answer:")
    term.type("two")
    term.expect("Try again, or type skip.")
    term.expect("Answer:", count=2)
    term.type("-ln(0.7)")
    term.expect("cost so much.")
    code, text = term.finish()
    assert code == 0
    assert "Answer with a number or an expression such as -ln(0.7)" in text
    assert "unknown name 'two'" in text
    assert "Right. Expected 0.356675 nats; you gave -ln(0.7) = 0.356675." in text
    assert "Score: 1/1 (100%)" in text


@needs_pty
def test_interactive_ctrl_c_keeps_the_summary_and_exits_130(
    terminal: Callable[..., Any],
) -> None:
    term = terminal("--bank", str(GOOD), "--kind", "numeric", "-n", "2", "--seed", "1")
    term.expect("Answer:")
    term.type("skip")
    term.expect("Question 2/2")
    term.expect("Answer:", count=2)
    term.interrupt(until="cost so much.")
    code, text = term.finish()
    assert code == 130
    assert "Score: 0/1 (0%)" in text
    assert "Interrupted after 1 of 2 questions." in text


def test_a_narrow_terminal_reflows_bank_text_with_hanging_indents(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "50")
    choice = _quiz("--seed", "5", "-n", "3", "--kind", "choice", input="a\\\nb\nc\n")
    open_ = _quiz("--seed", "5", "-n", "1", "--kind", "open", input="my answer\ny\n")
    for result in (choice, open_):
        assert result.exit_code == 0
        lines = result.stdout.splitlines()
        assert all(len(line.rstrip()) <= 50 for line in lines), lines
        # Prose is reflowed: no line cut to a lone word by the edge of the screen.
        words = [line.split() for line in lines if set(line) != {"─"}]
        assert all(len(w) > 1 or len(" ".join(w)) < 20 for w in words), lines
    # A choice or key point that wraps goes on under its own text, not at column 0.
    lines = choice.stdout.splitlines()
    assert any(line.startswith("  A. ") for line in lines)
    assert any(line.startswith("     ") and line[5] != " " for line in lines)
    assert any(line.startswith("    ") and line[4] != " " for line in open_.stdout.splitlines())
    # The answer is echoed as typed: one backslash.
    assert "Answer (A-D): a\\\n" in choice.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-t", "entrpy"],
         "Error: unknown topic 'entrpy'. Did you mean 'entropy'? 'xent bank list' lists the "
         "topics.\n"),
        (["-t", "zebra"], "Error: unknown topic 'zebra'. 'xent bank list' lists the topics.\n"),
        (["--seed", "-1"],
         "Error: Invalid value for '--seed': must be at least 0, not -1. "
         "See 'xent quiz --help'.\n"),
        (["--review"],
         "Error: --review asks what your saved progress says is due; it cannot be used with "
         "--no-save\n"),
    ],
)
def test_shipped_bank_usage_errors(args: list[str], message: str) -> None:
    result = _quiz(*args)  # _quiz passes --no-save
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", wrapped(message))


def test_a_topic_is_found_in_any_case() -> None:
    result = _quiz("-t", " KL ", "-n", "2", "--seed", "3", "--json", input="skip\nskip\n")
    report = _strict_json(result.stdout)
    assert {q["topic"] for q in report["questions"]} == {"kl"}


def test_asking_for_more_than_there_are_says_so() -> None:
    result = _quiz("--bank", str(GOOD), "-t", "units", "-n", "50", "--json", input="1\n1\n")
    assert result.stderr.startswith("Only 2 questions match: asking all of them.\n")
    assert _strict_json(result.stdout)["total"] == 2


def test_no_card_is_suggested_for_a_custom_banks_topic() -> None:
    result = _quiz("--bank", str(GOOD), "-t", "basics", "--seed", "1", input="9\n" * 5)
    assert "Score: 0/" in result.stdout
    assert "xent learn basics" not in _flat(result.stdout)
    assert "xent learn for the concept cards" in _flat(result.stdout)


def test_answers_are_shown_and_saved_as_text_whatever_bytes_arrive(tmp_path: Path) -> None:
    env = {**os.environ, "XENT_HOME": str(tmp_path), "NO_COLOR": "1"}
    # Not UTF-8, a terminal escape sequence, then an answer of 5000 characters.
    answers = b"\xff\n\x1b[2J0.5\n" + b"1" * 5000 + b"\n"
    done = subprocess.run(
        [sys.executable, "-m", "xentcli", "quiz", "--bank", str(GOOD), "--kind", "numeric",
         "-n", "3", "--seed", "2", "--json"],
        input=answers, capture_output=True, env=env, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert b"\x1b" not in done.stdout + done.stderr  # nothing can drive the terminal
    report = _strict_json(done.stdout.decode("utf-8"))
    given = [q["given"] for q in report["questions"]]
    # The escape sequence is taken out, and the answer holding it is not graded
    # as the number left over: it is wrong, and says why.
    assert given[:2] == ["\ufffd", "0.5"]
    second = report["questions"][1]
    assert (second["correct"], second["diagnosis"]) == (
        False, "The answer held a terminal key code (an arrow key?), taken out of it.")
    assert given[2] == "1" * 2000 + "…"
    stats = subprocess.run([sys.executable, "-m", "xentcli", "stats", "--json"],
                           capture_output=True, env=env, timeout=60, text=True)
    assert json.loads(stats.stdout)["answered"] == 3


DRAW_FAILS = """\
topic: d
title: Draws
summary: One question that draws and one that cannot.
questions:
  - id: d-good
    kind: numeric
    prompt: What is 1 + 1?
    answer: "1 + 1"
    unit: none
    explanation: Two.
  - id: d-bad
    kind: numeric
    level: 3
    prompt: What is 1 / 0?
    let:
      z: "0"
    answer: "1 / z"
    unit: none
    explanation: Nothing.
"""


@pytest.mark.parametrize("command", [
    ["quiz", "--question", "d-good", "--question", "d-bad", "--seed", "1"],
    ["interview", "--seed", "1"],  # d-good is the warm-up, d-bad comes after
])
def test_a_question_that_cannot_be_drawn_ends_the_session_with_its_summary(
        tmp_path: Path, command: list[str]) -> None:
    # Questions are drawn when reached: the one that fails comes after an answer.
    (tmp_path / "d.yaml").write_text(DRAW_FAILS, encoding="utf-8")
    result = CliRunner().invoke(app, [*command, "--bank", str(tmp_path), "--json"],
                                input="2\n")
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert [(q["id"], q["correct"]) for q in report["questions"]] == [("d-good", True)]
    if command[0] == "interview":
        assert (report["planned"], report["finished"]) == (2, False)
    assert "Ended early after 1 of 2 questions." in result.stderr
    error = result.stderr[result.stderr.index("Error: "):]
    assert " ".join(error.split()).startswith(
        f"Error: {tmp_path / 'd.yaml'}:17: question 'd-bad': answer: division by zero (seed ")
    assert error.count("Error: ") == 1


def test_a_draw_that_raises_index_error_is_not_taken_for_the_end_of_the_session() -> None:
    from xentcli.quiz.session import Script

    class Breaks:
        id = "breaks"

        def instantiate(self, seed: int) -> Any:
            raise IndexError("inside a draw")

    bank = load_banks([FIXTURES / "good"])
    first = bank.questions[0]
    script = Script([(first, 1), (Breaks(), 2), (first, 3)])  # type: ignore[list-item]
    assert len(script) == 3
    with pytest.raises(IndexError, match="inside a draw"):
        list(script)

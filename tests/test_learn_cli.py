"""`xent learn`: the topic list and each card, rendered at 80 columns without a terminal."""

from __future__ import annotations

import math

import pytest
from messages import wrapped
from typer.testing import CliRunner

from xentcli.cli.app import app
from xentcli.quiz.cards import TOPIC_ORDER, list_cards

runner = CliRunner()


def _learn(*args: str) -> str:
    result = runner.invoke(app, ["learn", *args])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert "\x1b" not in result.stdout
    return result.stdout


def test_no_topic_lists_every_topic_with_its_summary() -> None:
    out = _learn()
    lines = out.splitlines()
    assert all(line == line.rstrip() for line in lines)  # no padding after the text
    cards = list_cards()
    rows = [line for line in lines if line.split(" ", 1)[0] in {c.topic for c in cards}]
    assert [row.split()[0] for row in rows] == [c.topic for c in cards]
    assert [c.topic for c in cards][: len(TOPIC_ORDER)] == list(TOPIC_ORDER)
    for card, row in zip(cards, rows, strict=True):
        assert row.endswith(card.summary), row  # one line each at 80 columns
    assert lines[-1] == "Read one: xent learn TOPIC    Practise it: xent quiz --topic TOPIC"


def test_entropy_card() -> None:
    out = _learn("entropy")
    lines = [line.rstrip() for line in out.splitlines()]
    assert lines[0].strip() == "Entropy"
    for heading in ("In one minute", "The formula", "Worked example", "Pitfalls"):
        assert heading in lines
    assert "H(p) = -Σ p_i log p_i" in out
    # The seed's example, worked by hand: H([0.2, 0.3, 0.5]).
    h = -(0.2 * math.log(0.2) + 0.3 * math.log(0.3) + 0.5 * math.log(0.5))
    assert f"H(p)                 = {h:.4f} nats = {h / math.log(2):.4f} bits" in out
    assert lines[-1] == "Quiz me on this: xent quiz --topic entropy"


@pytest.mark.parametrize("topic", TOPIC_ORDER)
def test_every_card_fits_two_screens_of_80_columns(topic: str) -> None:
    out = _learn(topic)
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert all(line == line.rstrip() for line in lines)  # no padding to the width
    assert len(lines) <= 48, len(lines)
    assert f"Quiz me on this: xent quiz --topic {topic}" in out
    assert "{" not in out


def test_code_blocks_are_not_padded_with_blank_lines() -> None:
    lines = [line.rstrip() for line in _learn("kl").splitlines()]
    formula = lines.index("The formula")
    assert lines[formula + 1] == ""
    assert lines[formula + 2].strip().startswith("D_KL(p || q) = Σ p_i log(p_i / q_i)")


def test_topic_is_case_insensitive() -> None:
    assert _learn("FOCAL").splitlines()[0].strip() == "Focal loss"


@pytest.mark.parametrize(
    ("topic", "stderr"),
    [
        ("entrpy", "Error: unknown topic 'entrpy'. Did you mean 'entropy'? "
                   "'xent learn' lists the topics.\n"),
        ("label-smoothing", "Error: unknown topic 'label-smoothing'. Did you mean 'smoothing'? "
                            "'xent learn' lists the topics.\n"),
        ("zebra", "Error: unknown topic 'zebra'. 'xent learn' lists the topics.\n"),
    ],
)
def test_unknown_topic_is_one_line_exit_2(topic: str, stderr: str) -> None:
    result = runner.invoke(app, ["learn", topic])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == wrapped(stderr)


def test_topic_markup_is_not_interpreted() -> None:
    result = runner.invoke(app, ["learn", "[bold]x[/bold]"])
    assert result.exit_code == 2
    assert result.stderr == "Error: unknown topic '[bold]x[/bold]'. 'xent learn' lists the topics.\n"

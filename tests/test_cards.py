"""Concept cards: one per topic of the bank spec, well formed, numbers computed live."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from xentcli.errors import QuizError
from xentcli.quiz.bank import read_banks, shipped_bank_dir
from xentcli.quiz.cards import TOPIC_ORDER, cards_dir, closest_topic, list_cards, load_card

#: The topic table of the bank spec: id -> title.
SPEC_TOPICS = {
    "surprisal": "Surprisal",
    "entropy": "Entropy",
    "cross-entropy": "Cross-entropy",
    "ce-loss": "Cross-entropy loss",
    "bce": "Binary and multi-label BCE",
    "kl": "KL divergence",
    "likelihood": "Maximum likelihood",
    "stability": "Numerical stability",
    "gradient": "Gradients",
    "weighted": "Weighted cross-entropy",
    "focal": "Focal loss",
    "smoothing": "Label smoothing",
    "units": "Bits and nats",
    "activations": "Activations and losses",
}
SECTIONS = ("## In one minute", "## The formula", "## Worked example", "## Pitfalls")


def _ln(x: float) -> float:
    return math.log(x)


def test_cards_live_beside_the_shipped_banks() -> None:
    assert cards_dir() == shipped_bank_dir() / "cards"
    assert cards_dir().is_dir()


def test_one_card_per_spec_topic_in_learning_order() -> None:
    cards = list_cards()
    topics = [c.topic for c in cards]
    # The ordered topics come first; topics added later follow (by name until ordered).
    assert topics[: len(TOPIC_ORDER)] == list(TOPIC_ORDER)
    assert [t for t in TOPIC_ORDER if t in SPEC_TOPICS] == list(SPEC_TOPICS)
    assert set(SPEC_TOPICS) <= set(topics)
    assert {c.topic: c.title for c in cards if c.topic in SPEC_TOPICS} == SPEC_TOPICS


def test_card_titles_agree_with_the_banks() -> None:
    bank, _ = read_banks()
    cards = {c.topic: c for c in list_cards()}
    for topic_id, topic in bank.topics.items():
        if topic_id in cards:
            assert cards[topic_id].title == topic.title, topic_id


@pytest.mark.parametrize("topic", list(SPEC_TOPICS))
def test_every_card_has_its_sections_and_renders(topic: str) -> None:
    card = load_card(topic)
    for heading in SECTIONS:
        assert heading in card.text, (topic, heading)
    assert 10 <= len(card.summary) <= 62  # one row of `xent learn`'s list
    rendered = card.render()
    assert "{" not in rendered and "}" not in rendered
    # A placeholder gone wrong would print nan or inf (prose may say NaN or infinite).
    assert re.search(r"\b(nan|inf)\b", rendered) is None
    # The placeholders are gone and numbers took their place.
    assert any(ch.isdigit() for ch in rendered.split("## Worked example")[1])


# Reference values computed here the plain way (seed numbers, by hand), not by the core.
@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        ("surprisal", [f"{-_ln(0.001):.3f} nats", f"{-math.log2(0.001):.2f} bits"]),
        ("entropy", [f"{-(0.2 * _ln(0.2) + 0.3 * _ln(0.3) + 0.5 * _ln(0.5)):.4f} nats",
                     f"{-(0.2 * math.log2(0.2) + 0.3 * math.log2(0.3) + 0.5 * math.log2(0.5)):.4f} bits",
                     f"{_ln(3):.4f} nats"]),
        ("cross-entropy", [f"{-(0.99 * _ln(0.01) + 0.01 * _ln(0.99)):.4f} nats"]),
        ("ce-loss", [f"= {-_ln(0.7):.4f} nats", f"{-(_ln(0.7) + _ln(0.1)) / 2:.4f} nats",
                     f"{-(0.4 * _ln(0.2) + 0.6 * _ln(0.7)):.4f} nats"]),
        ("bce", [f"{-_ln(0.9):.4f} nats", f"{-_ln(0.1):.4f} nats",
                 f"mean      {-(_ln(0.8) + _ln(0.7) + _ln(0.6)) / 3:.4f} nats"]),
        ("kl", [f"D_KL(p || q)  = {0.2 * _ln(2) + 0.3 * _ln(1.5) + 0.5 * _ln(5 / 7):.4f} nats"]),
        ("likelihood", [f"{0.7 * 0.5 * 0.9:.3f}",
                        f"perplexity = {math.exp(-_ln(0.7 * 0.5 * 0.9) / 3):.3f}"]),
        ("stability", [f"{1000 + _ln(2 + math.exp(-10)):.4f}",
                       f"{10 + _ln(2 + math.exp(-10)):.4f} nats"]),
        ("gradient", [f"{1 / (1 + math.exp(5)):.4f}"]),
        ("weighted", [f"{(-_ln(0.9) - 4 * _ln(0.6)) / 5:.4f} nats",
                      f"{(-_ln(0.9) - _ln(0.6)) / 2:.4f} nats"]),
        ("focal", [f"{0.01 * -_ln(0.9):.6f}", f"{0.81 * -_ln(0.1):.4f}"]),
        ("smoothing", [f"{-(0.9 + 0.1 / 3) * _ln(0.7) - 0.1 / 3 * (_ln(0.2) + _ln(0.1)):.4f} nats"]),
        ("units", [f"{_ln(2):.4f} nats", f"{math.log10(2):.4f} bans"]),
        ("activations", [f"{1 / (1 + math.exp(-1.5)):.4f}"]),
    ],
)
def test_worked_examples_show_the_right_numbers(topic: str, expected: list[str]) -> None:
    rendered = load_card(topic).render()
    for text in expected:
        assert text in rendered, (topic, text)


def test_topic_lookup_ignores_case_and_spaces() -> None:
    assert load_card(" Entropy ").topic == "entropy"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("entrpy", "unknown topic 'entrpy'. Did you mean 'entropy'? 'xent learn' lists the topics."),
        ("crossentropy", "unknown topic 'crossentropy'. Did you mean 'cross-entropy'? "
                         "'xent learn' lists the topics."),
        ("zebra", "unknown topic 'zebra'. 'xent learn' lists the topics."),
    ],
)
def test_unknown_topic_suggests_the_closest(name: str, message: str) -> None:
    with pytest.raises(QuizError) as caught:
        load_card(name)
    assert str(caught.value) == message


def test_closest_topic() -> None:
    topics = list(SPEC_TOPICS)
    assert closest_topic("focal-loss", topics) == "focal"
    assert closest_topic("KL", topics) == "kl"
    assert closest_topic("label smoothing", topics) == "smoothing"
    assert closest_topic("gradients", topics) == "gradient"
    assert closest_topic("", topics) is None


def _write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


def test_own_folder_order_and_fields(tmp_path: Path) -> None:
    _write(tmp_path, "zeta.md", "# Zeta\n\nLast by name.\n")
    _write(tmp_path, "alpha.md", "# Alpha\n\nFirst by name.\n")
    _write(tmp_path, "kl.md", "# KL\n\nA known topic comes first.\n\nBody {1 + 1}.\n")
    _write(tmp_path, "notes.txt", "not a card")
    cards = list_cards(tmp_path)
    assert [c.topic for c in cards] == ["kl", "alpha", "zeta"]
    assert cards[0].summary == "A known topic comes first."
    assert cards[0].render().endswith("Body 2.\n")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("No title here\n", "card bad.md must start with a '# Title' line"),
        ("", "card bad.md must start with a '# Title' line"),
        ("# Title\n\n## Section\n", "card bad.md needs a one-line summary under its title"),
    ],
)
def test_malformed_cards(tmp_path: Path, text: str, message: str) -> None:
    _write(tmp_path, "bad.md", text)
    with pytest.raises(QuizError) as caught:
        load_card("bad", tmp_path)
    assert str(caught.value) == message


def test_a_placeholder_that_fails_names_the_card(tmp_path: Path) -> None:
    _write(tmp_path, "bad.md", "# Bad\n\nSummary.\n\n{entropy([0.5, 0.6])}\n")
    card = load_card("bad", tmp_path)
    with pytest.raises(QuizError) as caught:
        card.render()
    assert str(caught.value).startswith("card bad.md: in {entropy([0.5, 0.6])}: ")


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(QuizError) as caught:
        list_cards(tmp_path / "none")
    assert str(caught.value) == f"the concept cards are missing (looked in {tmp_path / 'none'})"

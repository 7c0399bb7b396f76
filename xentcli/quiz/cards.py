"""Concept cards: a short Markdown refresher per quiz topic.

The cards live beside the shipped banks, in ``questions/cards/<topic>.md`` (one
per topic id, so the quiz and the cards share one list of topics). A card is
plain Markdown: its first line is ``# Title``, the next non-empty line a
one-sentence summary, and the rest the explanation. Numbers in a card are
``{expr}`` / ``{expr:fmt}`` placeholders for :mod:`xentcli.quiz.template`, so
every worked example is computed by the core when the card is shown::

    The entropy of [0.2, 0.3, 0.5] is {entropy([0.2, 0.3, 0.5]):.4f} nats.

This module finds, reads and renders cards; it never prints.

>>> card = load_card("entropy")
>>> card.topic, card.title
('entropy', 'Entropy')
>>> "{" in card.render()
False
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from xentcli.errors import ExpressionError, QuizError

__all__ = [
    "TOPIC_ORDER",
    "Card",
    "cards_dir",
    "closest_topic",
    "list_cards",
    "load_card",
]

#: The order the topics are listed in: each builds on the ones before it.
#: A card whose topic is not here (a user's own folder) comes after, by name.
TOPIC_ORDER = (
    "surprisal",
    "entropy",
    "cross-entropy",
    "ce-loss",
    "bce",
    "kl",
    "likelihood",
    "stability",
    "gradient",
    "weighted",
    "focal",
    "smoothing",
    "units",
    "activations",
    # the topics interviewers ask next, each after what it needs
    "js-divergence",
    "forward-reverse-kl",
    "mutual-information",
    "logistic-regression",
    "hinge",
    "entropy-regularisation",
    "framework-traps",
    "language-models",
    "calibration",
    "scoring-rules",
    "distillation",
    "contrastive",
)


@dataclass(frozen=True)
class Card:
    """One concept card, as read from its file (placeholders not yet evaluated)."""

    topic: str
    title: str
    summary: str
    path: Path
    text: str

    def render(self) -> str:
        """The card's Markdown with every placeholder replaced by its value.

        The result is kept in the cache (:mod:`xentcli.quiz.bankcache`), keyed by
        this text and the code that computes the numbers, so that showing a card
        again needs neither numpy nor the numeric core.

        Raises:
            QuizError: a placeholder does not evaluate (names the card file).
        """
        from xentcli.quiz import bankcache

        key = bankcache.card_key(self.text)
        cached = bankcache.load_card_text(key)
        if cached is not None:  # computed before from this very text and code
            return cached
        from xentcli.quiz.template import render

        try:
            text = render(self.text, {})
        except ExpressionError as exc:
            raise QuizError(f"card {self.path.name}: {exc}") from None
        bankcache.store_card_text(key, text)
        return text


def cards_dir() -> Path:
    """The folder of the shipped cards: ``cards/`` inside the shipped banks' folder."""
    from xentcli.quiz.shipped import shipped_bank_dir

    return shipped_bank_dir() / "cards"


def _read(path: Path) -> Card:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise QuizError(f"card {path.name} cannot be read: {exc}") from None
    lines = [line.strip() for line in text.splitlines()]
    content = [line for line in lines if line]
    if not content or not content[0].startswith("# "):
        raise QuizError(f"card {path.name} must start with a '# Title' line")
    if len(content) < 2 or content[1].startswith("#"):
        raise QuizError(f"card {path.name} needs a one-line summary under its title")
    return Card(
        topic=path.stem,
        title=content[0][2:].strip(),
        summary=content[1],
        path=path,
        text=text,
    )


def _order(path: Path) -> tuple[int, str]:
    topic = path.stem
    rank = TOPIC_ORDER.index(topic) if topic in TOPIC_ORDER else len(TOPIC_ORDER)
    return rank, topic


def _paths(folder: Path | None) -> list[Path]:
    where = cards_dir() if folder is None else folder
    if not where.is_dir():
        raise QuizError(f"the concept cards are missing (looked in {where})")
    return sorted((p for p in where.iterdir() if p.suffix == ".md"), key=_order)


def list_cards(folder: Path | None = None) -> list[Card]:
    """Every card of ``folder`` (default: the shipped ones), in learning order.

    Raises:
        QuizError: the folder is missing or a card is malformed.
    """
    return [_read(path) for path in _paths(folder)]


def closest_topic(name: str, topics: list[str]) -> str | None:
    """The topic that ``name`` most likely meant, if any is close.

    >>> topics = ["entropy", "cross-entropy", "ce-loss", "kl", "focal"]
    >>> [closest_topic(n, topics) for n in ("entrophy", "CrossEntropy", "focal-loss", "KL_div")]
    ['entropy', 'cross-entropy', 'focal', 'kl']
    >>> closest_topic("zebra", topics) is None
    True
    """

    def bare(text: str) -> str:
        return "".join(ch for ch in text.lower() if ch.isalnum())

    wanted = bare(name)
    if not wanted:
        return None
    # Same letters without punctuation ("crossentropy"), then a topic inside the
    # name ("focal-loss", "kl_divergence"; the longest wins), then a misspelling.
    for topic in topics:
        if bare(topic) == wanted:
            return topic
    inside = [t for t in topics if bare(t) and bare(t) in wanted]
    if inside:
        return max(inside, key=lambda t: len(bare(t)))
    matches = difflib.get_close_matches(wanted, [bare(t) for t in topics], n=1, cutoff=0.6)
    if matches:
        return next(t for t in topics if bare(t) == matches[0])
    return None


def load_card(topic: str, folder: Path | None = None) -> Card:
    """The card of ``topic``.

    Raises:
        QuizError: no such topic (the message suggests the closest one and
            ``xent learn``), or the card is malformed.
    """
    paths = _paths(folder)
    wanted = topic.strip().lower()
    for path in paths:
        if path.stem == wanted:
            return _read(path)
    topics = [path.stem for path in paths]
    guess = closest_topic(topic, topics)
    hint = f" Did you mean '{guess}'?" if guess else ""
    raise QuizError(f"unknown topic '{topic}'.{hint} 'xent learn' lists the topics.")

"""Flashcard notes from the banks and the concept cards, for any export format.

One note per question (a numeric question gives ``variants`` notes, each drawn
with its own numbers, its answer and worked solution), and one per concept
card. Every note has a stable key: the same question and variant always draws
the same numbers and gets the same key, so a deck exported again updates the
notes already imported instead of adding copies.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from xentcli.quiz.bank import Bank, Instance, Question
from xentcli.quiz.cards import Card

__all__ = ["Note", "card_note", "collect_notes", "question_notes", "reflow", "variant_seed"]


@dataclass(frozen=True)
class Note:
    """One flashcard: plain text on each side (an exporter escapes it), with tags."""

    key: tuple[str, ...]  # stable: ("question", id, variant) or ("card", topic)
    topic: str
    level: int | None  # None for a concept card
    kind: str  # numeric, choice, open or card
    front: str
    back: str
    source: str  # where it comes from: the question id (and variant) or the card

    @property
    def tags(self) -> tuple[str, ...]:
        tags = ["xent", f"topic::{self.topic}", f"kind::{self.kind}"]
        if self.level is not None:
            tags.append(f"level::{self.level}")
        return tuple(tags)


def variant_seed(question_id: str, variant: int) -> int:
    """The seed of a question's ``variant``-th exported draw: the same on every run.

    >>> variant_seed("entropy-animals", 1) == variant_seed("entropy-animals", 1)
    True
    """
    digest = hashlib.sha256(f"xent-export:{question_id}:{variant}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 2**31


_BLOCK_STARTS = ("#", "- ", "* ", "|", "```")


def reflow(text: str) -> str:
    r"""Join the lines of each prose paragraph, which banks break for 80 columns.

    Indented lines (formulas, worked sums), list items, headings and blank
    lines stay as they are, so a card reader can wrap prose to its own width.

    >>> reflow("One line\nand the next.\n  x = 1\n- item")
    'One line and the next.\n  x = 1\n- item'
    """
    out: list[str] = []
    fenced = False
    for line in text.rstrip().splitlines():
        if line.startswith("```"):
            fenced = not fenced
            out.append(line.rstrip())
            continue
        joins = (
            not fenced and out and out[-1].strip() and line.strip() and not line[:1].isspace()
            and not line.startswith(_BLOCK_STARTS) and not out[-1].startswith(("#", "```"))
            and not out[-1][:1].isspace()
        )
        if joins:
            out[-1] = out[-1].rstrip() + " " + line.strip()
        else:
            out.append(line.rstrip())
    return "\n".join(out)


def _answer(inst: Instance) -> str:
    if inst.kind == "numeric":
        unit = f" {inst.unit}" if inst.unit and inst.unit != "none" else ""
        text = f"Answer: {inst.expected_text()}{unit}"
        if inst.explanation.strip():
            text += "\n\n" + reflow(inst.explanation)
        return text
    if inst.kind == "choice":
        letter = inst.expected_text()
        right = inst.choices["ABCDEF".index(letter)].rstrip()
        lines = [f"Answer: {letter}. {right}"]
        for i, why in enumerate(inst.whys):
            if why and "ABCDEF"[i] != letter:
                lines.append(f"Not {'ABCDEF'[i]}: {why}")
        if inst.explanation.strip():
            lines += ["", reflow(inst.explanation)]
        return "\n".join(lines)
    points = "\n".join(f"- {' '.join(point.split())}" for point in inst.key_points)
    return f"{reflow(str(inst.expected))}\n\nKey points:\n{points}"


def _front(inst: Instance) -> str:
    text = reflow(inst.prompt)
    if inst.choices:
        text += "\n\n" + "\n".join(f"{letter}. {choice.rstrip()}"
                                   for letter, choice in zip("ABCDEF", inst.choices,
                                                             strict=False))
    return text


def question_notes(question: Question, variants: int) -> list[Note]:
    """The notes of one question: ``variants`` draws of a numeric one, else one.

    Raises:
        BankError: a draw fails (a bank bug ``xent bank check`` finds).
    """
    count = variants if question.kind == "numeric" and question.params else 1
    notes = []
    for variant in range(1, count + 1):
        inst = question.instantiate(variant_seed(question.id, variant))
        source = question.id if count == 1 else f"{question.id} (variant {variant})"
        notes.append(Note(("question", question.id, str(variant)), question.topic,
                          question.level, question.kind, _front(inst), _answer(inst),
                          source))
    return notes


def card_note(card: Card) -> Note:
    """A concept card as a note: its title and summary in front, the card behind.

    Raises:
        QuizError: a placeholder of the card does not evaluate.
    """
    return Note(("card", card.topic), card.topic, None, "card",
                f"{card.title}\n\n{card.summary}", reflow(card.render().strip()),
                f"card {card.topic}")


def collect_notes(bank: Bank, cards: Iterable[Card], *, topics: Iterable[str] = (),
                  variants: int = 3) -> list[Note]:
    """Every note of the wanted topics (all when none), question notes first."""
    wanted = set(topics)
    notes: list[Note] = []
    for question in bank.questions:
        if not wanted or question.topic in wanted:
            notes += question_notes(question, variants)
    notes += [card_note(c) for c in cards if not wanted or c.topic in wanted]
    return notes

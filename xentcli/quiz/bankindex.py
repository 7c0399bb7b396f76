"""The index of a bank file read cleanly before, and the questions built from it
when first needed.

A quiz chooses among every question of every topic by id, topic, kind and
level, then draws a handful. Decoding and reading all 26 shipped files for that
was most of its start-up, so a file that was read without a problem also gets a
small index in the bank cache (:mod:`xentcli.quiz.bankcache`, keyed by the
file's content like its data): its topic, title and summary, and for each
question what choosing needs (:data:`META`). A :class:`DeferredQuestion` holds
just that; anything else of it (its prompt, formulas, params, ...) reads the
whole file, with every check a read makes, the first time it is asked for.

An index is plain data checked field by field as it is read; one that is not
sound is ignored (the file is then read in full). A forged one can show a
topic under another title or offer its questions under other filters, as an
edited bank file could; before any of its questions is drawn the file is read
and checked in full, and it must agree with its index, or that is a one-line
problem.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Any

from xentcli.errors import BankError
from xentcli.quiz.question import KINDS, LEVELS, Question

__all__ = ["META", "DeferredQuestion", "IndexedTopic", "decode_index", "encode_index"]

#: What an index holds of each question: what choosing questions needs.
META = ("id", "topic", "kind", "file", "line", "level", "par_seconds", "tags")
_ID = re.compile(r"[a-z0-9-]+")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class IndexedQuestion:
    """One question as its file's index holds it."""

    id: str
    id_line: int  # the line of its `id:` (where a later duplicate points)
    line: int
    kind: str
    level: int
    par_seconds: int
    tags: tuple[str, ...]


@dataclass(frozen=True)
class IndexedTopic:
    """A bank file's index: its topic and what choosing needs of each question."""

    topic: str
    title: str
    summary: str
    questions: tuple[IndexedQuestion, ...]


def encode_index(topic: str, title: str, summary: str,
                 questions: Sequence[tuple[Question, int]]) -> dict[str, Any]:
    """The JSON form of a file's index (``questions``: each with its id's line)."""
    return {"topic": topic, "title": title, "summary": summary, "questions": [
        [q.id, id_line, q.line, q.kind, q.level, q.par_seconds, list(q.tags)]
        for q, id_line in questions]}


def _text(value: Any) -> bool:
    return type(value) is str and not _CONTROL.search(value)


def _count(value: Any, least: int) -> bool:
    return type(value) is int and value >= least


def decode_index(data: Any) -> IndexedTopic | None:
    """The index in ``data``, or None when it is not exactly what
    :func:`encode_index` writes."""
    if not (type(data) is dict and data.keys() == {"topic", "title", "summary", "questions"}
            and _text(data["topic"]) and _ID.fullmatch(data["topic"])
            and _text(data["title"]) and _text(data["summary"])
            and type(data["questions"]) is list):
        return None
    questions = []
    for entry in data["questions"]:
        if not (type(entry) is list and len(entry) == 7):
            return None
        qid, id_line, line, kind, level, par_seconds, tags = entry
        if not (_text(qid) and _ID.fullmatch(qid) and _count(id_line, 0) and _count(line, 0)
                and kind in KINDS and type(level) is int and level in LEVELS
                and _count(par_seconds, 1)
                and type(tags) is list and all(_text(tag) for tag in tags)):
            return None
        questions.append(IndexedQuestion(qid, id_line, line, kind, level, par_seconds,
                                         tuple(tags)))
    return IndexedTopic(data["topic"], data["title"], data["summary"], tuple(questions))


class DeferredQuestion(Question):
    """A question known by its index, built in full the first time more is needed.

    The fields of :data:`META` are its own; every other field reads the built
    question (``build(id)``, which reads and checks the whole file). It equals
    the question it stands for.

    Raises (on first use of another field):
        BankError: the question cannot be built, or does not match its index.
    """

    _build: Callable[[str], Question]
    _built: Question | None

    def __init__(self, meta: IndexedQuestion, topic: str, file: str,
                 build: Callable[[str], Question]) -> None:
        values = {"id": meta.id, "topic": topic, "kind": meta.kind, "file": file,
                  "line": meta.line, "level": meta.level, "par_seconds": meta.par_seconds,
                  "tags": meta.tags}
        for name in META:
            object.__setattr__(self, name, values[name])
        object.__setattr__(self, "_build", build)
        object.__setattr__(self, "_built", None)

    def full(self) -> Question:
        """The question built in full (once)."""
        if self._built is None:
            built = self._build(self.id)
            for name in META:
                if getattr(built, name) != getattr(self, name):
                    raise BankError(f"{self.file}:{self.line}: question '{self.id}': the bank "
                                    f"cache does not match the file ({name}); 'xent bank "
                                    f"check' reads the file again and mends it")
            object.__setattr__(self, "_built", built)
            return built
        return self._built

    def __eq__(self, other: object) -> bool:
        if other is self:
            return True
        if not isinstance(other, Question):
            return NotImplemented
        # Questions that differ in what the index holds differ: no need to build them
        # (list.remove and `in` compare a question with every one before it).
        if any(getattr(self, name) != getattr(other, name) for name in META):
            return False
        if isinstance(other, DeferredQuestion):
            other = other.full()
        return self.full() == other

    def __hash__(self) -> int:
        return hash(self.full())

    def __repr__(self) -> str:
        return repr(self.full())


def _reads_built(name: str) -> property:
    return property(lambda self: getattr(self.full(), name),
                    doc=f"The built question's {name}.")


# Every field but the indexed ones reads the built question. (A field with a
# default is a class attribute of Question: without these it would be found
# there, unbuilt, instead of asking for the question.)
for _field in fields(Question):
    if _field.name not in META:
        setattr(DeferredQuestion, _field.name, _reads_built(_field.name))

"""What a quiz session hands to the progress layer, and what it asks of it.

The session depends only on these two small protocols; the SQLite store and the
spaced-repetition planner implement them, and ``--no-save`` uses the null ones.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class AnswerRecord:
    """One answered (or skipped) question, as it is saved."""

    question_id: str
    topic: str
    kind: str  # "numeric" | "choice" | "open"
    seed: int | None  # the instance seed that drew the question's parameters
    params: Mapping[str, Any]  # the drawn parameters, JSON-serialisable
    given: str | None  # what the user typed; None when skipped
    expected: str  # the expected answer as text (a number, a letter, "self-graded")
    correct: bool
    skipped: bool = False
    seconds: float = 0.0  # time taken to answer
    answered_at: datetime = field(default_factory=utc_now)
    hints: int = 0  # hints shown before the answer
    diagnosis: str | None = None  # the mistake or unit problem recognised in a wrong answer


class Recorder(Protocol):
    """Receives each answer as soon as it is given (so Ctrl-C loses nothing)."""

    def record(self, rec: AnswerRecord) -> None: ...


class Planner(Protocol):
    """Chooses which questions a session asks, in order."""

    def plan(
        self,
        question_ids: Sequence[str],
        topics: Mapping[str, str],
        count: int,
        review: bool,
        rng: random.Random,
    ) -> list[str]: ...


class NullRecorder:
    """Saves nothing (``--no-save``)."""

    def record(self, rec: AnswerRecord) -> None:
        return None


# ------------------------------------------------------------- mock interviews


@dataclass(frozen=True)
class InterviewRecord:
    """A mock interview's result as it is saved (again after each answer)."""

    started_at: datetime
    minutes: float  # the length asked for
    seed: int | None
    planned: int  # questions in the script
    asked: int
    correct: int
    timed_out: int
    readiness: float  # 0..1, see xentcli.quiz.interview
    finished: bool
    report: Mapping[str, Any]  # the --json report (per question and per topic)


class InterviewRecorder(Recorder, Protocol):
    """Receives each answer like a quiz's, and the interview's report as it grows."""

    def save(self, interview: InterviewRecord) -> None: ...


class NullInterviewRecorder(NullRecorder):
    """Saves no interview (``--no-save``)."""

    def save(self, interview: InterviewRecord) -> None:
        return None

"""A quiz session without any input or output: choose, grade, record, report.

The CLI asks the questions and reads the answers; this module decides which
questions come in which order (through a :class:`~xentcli.quiz.records.Planner`),
grades each answer, hands it to a :class:`~xentcli.quiz.records.Recorder` at
once (so an interrupted session keeps what was answered) and builds the report.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from xentcli.errors import QuizError
from xentcli.quiz.bank import Bank, Instance
from xentcli.quiz.grading import Grade, grade_choice, grade_numeric
from xentcli.quiz.records import AnswerRecord, Planner, Recorder

__all__ = [
    "Outcome",
    "RandomPlanner",
    "Report",
    "Session",
    "TopicScore",
    "is_quit",
    "is_skip",
    "select_questions",
]

_SKIP = frozenset({"", "skip"})
_QUIT = frozenset({"quit", "exit"})


def is_skip(text: str) -> bool:
    """An empty line or ``skip`` skips the question."""
    return text.strip().lower() in _SKIP


def is_quit(text: str) -> bool:
    """``quit`` (or ``exit``) ends the session early."""
    return text.strip().lower() in _QUIT


class RandomPlanner:
    """The planner used when nothing is saved: random, spread over topics.

    Topics take turns (in a random order), each giving a random question of
    its own, so a short session touches as many topics as it can.
    """

    def plan(
        self,
        question_ids: Sequence[str],
        topics: Mapping[str, str],
        count: int,
        review: bool,
        rng: random.Random,
    ) -> list[str]:
        by_topic: dict[str, list[str]] = {}
        for qid in question_ids:
            by_topic.setdefault(topics[qid], []).append(qid)
        queues = list(by_topic.values())
        rng.shuffle(queues)
        for queue in queues:
            rng.shuffle(queue)
        chosen: list[str] = []
        while len(chosen) < count and any(queues):
            for queue in queues:
                if queue and len(chosen) < count:
                    chosen.append(queue.pop())
        return chosen


def _topic_id(bank: Bank, topic: str) -> str:
    """The bank's id for a topic typed by the user, in any case.

    Raises:
        QuizError: no such topic; the message suggests a close one.
    """
    from xentcli.quiz.cards import closest_topic

    by_lower = {known.lower(): known for known in bank.topics}
    if topic.strip().lower() in by_lower:
        return by_lower[topic.strip().lower()]
    close = closest_topic(topic, list(bank.topics))
    if len(bank.topics) <= 6:
        raise QuizError(f"unknown topic '{topic}' (topics: {', '.join(bank.topics) or 'none'})")
    hint = f" Did you mean '{close}'?" if close else ""
    raise QuizError(f"unknown topic '{topic}'.{hint} 'xent bank list' lists the topics.")


def select_questions(
    bank: Bank,
    *,
    count: int,
    topics: Iterable[str] = (),
    kinds: Iterable[str] = (),
    seed: int | None = None,
    planner: Planner | None = None,
    review: bool = False,
) -> list[Instance]:
    """Choose and draw the questions of a session.

    The same bank, filters and ``seed`` give the same questions with the same
    numbers; ``seed=None`` gives a fresh random session.

    Raises:
        QuizError: an unknown topic, or no question left after the filters.
        BankError: a question fails to draw (a bank bug ``xent bank check`` finds).
    """
    wanted_topics = list(dict.fromkeys(_topic_id(bank, topic) for topic in topics))
    wanted_kinds = set(kinds)
    pool = [
        q for q in bank.questions
        if (not wanted_topics or q.topic in wanted_topics)
        and (not wanted_kinds or q.kind in wanted_kinds)
    ]
    if not pool:
        what = []
        if wanted_topics:
            what.append("topic " + ", ".join(wanted_topics))
        if wanted_kinds:
            what.append("kind " + ", ".join(sorted(wanted_kinds)))
        raise QuizError("no questions" + (f" for {' and '.join(what)}" if what else " loaded"))
    rng = random.Random(seed) if seed is not None else random.Random()
    by_id = {q.id: q for q in pool}
    plan = (planner or RandomPlanner()).plan(
        [q.id for q in pool], {q.id: q.topic for q in pool}, min(count, len(pool)), review, rng
    )
    chosen = [by_id[qid] for qid in dict.fromkeys(plan) if qid in by_id]
    return [q.instantiate(rng.randrange(2**31)) for q in chosen]


@dataclass(frozen=True)
class Outcome:
    """What happened to one asked question."""

    instance: Instance
    given: str | None  # None when skipped, unless an open answer was typed before
    correct: bool
    skipped: bool = False
    value: float | None = None  # numeric answers: what the text evaluated to
    letter: str | None = None  # choice answers: the letter chosen
    seconds: float = 0.0


@dataclass(frozen=True)
class TopicScore:
    topic: str
    asked: int
    correct: int
    skipped: int


@dataclass(frozen=True)
class Report:
    """The result of a session (possibly ended early)."""

    outcomes: tuple[Outcome, ...]
    finished: bool  # False when ended by quit, end of input or Ctrl-C before the end
    planned: int

    @property
    def score(self) -> int:
        return sum(o.correct for o in self.outcomes)

    @property
    def total(self) -> int:
        return len(self.outcomes)

    def by_topic(self) -> list[TopicScore]:
        """Per topic, in the order topics were first asked."""
        rows: dict[str, list[int]] = {}
        for o in self.outcomes:
            row = rows.setdefault(o.instance.topic, [0, 0, 0])
            row[0] += 1
            row[1] += o.correct
            row[2] += o.skipped
        return [TopicScore(t, *r) for t, r in rows.items()]

    def weakest_topic(self) -> str | None:
        """The topic with the lowest share of right answers (first one on a tie)."""
        rows = self.by_topic()
        if not rows:
            return None
        return min(rows, key=lambda r: r.correct / r.asked).topic

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` report: score, total and each question (strict JSON: finite numbers)."""
        return {
            "score": self.score,
            "total": self.total,
            "questions": [
                {
                    "id": o.instance.id,
                    "topic": o.instance.topic,
                    "kind": o.instance.kind,
                    "prompt": o.instance.prompt,
                    "given": o.given,
                    "expected": o.instance.expected,
                    "correct": o.correct,
                }
                for o in self.outcomes
            ],
        }


@dataclass
class Session:
    """Grades and records answers to drawn questions, in the order asked.

    Call :meth:`start` when a question is shown (for the time taken), then one
    of :meth:`answer`, :meth:`self_grade`, :meth:`mark_wrong` or :meth:`skip`.
    Each of those records the answer immediately.
    """

    instances: list[Instance]
    recorder: Recorder
    clock: Callable[[], float] = time.monotonic
    outcomes: list[Outcome] = field(default_factory=list)
    _started: float | None = field(default=None, init=False, repr=False)

    def start(self) -> None:
        self._started = self.clock()

    def _elapsed(self) -> float:
        return 0.0 if self._started is None else max(0.0, self.clock() - self._started)

    def _finish(self, outcome: Outcome) -> Outcome:
        inst = outcome.instance
        expected = (
            repr(inst.expected) if isinstance(inst.expected, float) else inst.expected_text()
        )
        self.recorder.record(
            AnswerRecord(
                question_id=inst.id,
                topic=inst.topic,
                kind=inst.kind,
                seed=inst.seed,
                params=inst.params,
                given=outcome.given,
                expected=expected,
                correct=outcome.correct,
                skipped=outcome.skipped,
                seconds=outcome.seconds,
            )
        )
        self.outcomes.append(outcome)
        self._started = None
        return outcome

    def answer(self, instance: Instance, given: str) -> Outcome:
        """Grade a numeric or choice answer and record it.

        Raises:
            ExpressionError: a numeric answer that cannot be read.
            QuizError: a choice answer that names no shown choice.
            Nothing is recorded in either case, so the user can try again.
        """
        grade: Grade
        if instance.kind == "numeric":
            assert isinstance(instance.expected, float)
            grade = grade_numeric(given, instance.expected, instance.rtol, instance.atol)
        elif instance.kind == "choice":
            assert isinstance(instance.expected, str)
            grade = grade_choice(given, instance.expected, len(instance.choices))
        else:
            raise QuizError("open questions are self-graded")
        return self._finish(
            Outcome(instance, given.strip(), grade.correct, value=grade.value,
                    letter=grade.letter, seconds=self._elapsed())
        )

    def self_grade(self, instance: Instance, given: str, correct: bool) -> Outcome:
        """Record an open answer with the user's own verdict."""
        return self._finish(Outcome(instance, given.strip(), correct, seconds=self._elapsed()))

    def mark_wrong(self, instance: Instance, given: str) -> Outcome:
        """Record an answer that could not be read as wrong (line mode cannot re-ask)."""
        return self._finish(Outcome(instance, given.strip(), False, seconds=self._elapsed()))

    def skip(self, instance: Instance, given: str | None = None) -> Outcome:
        """Record a skipped question (it counts in the total, not in the score).

        ``given`` keeps an open question's answer when the self-grade was skipped.
        """
        return self._finish(
            Outcome(instance, given, False, skipped=True, seconds=self._elapsed())
        )

    def report(self) -> Report:
        return Report(
            tuple(self.outcomes),
            finished=len(self.outcomes) == len(self.instances),
            planned=len(self.instances),
        )

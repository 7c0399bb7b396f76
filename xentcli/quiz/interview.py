"""A timed mock interview: the script and the clocks.

Builds on :mod:`xentcli.quiz.session`: an :class:`InterviewSession` is a
:class:`~xentcli.quiz.session.Session` that also knows each question's level,
par and time limit, and the interview's own deadline. Nothing here prints or
reads the terminal; the clock is injected, so tests run on a fake one.

The rules, as the README states them:

- **Script.** Warm-up (level 1), core (level 2), then stretch (level 3)
  questions, in that order. A quarter of the minutes goes to warm-up, half
  to core, a quarter to stretch (counted in par seconds); within a level the
  questions take turns over kinds and topics, and each level with questions
  gets at least one, however short the interview.
- **Par and limit.** A question's par is its ``par_seconds`` (or a default by
  kind and level); its time limit is twice its par, and never past the end
  of the interview. An answer after the limit is not graded: the question
  counts as timed out (not answered), its solution shown.
- **Readiness**: :mod:`xentcli.quiz.readiness` (its names are re-exported here).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from xentcli.errors import QuizError, StoreError
from xentcli.quiz.bank import Bank, Instance, Question
from xentcli.quiz.readiness import Asked, InterviewReport, TopicReadiness, verdict
from xentcli.quiz.records import InterviewRecord, InterviewRecorder, utc_now
from xentcli.quiz.session import Outcome, Script, Session, _topic_id

__all__ = [
    "DEFAULT_MINUTES",
    "LEVEL_NAMES",
    "LIMIT_FACTOR",
    "Asked",
    "InterviewReport",
    "InterviewSession",
    "Script",
    "TopicReadiness",
    "build_script",
    "par_seconds",
    "question_level",
    "TimeUp",
    "redraw",
    "time_text",
    "verdict",
]

DEFAULT_MINUTES = 20
LEVEL_NAMES = {1: "warm-up", 2: "core", 3: "stretch"}
#: A question's time limit, in pars.
LIMIT_FACTOR = 2
#: The share of the interview's minutes given to each level.
_SHARES = {1: 0.25, 2: 0.5, 3: 0.25}


def question_level(question: Question) -> int:
    """The question's level: 1 recall, 2 apply, 3 interview (the bank's, else 2)."""
    return question.level


def par_seconds(question: Question) -> int:
    """How long a prepared candidate needs: the bank's ``par_seconds`` or the default
    for its kind and level (:func:`xentcli.quiz.question.default_par_seconds`)."""
    return question.par_seconds


def _take_turns(questions: list[Question], rng: random.Random) -> list[Question]:
    """A random order in which kinds and topics take turns."""
    left = list(questions)
    rng.shuffle(left)
    used_kind: dict[str, int] = {}
    used_topic: dict[str, int] = {}
    ordered: list[Question] = []
    while left:
        best = min(left, key=lambda q: (used_topic.get(q.topic, 0), used_kind.get(q.kind, 0)))
        left.remove(best)
        ordered.append(best)
        used_kind[best.kind] = used_kind.get(best.kind, 0) + 1
        used_topic[best.topic] = used_topic.get(best.topic, 0) + 1
    return ordered


def build_script(
    bank: Bank,
    *,
    minutes: float = DEFAULT_MINUTES,
    topics: Iterable[str] = (),
    levels: Iterable[int] = (),
    seed: int | None = None,
) -> Script:
    """The interview's questions, warm-up first, drawn for ``seed`` (each when
    first asked for, see :class:`Script`).

    Raises:
        QuizError: an unknown topic, or no question left after the filters.
    """
    wanted_topics = list(dict.fromkeys(_topic_id(bank, t) for t in topics))
    wanted_levels = sorted(set(levels)) or sorted(LEVEL_NAMES)
    pool = [q for q in bank.questions
            if (not wanted_topics or q.topic in wanted_topics)
            and question_level(q) in wanted_levels]
    if not pool:
        what = " and ".join(
            ([f"topic {', '.join(wanted_topics)}"] if wanted_topics else [])
            + ([f"level {', '.join(map(str, wanted_levels))}"] if levels else [])
        )
        raise QuizError("no questions" + (f" for {what}" if what else " loaded"))
    rng = random.Random(seed) if seed is not None else random.Random()
    budget = minutes * 60
    share = sum(_SHARES[level] for level in wanted_levels)
    chosen: list[Question] = []
    for level in wanted_levels:
        at_level = _take_turns([q for q in pool if question_level(q) == level], rng)
        allowance = budget * _SHARES[level] / share
        spent = 0
        for question in at_level:
            par = par_seconds(question)
            if spent + par > allowance and spent:
                continue  # a shorter one may still fit
            chosen.append(question)
            spent += par
    return Script([(q, rng.randrange(2**31)) for q in chosen])


def redraw(instances: Sequence[Instance], seed: int | None = None) -> list[Instance]:
    """The same questions with new numbers (for a retry of the missed ones)."""
    rng = random.Random(seed) if seed is not None else random.Random()
    fresh = []
    for inst in instances:
        new = inst.seed
        while new == inst.seed:
            new = rng.randrange(2**31)
        fresh.append(inst.question.instantiate(new))
    return fresh


# ------------------------------------------------------------------ the session


class TimeUp(Exception):  # noqa: N818 - a signal, not a failure
    """Raised by the terminal's timer when a question's time runs out."""


@dataclass
class InterviewSession(Session):
    """A quiz session with a clock per question and one for the whole interview.

    Call :meth:`start` when a question is shown; then, as with a session, one
    of the recording methods. An answer given after the question's deadline is
    recorded as timed out instead of graded (:meth:`Session.answer` and the
    others check it), and :meth:`time_out` records it when a timer fires.
    """

    minutes: float = DEFAULT_MINUTES
    seed: int | None = None
    interview_recorder: InterviewRecorder | None = None
    limit_override: float | None = None  # seconds: one limit for every question
    wall_clock: Callable[[], datetime] = utc_now
    asked: list[Asked] = field(default_factory=list)
    retrying: bool = False
    retried: list[Asked] = field(default_factory=list)
    _began: float | None = field(default=None, init=False, repr=False)
    _began_at: datetime | None = field(default=None, init=False, repr=False)
    _stopped: float | None = field(default=None, init=False, repr=False)
    _ended: float | None = field(default=None, init=False, repr=False)
    _planned: int = field(default=0, init=False, repr=False)
    _timing_out: bool = field(default=False, init=False, repr=False)

    # ---- clocks

    def begin(self) -> None:
        """Start the interview's clock (the first :meth:`start` does it too)."""
        if self._began is None:
            self._began = self.clock()
            self._began_at = self.wall_clock()

    def start(self) -> None:
        self.begin()
        self._stopped = None
        super().start()

    def stop_clock(self) -> None:
        """Stop the question's clock (an open answer is in; the self-grade is not timed)."""
        self._stopped = self.clock()

    def _now(self) -> float:
        return self._stopped if self._stopped is not None else self.clock()

    def _elapsed(self) -> float:
        return 0.0 if self._started is None else max(0.0, self._now() - self._started)

    def elapsed(self) -> float:
        """Seconds on the current question."""
        return self._elapsed()

    def interview_elapsed(self) -> float:
        if self._began is None:
            return 0.0
        return max(0.0, (self._ended if self._ended is not None else self.clock()) - self._began)

    def interview_left(self) -> float:
        """Seconds left in the interview (never negative); a retry has no overall clock."""
        return max(0.0, self.minutes * 60 - self.interview_elapsed())

    def out_of_time(self) -> bool:
        return not self.retrying and self._began is not None and self.interview_left() <= 0

    def limit(self, instance: Instance) -> float:
        """The question's time limit in seconds: twice its par, or the override."""
        if self.limit_override is not None:
            return self.limit_override
        return float(LIMIT_FACTOR * par_seconds(instance.question))

    def _left(self, instance: Instance) -> float:
        left = self.limit(instance) - self._elapsed()
        if not self.retrying and self._began is not None:
            # As of the answer (an open question's self-grade is not timed).
            left = min(left, self.minutes * 60 - (self._now() - self._began))
        return left

    def question_left(self, instance: Instance) -> float:
        """Seconds left for the current question, the interview's end included."""
        return max(0.0, self._left(instance))

    def is_late(self, instance: Instance) -> bool:
        """Past the question's time (an answer at the very limit is still in time)."""
        return self._left(instance) < 0

    # ---- recording

    def answer(self, instance: Instance, given: str) -> Outcome:
        if self.is_late(instance):
            return self.time_out(instance, given)
        return super().answer(instance, given)

    def self_grade(self, instance: Instance, given: str, correct: bool) -> Outcome:
        if self.is_late(instance):
            return self.time_out(instance, given)
        return super().self_grade(instance, given, correct)

    def mark_wrong(self, instance: Instance, given: str, diagnosis: str | None = None) -> Outcome:
        if self.is_late(instance):
            return self.time_out(instance, given)
        return super().mark_wrong(instance, given, diagnosis)

    def skip(self, instance: Instance, given: str | None = None) -> Outcome:
        if self.is_late(instance):
            return self.time_out(instance, given)
        return super().skip(instance, given)

    def time_out(self, instance: Instance, given: str | None = None) -> Outcome:
        """Record the question as timed out: not graded, not answered."""
        self._timing_out = True
        try:
            return super().skip(instance, given.strip() if given else None)
        finally:
            self._timing_out = False

    def _finish(self, outcome: Outcome) -> Outcome:
        timed_out = self._timing_out
        inst = outcome.instance
        asked = Asked(outcome, question_level(inst.question), par_seconds(inst.question),
                      self.limit(inst), timed_out)
        result = super()._finish(outcome)
        (self.retried if self.retrying else self.asked).append(asked)
        self._stopped = None
        self.save()
        return result

    def last(self) -> Asked | None:
        """The latest recorded question (of the retry, during the retry)."""
        items = self.retried if self.retrying else self.asked
        return items[-1] if items else None

    def end(self) -> None:
        """Stop the interview's clock (before a retry or the report)."""
        if self._ended is None and self._began is not None:
            self._ended = self.clock()

    def start_retry(self, instances: Sequence[Instance]) -> None:
        """Ask these again: answers go to :attr:`retried`, without the interview's clock."""
        self.end()
        self._planned = len(self.instances)
        self.retrying = True
        self.instances = list(instances)

    def interview_report(self) -> InterviewReport:
        """The interview so far (and its retry, once one started)."""
        planned = self._planned if self.retrying else len(self.instances)
        finished = len(self.asked) == planned
        return InterviewReport(
            tuple(self.asked),
            planned=planned,
            finished=finished,
            out_of_time=not finished and self._began is not None
            and self.minutes * 60 - self.interview_elapsed() <= 0,
            minutes=self.minutes,
            seconds=self.interview_elapsed(),
            retry=tuple(self.retried) if self.retrying else None,
        )

    def save(self) -> None:
        """Write the interview's report so far (after every answer)."""
        if (self.interview_recorder is None or not (self.asked or self.retried)
                or self.unsaved is not None):
            return
        report = self.interview_report()
        try:
            self._save_report(report)
        except StoreError as exc:  # a full disk: like the answers, warn and go on
            self.unsaved = str(exc)

    def _save_report(self, report: InterviewReport) -> None:
        assert self.interview_recorder is not None
        self.interview_recorder.save(InterviewRecord(
            started_at=self._began_at or self.wall_clock(),
            minutes=self.minutes,
            seed=self.seed,
            planned=report.planned,
            asked=len(report.asked),
            correct=report.correct,
            timed_out=report.timed_out,
            readiness=report.readiness,
            finished=report.finished,
            report=report.to_json(),
        ))


def time_text(seconds: float) -> str:
    """``m:ss``, rounded down to the second.

    >>> time_text(0), time_text(59.9), time_text(125)
    ('0:00', '0:59', '2:05')
    """
    whole = max(0, int(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


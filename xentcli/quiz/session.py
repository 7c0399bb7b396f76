"""A quiz session without any input or output: choose, grade, record, report.

The CLI asks the questions and reads the answers; this module decides which
questions come in which order (through a :class:`~xentcli.quiz.records.Planner`),
grades each answer, hands it to a :class:`~xentcli.quiz.records.Recorder` at
once (so an interrupted session keeps what was answered) and builds the report.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

from xentcli.errors import QuizError, StoreError
from xentcli.quiz.bank import LETTERS, Bank, Instance, Question
from xentcli.quiz.grading import Grade, grade_choice, grade_numeric
from xentcli.quiz.records import AnswerRecord, Planner, Recorder

__all__ = [
    "Outcome",
    "RandomPlanner",
    "Report",
    "Script",
    "Session",
    "TopicScore",
    "outcome_json",
    "replay_questions",
    "is_hint",
    "is_quit",
    "is_skip",
    "select_questions",
]

_SKIP = frozenset({"", "skip"})
_QUIT = frozenset({"quit", "exit"})
_HINT = frozenset({"hint", "?"})


def is_hint(text: str) -> bool:
    """``hint`` (or ``?``) asks for the next hint of the question."""
    return text.strip().lower() in _HINT


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
    levels: Iterable[int] = (),
    question_ids: Sequence[str] = (),
) -> Script:
    """Choose and draw the questions of a session (each when first asked for,
    see :class:`Script`).

    The same bank, filters and ``seed`` give the same questions with the same
    numbers; ``seed=None`` gives a fresh random session. ``question_ids`` asks
    exactly those questions in that order (see :func:`replay_questions`); the
    other filters and ``count`` do not apply then.

    Raises:
        QuizError: an unknown topic or question id, or no question left after
            the filters.
    """
    if question_ids:
        return replay_questions(bank, question_ids, seed)
    wanted_topics = list(dict.fromkeys(_topic_id(bank, topic) for topic in topics))
    wanted_kinds = set(kinds)
    wanted_levels = set(levels)
    pool = [
        q for q in bank.questions
        if (not wanted_topics or q.topic in wanted_topics)
        and (not wanted_kinds or q.kind in wanted_kinds)
        and (not wanted_levels or q.level in wanted_levels)
    ]
    if not pool:
        what = []
        if wanted_topics:
            what.append("topic " + ", ".join(wanted_topics))
        if wanted_kinds:
            what.append("kind " + ", ".join(sorted(wanted_kinds)))
        if wanted_levels:
            what.append("level " + ", ".join(str(n) for n in sorted(wanted_levels)))
        raise QuizError("no questions" + (f" for {' and '.join(what)}" if what else " loaded"))
    rng = random.Random(seed) if seed is not None else random.Random()
    by_id = {q.id: q for q in pool}
    plan = (planner or RandomPlanner()).plan(
        [q.id for q in pool], {q.id: q.topic for q in pool}, min(count, len(pool)), review, rng
    )
    chosen = [by_id[qid] for qid in dict.fromkeys(plan) if qid in by_id]
    return Script([(q, rng.randrange(2**31)) for q in chosen])


def replay_questions(bank: Bank, question_ids: Sequence[str], seed: int | None) -> Script:
    """Exactly these questions, in this order.

    With a ``seed`` each is drawn with that instance seed (the ``seed`` of a
    question in ``--json``), so one id and its seed ask that very draw again;
    an id given twice is drawn with ``seed + 1`` the second time, and so on.

    Raises:
        QuizError: an id that no loaded question has; the message suggests a
            close one.
    """
    by_id = {q.id: q for q in bank.questions}
    for qid in question_ids:
        if qid not in by_id:
            import difflib

            close = difflib.get_close_matches(qid, list(by_id), n=1, cutoff=0.6)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise QuizError(f"unknown question '{qid}'.{hint} 'xent bank list --json' lists "
                            f"the ids.")
    rng = random.Random()
    seen: dict[str, int] = {}
    chosen: list[tuple[Question, int]] = []
    for qid in question_ids:
        repeat = seen.get(qid, 0)
        seen[qid] = repeat + 1
        draw = seed + repeat if seed is not None else rng.randrange(2**31)
        chosen.append((by_id[qid], draw))
    return Script(chosen)


class Script(Sequence[Instance]):
    """The questions of a quiz or an interview, each drawn for its seed when first
    asked for.

    Drawing them all before the first is shown cost a third of an interview's
    start (and a quiz whose first question is a choice need not load the numeric
    core before it is shown); one draw takes a few milliseconds, unnoticed
    between two questions. The numbers are the same either way: the seeds are
    chosen up front.

    Raises (on access):
        BankError: the question fails to draw.
    """

    def __init__(self, picks: Sequence[tuple[Question, int]]) -> None:
        self._picks = list(picks)
        self._drawn: dict[int, Instance] = {}

    def __len__(self) -> int:
        return len(self._picks)

    @overload
    def __getitem__(self, index: int) -> Instance: ...

    @overload
    def __getitem__(self, index: slice) -> list[Instance]: ...

    def __getitem__(self, index: int | slice) -> Instance | list[Instance]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("the script has no such question")
        if index not in self._drawn:
            question, seed = self._picks[index]
            self._drawn[index] = question.instantiate(seed)
        return self._drawn[index]

    def __iter__(self) -> Iterator[Instance]:
        # Not Sequence's: it would take an IndexError from a draw for the end.
        for index in range(len(self)):
            yield self[index]

    def __repr__(self) -> str:
        return f"Script({[(q.id, seed) for q, seed in self._picks]!r})"


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
    diagnosis: str | None = None  # the mistake or unit problem recognised, in a line
    mistake: str | None = None  # the id of the declared mistake the answer matched
    hints: int = 0  # hints shown before the answer


def outcome_json(o: Outcome) -> dict[str, Any]:
    """One question of the ``--json`` report (strict JSON: finite numbers only).

    The keys of the contract: id, topic, kind, prompt, given, expected, correct,
    level, params, diagnosis, hints, seconds; numeric questions add tolerance
    and each declared mistake's value for this draw. ``seed`` and ``skipped``
    make a question replayable (``xent quiz --question ID --seed SEED``).
    """
    inst = o.instance
    row: dict[str, Any] = {
        "id": inst.id,
        "topic": inst.topic,
        "kind": inst.kind,
        "level": inst.level,
        "seed": inst.seed,
        "prompt": inst.prompt,
        "params": dict(inst.params),
        "given": o.given,
        "expected": inst.expected,
        "correct": o.correct,
        "skipped": o.skipped,
        "diagnosis": o.diagnosis,
        "hints": o.hints,
        "seconds": round(o.seconds, 3),
    }
    if inst.kind == "numeric":
        assert isinstance(inst.expected, float)
        row["expected_text"] = inst.expected_text()
        row["unit"] = inst.unit or None
        row["tolerance"] = {"rtol": inst.rtol, "atol": inst.atol}
        row["mistakes"] = [{"id": m.id, "value": m.value, "message": m.message}
                           for m in inst.mistakes]
    return row


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
            "questions": [outcome_json(o) for o in self.outcomes],
        }


@dataclass
class Session:
    """Grades and records answers to drawn questions, in the order asked.

    Call :meth:`start` when a question is shown (for the time taken), then one
    of :meth:`answer`, :meth:`self_grade`, :meth:`mark_wrong` or :meth:`skip`.
    Each of those records the answer immediately.
    """

    instances: Sequence[Instance]
    recorder: Recorder
    clock: Callable[[], float] = time.monotonic
    outcomes: list[Outcome] = field(default_factory=list)
    _started: float | None = field(default=None, init=False, repr=False)
    _hints: int = field(default=0, init=False, repr=False)
    #: Why answers stopped being saved (a full disk, say), once saving failed:
    #: the session goes on, and its report keeps every answer.
    unsaved: str | None = field(default=None, init=False)

    def start(self) -> None:
        """A question is shown: its clock starts and no hint has been used yet."""
        self._started = self.clock()
        self._hints = 0

    def hint(self, instance: Instance) -> str | None:
        """The next hint of the question being asked (None when there is no more).

        Each hint shown is counted in the answer's record: a question answered
        right after a hint is not promoted in the review boxes.
        """
        if self._hints >= len(instance.hints):
            return None
        self._hints += 1
        return instance.hints[self._hints - 1]

    @property
    def hints_used(self) -> int:
        """Hints shown for the question being asked."""
        return self._hints

    def _elapsed(self) -> float:
        return 0.0 if self._started is None else max(0.0, self.clock() - self._started)

    def _finish(self, outcome: Outcome) -> Outcome:
        inst = outcome.instance
        expected = (
            repr(inst.expected) if isinstance(inst.expected, float) else inst.expected_text()
        )
        record = AnswerRecord(
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
            hints=outcome.hints,
            diagnosis=outcome.diagnosis,
        )
        if self.unsaved is None:
            try:
                self.recorder.record(record)
            except StoreError as exc:  # like a read-only folder: warn and go on
                self.unsaved = str(exc)
        self.outcomes.append(outcome)
        self._started = None
        self._hints = 0
        return outcome

    def answer(self, instance: Instance, given: str) -> Outcome:
        """Grade a numeric or choice answer and record it.

        A wrong numeric answer that matches a declared mistake (or a common slip:
        the sign, another log unit) carries its message as the diagnosis; a
        wrong choice carries the bank's reason why that option is wrong.

        Raises:
            ExpressionError: a numeric answer that cannot be read.
            UnitError: a numeric answer in another unit than the question's.
            QuizError: a choice answer that names no shown choice.
            Nothing is recorded in any case, so the user can try again (or
            :meth:`mark_wrong` records it, with the reason as the diagnosis).
        """
        grade: Grade
        if instance.kind == "numeric":
            assert isinstance(instance.expected, float)
            grade = grade_numeric(given, instance.expected, instance.rtol, instance.atol,
                                  unit=instance.unit, mistakes=instance.mistakes)
        elif instance.kind == "choice":
            assert isinstance(instance.expected, str)
            grade = grade_choice(given, instance.expected, len(instance.choices))
            if not grade.correct and grade.letter is not None and instance.whys:
                why = instance.whys[LETTERS.index(grade.letter)]
                grade = Grade(False, letter=grade.letter, diagnosis=why)
        else:
            raise QuizError("open questions are self-graded")
        return self._finish(
            Outcome(instance, given.strip(), grade.correct, value=grade.value,
                    letter=grade.letter, seconds=self._elapsed(), diagnosis=grade.diagnosis,
                    mistake=grade.mistake, hints=self._hints)
        )

    def self_grade(self, instance: Instance, given: str, correct: bool) -> Outcome:
        """Record an open answer with the user's own verdict."""
        return self._finish(Outcome(instance, given.strip(), correct, seconds=self._elapsed(),
                                    hints=self._hints))

    def mark_wrong(self, instance: Instance, given: str, diagnosis: str | None = None) -> Outcome:
        """Record an answer that could not be read, or is in another unit, as wrong
        (line mode cannot ask again); ``diagnosis`` says why."""
        return self._finish(Outcome(instance, given.strip(), False, seconds=self._elapsed(),
                                    diagnosis=diagnosis, hints=self._hints))

    def skip(self, instance: Instance, given: str | None = None) -> Outcome:
        """Record a skipped question (it counts in the total, not in the score).

        ``given`` keeps an open question's answer when the self-grade was skipped.
        """
        return self._finish(
            Outcome(instance, given, False, skipped=True, seconds=self._elapsed(),
                    hints=self._hints)
        )

    def report(self) -> Report:
        return Report(
            tuple(self.outcomes),
            finished=len(self.outcomes) == len(self.instances),
            planned=len(self.instances),
        )

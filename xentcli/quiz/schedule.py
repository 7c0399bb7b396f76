"""Spaced repetition: which questions are due, which are mastered, which to ask next.

Scheduling uses Leitner boxes. Every question (a template counts as one
question, whatever numbers it draws) sits in a box from 1 to 5; each box has a
waiting time before the question is due again::

    box        1     2       3       4       5 (mastered)
    due after  now   1 day   3 days  7 days  21 days

A right answer given when the question is due moves it up one box; a right
answer before then is practice and leaves it where it is (so cramming one
evening does not "master" anything); a wrong answer or a skip sends it back to
box 1, due at once. A right answer given after a hint is not promoted either:
it leaves the question in its box (a new one stays in box 1). The rule is
small enough to state in a help text, needs no fitted parameters, and gives the
same plan for the same history, seed and clock. Everything here is pure: the
history comes in as :class:`Review` rows and the time from an injectable clock.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Protocol

from xentcli.quiz.records import utc_now

__all__ = [
    "BOX_INTERVALS",
    "MASTERED_BOX",
    "CardState",
    "Leitner",
    "ProgressSummary",
    "Review",
    "Scheduler",
    "SpacedPlanner",
    "TopicProgress",
    "card_states",
    "summarize",
    "topic_accuracy",
]

#: How long a question waits in each box (box 1 first) before it is due again.
BOX_INTERVALS: tuple[timedelta, ...] = (
    timedelta(0),
    timedelta(days=1),
    timedelta(days=3),
    timedelta(days=7),
    timedelta(days=21),
)
MASTERED_BOX = len(BOX_INTERVALS)

#: A topic whose recent accuracy is below this is "weak" for ``--review``.
WEAK_TOPIC = 0.8
#: How many of a topic's latest answers its accuracy is measured on.
RECENT_ANSWERS = 20

# Without --review, questions are drawn at random with these weights (unseen,
# then box 1..5): the draw leans to what is new or shaky, and a mastered
# question still comes up now and then.
_UNSEEN_WEIGHT = 4.0
_BOX_WEIGHTS = (4.0, 2.0, 1.0, 0.5, 0.25)
# Each question drawn from a topic halves the weight of that topic's others,
# so a short session still spreads over topics.
_TOPIC_DAMPING = 0.5


@dataclass(frozen=True)
class Review:
    """One recorded answer, as far as scheduling cares."""

    question_id: str
    topic: str
    correct: bool
    answered_at: datetime  # timezone-aware
    skipped: bool = False
    hinted: bool = False  # a hint was shown before the answer


@dataclass(frozen=True)
class CardState:
    """Where one question stands after its answers so far."""

    box: int  # 1 .. MASTERED_BOX
    since: datetime  # when it entered its box: the waiting time counts from here
    due: datetime
    answers: int
    lapses: int  # wrong answers and skips
    last_answered: datetime


class Scheduler(Protocol):
    """The scheduling rule: the next state of a question after an answer."""

    def update(self, state: CardState | None, correct: bool, when: datetime,
               hinted: bool = False) -> CardState:
        """The state after answering (``state`` is None for a new question)."""

    def is_mastered(self, state: CardState) -> bool:
        """Whether the question counts as known."""


class Leitner:
    """Leitner boxes with the waiting times of :data:`BOX_INTERVALS`.

    >>> t0 = datetime(2024, 5, 1, 9, tzinfo=timezone.utc)
    >>> s = Leitner().update(None, True, t0)
    >>> s.box, s.due - t0
    (2, datetime.timedelta(days=1))
    >>> Leitner().update(s, True, t0 + timedelta(hours=1)).box  # early: practice only
    2
    >>> Leitner().update(s, True, t0 + timedelta(days=1)).box
    3
    >>> Leitner().update(s, False, t0 + timedelta(days=1)).box
    1
    >>> Leitner().update(s, True, t0 + timedelta(days=1), hinted=True).box  # with a hint
    2
    """

    def __init__(self, intervals: Sequence[timedelta] = BOX_INTERVALS) -> None:
        if not intervals:
            raise ValueError("Leitner needs at least one box")
        self.intervals = tuple(intervals)

    @property
    def top(self) -> int:
        return len(self.intervals)

    def update(self, state: CardState | None, correct: bool, when: datetime,
               hinted: bool = False) -> CardState:
        if state is None:
            # Like a new card answered once: right goes to box 2, wrong stays in 1;
            # right with a hint stays in 1 too, without counting as a lapse.
            box, since = (min(2, self.top) if correct and not hinted else 1), when
            answers, lapses = 1, 0 if correct else 1
        else:
            answers, lapses = state.answers + 1, state.lapses + (not correct)
            if not correct:
                box, since = 1, when
            elif when >= state.due and not hinted:
                box, since = min(state.box + 1, self.top), when
            else:
                box, since = state.box, state.since
        return CardState(box, since, since + self.intervals[box - 1], answers, lapses, when)

    def is_mastered(self, state: CardState) -> bool:
        return state.box >= self.top


def _aware(moment: datetime) -> datetime:
    # Naive times are taken as UTC, the way the store writes them.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _in_time_order(reviews: Iterable[Review]) -> list[Review]:
    return sorted(reviews, key=lambda r: _aware(r.answered_at))  # stable: ties keep their order


def card_states(
    reviews: Iterable[Review], scheduler: Scheduler | None = None
) -> dict[str, CardState]:
    """Replay the history: the state of every question answered at least once."""
    rule = scheduler or Leitner()
    states: dict[str, CardState] = {}
    for r in _in_time_order(reviews):
        states[r.question_id] = rule.update(
            states.get(r.question_id), r.correct, _aware(r.answered_at), r.hinted
        )
    return states


def topic_accuracy(reviews: Iterable[Review], recent: int = RECENT_ANSWERS) -> dict[str, float]:
    """Each topic's share of right answers over its ``recent`` latest answers."""
    by_topic: dict[str, list[bool]] = {}
    for r in _in_time_order(reviews):
        by_topic.setdefault(r.topic, []).append(r.correct)
    return {t: sum(marks[-recent:]) / len(marks[-recent:]) for t, marks in by_topic.items()}


class SpacedPlanner:
    """A :class:`~xentcli.quiz.records.Planner` driven by the answer history.

    With ``review=True`` the order is: questions due now (lowest box first, then
    the longest overdue), then the other unmastered questions of weak topics
    (weakest topic first), then new questions (topics taking turns), then the
    rest (mastered last). Without it, questions are drawn at random, weighted
    towards new and low-box ones, and spread over topics. Ties and draws use
    only ``rng``, so a seed and a clock give one plan.
    """

    def __init__(
        self,
        reviews: Iterable[Review] = (),
        *,
        scheduler: Scheduler | None = None,
        now: Callable[[], datetime] = utc_now,
        recent: int = RECENT_ANSWERS,
    ) -> None:
        history = list(reviews)
        self.scheduler = scheduler or Leitner()
        self.states = card_states(history, self.scheduler)
        self.accuracy = topic_accuracy(history, recent)
        self.now = now

    def plan(
        self,
        question_ids: Sequence[str],
        topics: Mapping[str, str],
        count: int,
        review: bool,
        rng: random.Random,
    ) -> list[str]:
        ids = list(dict.fromkeys(question_ids))
        count = max(0, min(count, len(ids)))
        if review:
            return self._review_order(ids, topics, rng)[:count]
        return self._weighted_draw(ids, topics, count, rng)

    def _review_order(
        self, ids: list[str], topics: Mapping[str, str], rng: random.Random
    ) -> list[str]:
        now = _aware(self.now())
        tie = {qid: rng.random() for qid in ids}
        due, weak, new, rest = [], [], [], []
        for qid in ids:
            state = self.states.get(qid)
            if state is None:
                new.append(qid)
            elif state.due <= now:
                due.append(qid)
            elif (
                not self.scheduler.is_mastered(state)
                and self.accuracy.get(topics[qid], 1.0) < WEAK_TOPIC
            ):
                weak.append(qid)
            else:
                rest.append(qid)
        due.sort(key=lambda q: (self.states[q].box, self.states[q].due, tie[q]))
        weak.sort(key=lambda q: (self.accuracy[topics[q]], self.states[q].box, tie[q]))
        rest.sort(key=lambda q: (self.states[q].box, self.states[q].due, tie[q]))
        return due + weak + _topics_take_turns(new, topics, tie) + rest

    def _weight(self, qid: str) -> float:
        state = self.states.get(qid)
        return _UNSEEN_WEIGHT if state is None else _BOX_WEIGHTS[
            min(state.box, len(_BOX_WEIGHTS)) - 1
        ]

    def _weighted_draw(
        self, ids: list[str], topics: Mapping[str, str], count: int, rng: random.Random
    ) -> list[str]:
        left = {qid: self._weight(qid) for qid in ids}
        damping: dict[str, float] = {}
        chosen: list[str] = []
        while len(chosen) < count:
            weights = [(qid, w * damping.get(topics[qid], 1.0)) for qid, w in left.items()]
            point = rng.random() * sum(w for _, w in weights)
            pick = weights[-1][0]
            for qid, w in weights:
                point -= w
                if point < 0:
                    pick = qid
                    break
            chosen.append(pick)
            del left[pick]
            damping[topics[pick]] = damping.get(topics[pick], 1.0) * _TOPIC_DAMPING
        return chosen


def _topics_take_turns(
    ids: list[str], topics: Mapping[str, str], tie: Mapping[str, float]
) -> list[str]:
    queues: dict[str, list[str]] = {}
    for qid in sorted(ids, key=lambda q: tie[q]):
        queues.setdefault(topics[qid], []).append(qid)
    ordered: list[str] = []
    while any(queues.values()):
        for queue in queues.values():
            if queue:
                ordered.append(queue.pop(0))
    return ordered


# --------------------------------------------------------------------- the summary


@dataclass(frozen=True)
class TopicProgress:
    """One topic's line in ``xent stats``."""

    topic: str
    answered: int  # every recorded answer, skips included
    correct: int
    skipped: int
    last_practiced: datetime | None
    questions: int  # distinct questions answered at least once
    due_now: int
    mastered: int

    @property
    def accuracy(self) -> float | None:
        """Right answers over all answers (a skip counts as not right)."""
        return self.correct / self.answered if self.answered else None


@dataclass(frozen=True)
class ProgressSummary:
    """Everything ``xent stats`` shows, computed from the history."""

    answered: int
    correct: int
    skipped: int
    last_practiced: datetime | None
    streak_days: int
    activity: tuple[tuple[date, int], ...]  # oldest day first, today last
    topics: tuple[TopicProgress, ...]

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.answered if self.answered else None

    @property
    def due_now(self) -> int:
        return sum(t.due_now for t in self.topics)

    @property
    def mastered(self) -> int:
        return sum(t.mastered for t in self.topics)

    @property
    def questions(self) -> int:
        return sum(t.questions for t in self.topics)


def _streak(days_with_answers: set[date], today: date) -> int:
    # A streak still counts on a day not yet practiced: it ends only when a
    # whole day goes by without an answer.
    day = today if today in days_with_answers else today - timedelta(days=1)
    streak = 0
    while day in days_with_answers:
        streak += 1
        day -= timedelta(days=1)
    return streak


def summarize(
    reviews: Iterable[Review],
    *,
    now: datetime,
    tz: tzinfo,
    days: int = 14,
    scheduler: Scheduler | None = None,
) -> ProgressSummary:
    """Per-topic and overall progress as of ``now``; days are counted in ``tz``.

    A question belongs to the topic of its latest answer. Topics are listed
    alphabetically.
    """
    history = _in_time_order(reviews)
    rule = scheduler or Leitner()
    now = _aware(now)
    states = card_states(history, rule)
    counts: dict[str, list[int]] = {}
    last: dict[str, datetime] = {}
    home: dict[str, str] = {}
    per_day: dict[date, int] = {}
    for r in history:
        when = _aware(r.answered_at)
        row = counts.setdefault(r.topic, [0, 0, 0])
        row[0] += 1
        row[1] += r.correct
        row[2] += r.skipped
        last[r.topic] = max(last.get(r.topic, when), when)
        home[r.question_id] = r.topic
        day = when.astimezone(tz).date()
        per_day[day] = per_day.get(day, 0) + 1
    questions: dict[str, list[int]] = {}
    for qid, topic in home.items():
        row = questions.setdefault(topic, [0, 0, 0])
        row[0] += 1
        row[1] += states[qid].due <= now
        row[2] += rule.is_mastered(states[qid])
    topics = []
    for t in sorted(counts):
        answered, correct, skipped = counts[t]
        seen, due_now, mastered = questions.get(t, [0, 0, 0])
        topics.append(
            TopicProgress(t, answered, correct, skipped, last[t], seen, due_now, mastered)
        )
    today = now.astimezone(tz).date()
    activity = tuple(
        (today - timedelta(days=back), per_day.get(today - timedelta(days=back), 0))
        for back in range(days - 1, -1, -1)
    )
    return ProgressSummary(
        answered=len(history),
        correct=sum(r.correct for r in history),
        skipped=sum(r.skipped for r in history),
        last_practiced=max(last.values()) if last else None,
        streak_days=_streak(set(per_day), today),
        activity=activity,
        topics=tuple(topics),
    )

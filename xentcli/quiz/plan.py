"""A plan to the interview date: Leitner waits fitted into the days left.

With an interview date set (``xent plan --date``), the Leitner rule of
:mod:`xentcli.quiz.schedule` stays the same (right when due: one box up; wrong
or skipped: back to box 1) and only the waits change, by three rules that
can be checked by hand:

1. **No wait is longer than a third of the days left** (rounded down, at
   least 1 day): with 7 days to go the waits are 0, 1, 2, 2, 2 days; with 30
   days, 0, 1, 3, 7, 10. So every question answered comes back at least
   about three times before the date.
2. **A weak topic comes back every day**: in a topic below 80% right over
   its last 20 answers, no wait is longer than 1 day.
3. **Nothing is due after the date**: a question whose next review would fall
   on the interview day or later is due on the last day before it instead
   (on the day itself, when that is today).

Topics never practiced are spread over the days left, so that every topic
is seen before the date; and a mock interview is suggested today when the
last one was 3 or more days ago (or there was none), and on the last day.
Everything here is pure: the history, the topics and the clock come in.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo

from xentcli.quiz.schedule import (
    BOX_INTERVALS,
    RECENT_ANSWERS,
    WEAK_TOPIC,
    CardState,
    Leitner,
    Review,
    topic_accuracy,
)

__all__ = [
    "INTERVIEW_EVERY_DAYS",
    "StudyPlan",
    "build_plan",
    "plan_intervals",
    "plan_states",
    "states_until",
]

#: A mock interview is suggested when the last one is this many days old.
INTERVIEW_EVERY_DAYS = 3
_WEAK_CAP = timedelta(days=1)


def plan_intervals(days_left: int, *, weak: bool = False) -> tuple[timedelta, ...]:
    """The Leitner waits with ``days_left`` days to the interview (rules 1 and 2).

    >>> [w.days for w in plan_intervals(7)]
    [0, 1, 2, 2, 2]
    >>> [w.days for w in plan_intervals(30)]
    [0, 1, 3, 7, 10]
    >>> [w.days for w in plan_intervals(30, weak=True)]
    [0, 1, 1, 1, 1]
    """
    cap = timedelta(days=max(1, days_left // 3))
    if weak:
        cap = min(cap, _WEAK_CAP)
    return tuple(min(wait, cap) for wait in BOX_INTERVALS)


def _last_study_day(exam: date, today: date) -> date:
    return max(today, exam - timedelta(days=1))


def _start_of(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tz)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def plan_states(
    reviews: Iterable[Review], exam: date, *, now: datetime, tz: tzinfo,
    recent: int = RECENT_ANSWERS,
) -> dict[str, CardState]:
    """Replay the history under the plan's waits; every due date is before the exam.

    Each answer moves its question by the Leitner rule with the waits of
    :func:`plan_intervals` (weak ones for a weak topic); then a due date
    on or after the interview day moves to the start of the last day before it.
    """
    history = sorted(reviews, key=lambda r: _aware(r.answered_at))
    today = _aware(now).astimezone(tz).date()
    days_left = max(0, (exam - today).days)
    accuracy = topic_accuracy(history, recent)
    rules = {
        False: Leitner(plan_intervals(days_left)),
        True: Leitner(plan_intervals(days_left, weak=True)),
    }
    states: dict[str, CardState] = {}
    for r in history:
        rule = rules[accuracy.get(r.topic, 1.0) < WEAK_TOPIC]
        states[r.question_id] = rule.update(states.get(r.question_id), r.correct,
                                            _aware(r.answered_at))
    latest = _start_of(_last_study_day(exam, today), tz)
    return {
        qid: state if state.due <= latest else _with_due(state, latest)
        for qid, state in states.items()
    }


def _with_due(state: CardState, due: datetime) -> CardState:
    return CardState(state.box, state.since, due, state.answers, state.lapses,
                     state.last_answered)


@dataclass(frozen=True)
class StudyPlan:
    """What ``xent plan`` and ``xent stats`` say about the days to the interview."""

    exam: date
    today: date
    days_left: int  # 0 on the day itself; negative once it has passed
    waits: tuple[int, ...]  # days, box 1 first (rule 1)
    weak_topics: tuple[str, ...]  # rule 2 applies to these
    due_today: int  # questions due now or by the end of today
    new_today: tuple[str, ...]  # topics never practiced, to start today
    unseen: tuple[str, ...]  # every topic never practiced
    interview_today: bool
    last_interview: date | None
    forecast: tuple[tuple[date, int], ...]  # per study day: questions falling due that day

    @property
    def passed(self) -> bool:
        return self.days_left < 0

    @property
    def study_days(self) -> int:
        """Days to study, today included, the interview day not (at least 1)."""
        return max(1, self.days_left)


def build_plan(
    reviews: Sequence[Review],
    topics: Sequence[str],
    exam: date,
    *,
    now: datetime,
    tz: tzinfo,
    interviews: Iterable[datetime] = (),
) -> StudyPlan:
    """The plan as of ``now``: what is due today, what to start, whether to interview.

    ``topics`` are the bank's topics in teaching order (new ones are started in
    that order); ``interviews`` when past mock interviews were taken.
    """
    now = _aware(now)
    today = now.astimezone(tz).date()
    days_left = (exam - today).days
    last_interview = max((_aware(t).astimezone(tz).date() for t in interviews), default=None)
    if days_left < 0:
        return StudyPlan(exam, today, days_left, (), (), 0, (), (), False, last_interview, ())
    states = plan_states(reviews, exam, now=now, tz=tz)
    accuracy = topic_accuracy(reviews)
    weak = tuple(sorted(t for t, a in accuracy.items() if a < WEAK_TOPIC))
    seen = {r.topic for r in reviews}
    unseen = tuple(t for t in topics if t not in seen)
    study_days = max(1, days_left)
    new_today = unseen[: math.ceil(len(unseen) / study_days)]
    last_day = _last_study_day(exam, today)
    end_of_today = _start_of(today + timedelta(days=1), tz)
    per_day: dict[date, int] = {}
    for state in states.values():
        day = today if state.due < end_of_today else state.due.astimezone(tz).date()
        per_day[day] = per_day.get(day, 0) + 1
    forecast = tuple(
        (today + timedelta(days=n), per_day.get(today + timedelta(days=n), 0))
        for n in range((last_day - today).days + 1)
    )
    interview_today = days_left >= 1 and (
        last_interview is None
        or (today - last_interview).days >= INTERVIEW_EVERY_DAYS
        or today == last_day
    ) and last_interview != today
    waits = tuple(w.days for w in plan_intervals(max(0, days_left)))
    return StudyPlan(exam, today, days_left, waits, weak, per_day.get(today, 0), new_today,
                     unseen, interview_today, last_interview, forecast)


def states_until(reviews: Iterable[Review], exam: date | None, *, now: datetime | None = None,
                 tz: tzinfo | None = None) -> dict[str, CardState] | None:
    """:func:`plan_states` as of now in the local time zone; None without a date
    or once it has passed (the usual waits then apply)."""
    from xentcli.quiz.records import utc_now

    moment = _aware(now) if now is not None else utc_now()
    zone = tz or moment.astimezone().tzinfo or timezone.utc
    if exam is None or exam < moment.astimezone(zone).date():
        return None
    return plan_states(reviews, exam, now=moment, tz=zone)

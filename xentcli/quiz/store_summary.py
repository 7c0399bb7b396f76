"""Progress worked out in SQL, so that start-up does not grow with the history.

Replaying every answer in Python (:func:`xentcli.quiz.schedule.card_states`,
:func:`~xentcli.quiz.schedule.summarize`) costs seconds with 100,000 of them.
Here the same results come from the running totals of schema v7 (counts per
question and per topic, :mod:`xentcli.quiz.store_totals`) and indexed lookups
(the indexes of schema v6): a Leitner box only moves up at the first right answer, without a
hint, given once the question is due, and only a wrong answer or a skip sends
it back to box 1; so a question's state needs its last lapse and then one
lookup per move, never its whole history. The lookups of every question run
in one recursive statement, and the days of a streak in one per batch of days,
not one query each.

This holds when the timestamps compare as text in time order, which they do as
xent writes them (UTC, one fixed format). A file edited by hand into anything
else is read by the replay instead (:func:`sql_ready` says which), which also
names a row it cannot read.
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any

from xentcli.quiz.schedule import (
    BOX_INTERVALS,
    MASTERED_BOX,
    RECENT_ANSWERS,
    CardState,
    ProgressSummary,
    TopicProgress,
)
from xentcli.quiz.store_queries import Store
from xentcli.quiz.store_schema import TOTALS_SCHEMA
from xentcli.quiz.store_sqlite import _failure, _timestamp

__all__ = [
    "SQL_SCHEMA",
    "planning",
    "sql_card_states",
    "sql_ready",
    "sql_summary",
    "sql_topic_accuracy",
    "summary",
]

#: The first schema version with what this module relies on: the indexes of
#: v6 and the running totals of v7 (:mod:`xentcli.quiz.store_totals`).
SQL_SCHEMA = TOTALS_SCHEMA
# The boxes are one recursive query (WITH RECURSIVE: sqlite 3.8.3, 2014).
_RECURSIVE = (3, 8, 3)


def sql_ready(store: Store) -> bool:
    """Whether every answer is as xent writes it, so the SQL path gives the replay's result.

    The triggers of schema v7 count the answers that are not (a question,
    topic or time that is not text, or a time in another format); the count
    is trusted as the file is (:mod:`xentcli.quiz.store_totals`), so this
    reads one row instead of every timestamp.
    """
    if (store.version < SQL_SCHEMA or not store.totals
            or sqlite3.sqlite_version_info < _RECURSIVE):
        return False
    return _query(store, "SELECT odd FROM answer_totals") == [(0,)]


def planning(store: Store) -> tuple[dict[str, CardState], dict[str, float]] | None:
    """What the quiz's planner needs (states, topic accuracy); None: replay the history."""
    try:
        if sql_ready(store):
            return sql_card_states(store)[0], sql_topic_accuracy(store)
    except ValueError:  # a timestamp of the right shape that is not one
        pass
    return None


def summary(store: Store, *, now: datetime, tz: tzinfo) -> ProgressSummary | None:
    """What ``xent stats`` shows; None: replay the history."""
    try:
        if sql_ready(store):
            return sql_summary(store, now=now, tz=tz)
    except ValueError:
        pass
    return None


def _query(store: Store, sql: str, args: tuple[Any, ...] = ()) -> list[Any]:
    try:
        return store.conn.execute(sql, args).fetchall()
    except sqlite3.Error as exc:
        raise _failure(store.path, exc, "reading the history") from None


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _waits() -> str:
    """The boxes' waits as SQL rows ``(box, days)``: each is a whole number of days."""
    rows = []
    for box, wait in enumerate(BOX_INTERVALS, start=1):
        if wait != timedelta(days=wait.days):
            raise AssertionError("the SQL path adds whole days to a timestamp")
        rows.append(f"({box}, {wait.days})")
    return ", ".join(rows)


def _plus(since: str, days: str) -> str:
    """SQL for the timestamp ``since`` plus ``days`` whole days, in xent's own format.

    sqlite's date arithmetic keeps seconds only: the fraction and the offset
    (``.ffffff+00:00``, the same for any whole number of days in UTC) are put
    back as they were. Python checks every result (:func:`_checked`).
    """
    return (f"(CASE WHEN {days} = 0 THEN {since} ELSE replace(datetime(substr({since}, 1, 19), "
            f"'+' || {days} || ' days'), ' ', 'T') || substr({since}, 20) END)")


# Every question's Leitner state in one statement (the rule of sql_card_states):
# per question its counts and its start (its last lapse, else its first answer,
# in box 1), then, step by step for all questions at once, the next right answer
# without a hint given when due, which moves it one box up. Each step is one
# lookup in the answers_by_card index; a question's chain ends where none is found.
_CHAIN = f"""
WITH RECURSIVE
waits(box, days) AS (VALUES {_waits()}),
cards AS (
    SELECT t.question_id AS q, t.answers AS answers, t.lapses AS lapses,
           l.answered_at AS last, l.topic AS topic
    FROM card_totals AS t JOIN answers AS l ON l.id = (
        SELECT id FROM answers WHERE question_id = t.question_id
        ORDER BY answered_at DESC, id DESC LIMIT 1)
),
chain(q, answers, lapses, last, topic, step, box, since, floor, due) AS (
    SELECT k.q, k.answers, k.lapses, k.last, k.topic, 0, 1, s.answered_at, s.id,
           s.answered_at
    FROM cards AS k JOIN answers AS s ON s.id = (CASE WHEN k.lapses THEN
        (SELECT id FROM answers WHERE question_id = k.q AND correct = 0
         ORDER BY answered_at DESC, id DESC LIMIT 1)
    ELSE
        (SELECT id FROM answers WHERE question_id = k.q ORDER BY answered_at, id LIMIT 1)
    END)
    UNION ALL
    SELECT c.q, c.answers, c.lapses, c.last, c.topic, c.step + 1, w.box, m.answered_at,
           m.id + 1, {_plus("m.answered_at", "w.days")}
    FROM chain AS c JOIN waits AS w ON w.box = min(c.box + 1, {MASTERED_BOX})
    JOIN answers AS m ON m.id = (
        SELECT id FROM answers WHERE question_id = c.q AND correct = 1 AND hints = 0
        AND answered_at >= c.due
        AND (answered_at > c.since OR (answered_at = c.since AND id >= c.floor))
        ORDER BY answered_at, id LIMIT 1)
)
SELECT q, answers, lapses, last, topic, step, box, since, due FROM chain
"""


def _checked(since: str, box: int, due: str) -> datetime:
    """``since`` as a time, once the due time sqlite worked out from it is Python's too.

    Raises:
        ValueError: ``since`` is not a date, or sqlite's sum differs (the replay decides).
    """
    start = _at(since)
    if _timestamp(start + BOX_INTERVALS[box - 1]) != due:
        raise ValueError(f"due time {due!r} for {since!r} in box {box}")
    return start


def sql_card_states(store: Store) -> tuple[dict[str, CardState], dict[str, str]]:
    """Every answered question's state, and the topic of its latest answer.

    As :class:`~xentcli.quiz.schedule.Leitner` replays it: a box only moves up
    at the first right answer without a hint given once the question is due,
    and only a wrong answer or a skip sends it back to box 1, so a question's
    state needs its last lapse and then one lookup per move.
    """
    chains: dict[str, tuple[int, int, str, str, int, str, str]] = {}
    for qid, answers, lapses, last, topic, step, box, since, due in store._read(
            _CHAIN, "reading the history"):
        key = str(qid)
        # Every step is checked, not only the last: each was a due time compared.
        _checked(str(since), int(box), str(due))
        if key not in chains or chains[key][4] < int(step):
            chains[key] = (int(answers), int(lapses), str(last), str(topic), int(step),
                           str(since), str(box))
    states: dict[str, CardState] = {}
    homes: dict[str, str] = {}
    for qid, (answers, lapses, last, topic, _, since, box) in chains.items():
        start_at = _at(since)
        states[qid] = CardState(int(box), start_at, start_at + BOX_INTERVALS[int(box) - 1],
                                answers, lapses, _at(last))
        homes[qid] = topic
    return states, homes


def sql_topic_accuracy(store: Store, recent: int = RECENT_ANSWERS) -> dict[str, float]:
    """Each topic's share of right answers over its ``recent`` latest answers."""
    rows = store._read(
        "SELECT t.topic, (SELECT avg(correct) FROM (SELECT correct FROM answers AS a "
        f"WHERE a.topic = t.topic ORDER BY answered_at DESC, id DESC LIMIT {int(recent)})) "
        "FROM topic_totals AS t",
        "reading the history",
    )
    return {str(topic): float(share) for topic, share in rows}


def _midnight(day: date, tz: tzinfo) -> str:
    return _timestamp(datetime.combine(day, time(), tzinfo=tz))


def _per_day(store: Store, spans: list[tuple[str, str]], what: str) -> list[int]:
    """``what`` (``count(*)`` or ``EXISTS``) for each span of days, in one statement."""
    if not spans:
        return []
    rows = ", ".join("(?, ?, ?)" for _ in spans)
    inner = "SELECT 1 FROM answers WHERE answered_at >= d.start AND answered_at < d.end"
    pick = (f"(SELECT count(*) FROM ({inner}))" if what == "count"
            else f"EXISTS ({inner})")
    args = tuple(v for n, span in enumerate(spans) for v in (n, *span))
    found = _query(store, f"WITH d(n, start, end) AS (VALUES {rows}) "
                          f"SELECT {pick} FROM d ORDER BY n", args)
    return [int(row[0]) for row in found]


def _spans(days: list[date], tz: tzinfo) -> list[tuple[str, str]]:
    return [(_midnight(day, tz), _midnight(day + timedelta(days=1), tz)) for day in days]


def _days_back(day: date, most: int, tz: tzinfo) -> tuple[list[date], list[tuple[str, str]]]:
    """Up to ``most`` days from ``day`` back and their spans, stopping before a day
    at the end of the calendar (whose span the caller works out, as the replay does).
    Each midnight is worked out once: a day ends where the next one starts."""
    days: list[date] = []
    spans: list[tuple[str, str]] = []
    try:
        end = _midnight(day + timedelta(days=1), tz)
        for back in range(most):
            on = day - timedelta(days=back)
            start = _midnight(on, tz)
            spans.append((start, end))
            days.append(on)
            end = start
    except OverflowError:
        pass
    return days, spans


def _streak(store: Store, counted: dict[date, int], today: date, tz: tzinfo) -> int:
    """Days in a row with answers up to today, or up to yesterday when today has none.

    The days of ``counted`` are known; further back, days are asked in batches
    that double (32, 64, ...), each one statement, until a day without answers.
    """
    day = today if counted[today] else today - timedelta(days=1)
    streak = 0
    batch = 32
    while True:
        if day in counted:
            if not counted[day]:
                return streak
            streak += 1
            day -= timedelta(days=1)
            continue
        days, spans = _days_back(day, batch, tz)
        if not days:  # the first day's span cannot be written: fails as it did
            spans = _spans([day], tz)
        for has in _per_day(store, spans, "exists"):
            if not has:
                return streak
            streak += 1
        day = days[-1] - timedelta(days=1)
        batch = min(2 * batch, 256)


def sql_summary(store: Store, *, now: datetime, tz: tzinfo, days: int = 14) -> ProgressSummary:
    """What :func:`~xentcli.quiz.schedule.summarize` gives, from aggregates."""
    now = now if now.tzinfo is not None else now.replace(tzinfo=timezone.utc)
    states, homes = sql_card_states(store)
    per_topic = store._read(
        "SELECT t.topic, t.answers, t.correct, t.skipped, (SELECT max(answered_at) "
        "FROM answers WHERE answers.topic = t.topic) FROM topic_totals AS t ORDER BY t.topic",
        "reading the history",
    )
    questions: dict[str, list[int]] = {}
    for qid, topic in homes.items():
        row = questions.setdefault(topic, [0, 0, 0])
        row[0] += 1
        row[1] += states[qid].due <= now
        row[2] += states[qid].box >= MASTERED_BOX
    topics = tuple(
        TopicProgress(str(t), int(n), int(right), int(skips), _at(str(last)),
                      *questions.get(str(t), [0, 0, 0]))
        for t, n, right, skips, last in per_topic
    )
    today = now.astimezone(tz).date()
    window = [today - timedelta(days=back) for back in range(days - 1, -1, -1)]
    activity = tuple(zip(window, _per_day(store, _spans(window, tz), "count"), strict=True))
    streak = _streak(store, dict(activity), today, tz)
    return ProgressSummary(
        answered=sum(t.answered for t in topics),
        correct=sum(t.correct for t in topics),
        skipped=sum(t.skipped for t in topics),
        last_practiced=max((t.last_practiced for t in topics if t.last_practiced), default=None),
        streak_days=streak,
        activity=activity,
        topics=topics,
    )

"""Progress worked out in SQL, so that start-up does not grow with the history.

Replaying every answer in Python (:func:`xentcli.quiz.schedule.card_states`,
:func:`~xentcli.quiz.schedule.summarize`) costs seconds with 100,000 of them.
Here the same results come from aggregates and indexed lookups (the indexes of
schema v5): a Leitner box only moves up at the first right answer, without a
hint, given once the question is due, and only a wrong answer or a skip sends
it back to box 1; so a question's state needs its last lapse and then one
lookup per move, never its whole history.

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
from xentcli.quiz.store_schema import MIGRATIONS
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

#: The first schema version with the indexes this module relies on (found from
#: its step, so that steps merged in before it move it along).
SQL_SCHEMA = 1 + next(
    n for n, step in enumerate(MIGRATIONS) if any("answers_by_card" in s for s in step)
)

# The shape of xent's own timestamps: 2024-05-15T12:00:00.000000+00:00 (a
# look-alike with letters in place of digits fails to parse: the replay takes over).
_STAMP = "????-??-??T??:??:??.??????+00:00"


def sql_ready(store: Store) -> bool:
    """Whether every answer is as xent writes it, so the SQL path gives the replay's result.

    In an index, numbers sort before text and BLOBs after it: the smallest and
    largest value of a column tell whether all of it is text, at no cost.
    """
    if store.version < SQL_SCHEMA:
        return False
    ends = [f"(SELECT typeof(v) FROM (SELECT {end}({column}) AS v FROM answers))"
            for column in ("question_id", "topic", "answered_at") for end in ("min", "max")]
    row = _query(store, f"SELECT {', '.join(ends)}, EXISTS (SELECT 1 FROM answers INDEXED BY "
                        f"answers_by_time WHERE answered_at NOT GLOB '{_STAMP}')")[0]
    return all(kind in ("text", "null") for kind in row[:-1]) and not row[-1]


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


def _state(store: Store, qid: str, answers: int, lapses: int, last: str) -> CardState:
    """One question's Leitner state, as :class:`~xentcli.quiz.schedule.Leitner` replays it."""
    order = "ORDER BY answered_at {0}, id {0} LIMIT 1"
    if lapses:  # back in box 1 at the last wrong answer or skip, due at once
        (start,) = _query(
            store, "SELECT answered_at, id FROM answers WHERE question_id = ? AND correct = 0 "
            + order.format("DESC"), (qid,))
    else:  # never wrong: as if in box 1 from the first answer, which may move it up
        (start,) = _query(
            store, "SELECT answered_at, id FROM answers WHERE question_id = ? "
            + order.format("ASC"), (qid,))
    box, since = 1, str(start[0])
    after, after_id = since, int(start[1])  # the next mover comes at or after this row
    while True:
        due = _timestamp(_at(since) + BOX_INTERVALS[box - 1])
        found = _query(
            store, "SELECT answered_at, id FROM answers WHERE question_id = ? AND correct = 1 "
            "AND hints = 0 AND answered_at >= ? AND (answered_at > ? OR "
            "(answered_at = ? AND id >= ?)) " + order.format("ASC"),
            (qid, due, after, after, after_id))
        if not found:
            break
        move = found[0]
        # In the top box a right answer when due keeps the box and restarts its wait.
        box, since = min(box + 1, MASTERED_BOX), str(move[0])
        after, after_id = since, int(move[1]) + 1
    start_at = _at(since)
    return CardState(box, start_at, start_at + BOX_INTERVALS[box - 1], answers, lapses,
                     _at(last))


def sql_card_states(store: Store) -> tuple[dict[str, CardState], dict[str, str]]:
    """Every answered question's state, and the topic of its latest answer."""
    rows = store._read(
        "SELECT question_id, count(*), sum(correct = 0), max(answered_at), "
        "(SELECT topic FROM answers AS b WHERE b.question_id = a.question_id "
        " ORDER BY answered_at DESC, id DESC LIMIT 1) "
        "FROM answers AS a GROUP BY question_id",
        "reading the history",
    )
    states: dict[str, CardState] = {}
    homes: dict[str, str] = {}
    for qid, answers, lapses, last, topic in rows:
        states[qid] = _state(store, qid, int(answers), int(lapses), str(last))
        homes[qid] = str(topic)
    return states, homes


def sql_topic_accuracy(store: Store, recent: int = RECENT_ANSWERS) -> dict[str, float]:
    """Each topic's share of right answers over its ``recent`` latest answers."""
    rows = store._read(
        "SELECT t.topic, (SELECT avg(correct) FROM (SELECT correct FROM answers AS a "
        f"WHERE a.topic = t.topic ORDER BY answered_at DESC, id DESC LIMIT {int(recent)})) "
        "FROM (SELECT DISTINCT topic FROM answers) AS t",
        "reading the history",
    )
    return {str(topic): float(share) for topic, share in rows}


def _midnight(day: date, tz: tzinfo) -> str:
    return _timestamp(datetime.combine(day, time(), tzinfo=tz))


def _count(store: Store, start: str, end: str) -> int:
    return int(_query(store, "SELECT count(*) FROM answers WHERE answered_at >= ? "
                             "AND answered_at < ?", (start, end))[0][0])


def _any(store: Store, start: str, end: str) -> bool:
    return bool(_query(store, "SELECT EXISTS (SELECT 1 FROM answers WHERE answered_at >= ? "
                              "AND answered_at < ?)", (start, end))[0][0])


def sql_summary(store: Store, *, now: datetime, tz: tzinfo, days: int = 14) -> ProgressSummary:
    """What :func:`~xentcli.quiz.schedule.summarize` gives, from aggregates."""
    now = now if now.tzinfo is not None else now.replace(tzinfo=timezone.utc)
    states, homes = sql_card_states(store)
    per_topic = store._read(
        "SELECT topic, count(*), sum(correct), sum(skipped), max(answered_at) "
        "FROM answers GROUP BY topic ORDER BY topic",
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

    def span(day: date) -> tuple[Store, str, str]:
        return store, _midnight(day, tz), _midnight(day + timedelta(days=1), tz)

    activity = tuple((today - timedelta(days=back), _count(*span(today - timedelta(days=back))))
                     for back in range(days - 1, -1, -1))
    counted = dict(activity)
    # A streak still counts on a day not yet practised (as in the replay).
    day = today if counted[today] else today - timedelta(days=1)
    streak = 0
    while counted[day] if day in counted else _any(*span(day)):
        streak += 1
        day -= timedelta(days=1)
    return ProgressSummary(
        answered=sum(t.answered for t in topics),
        correct=sum(t.correct for t in topics),
        skipped=sum(t.skipped for t in topics),
        last_practiced=max((t.last_practiced for t in topics if t.last_practiced), default=None),
        streak_days=streak,
        activity=activity,
        topics=topics,
    )

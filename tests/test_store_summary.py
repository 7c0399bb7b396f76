"""The SQL progress summary (xentcli.quiz.store_summary) against the replay in Python.

The replay (:func:`~xentcli.quiz.schedule.summarize`, ``card_states``,
``topic_accuracy``) walks every answer in time order: it is the plain
definition. The SQL path works the same out in a few statements (the boxes as
one recursive query, the days as one query per batch). Seeded random stores,
written the way xent writes them, must give the very same objects; a file whose
timestamps SQL cannot trust gives None (the caller replays) and never a
different answer.
"""

from __future__ import annotations

import random
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from xentcli.quiz.schedule import MASTERED_BOX, card_states, summarize, topic_accuracy
from xentcli.quiz.store import open_store
from xentcli.quiz.store_sqlite import _timestamp
from xentcli.quiz.store_summary import planning, summary

_NOW = datetime(2025, 3, 10, 15, 30, 0, 123456, tzinfo=timezone.utc)
_ZONES = [timezone.utc, timezone(timedelta(hours=-7)), timezone(timedelta(hours=5, minutes=30)),
          timezone(timedelta(hours=13))]

Row = tuple[str, str, bool, bool, int, datetime]


def _write(rows: list[Row], *, reset_first: bool = False) -> Path:
    """Answers as xent writes them, inserted in the given order (ids need not follow time)."""
    with open_store(create=True) as store:  # type: ignore[union-attr]
        if reset_first:
            store.reset()
        for qid, topic, right, skip, hints, when in rows:
            store.conn.execute(
                "INSERT INTO answers (question_id, topic, kind, seed, params, given, "
                "expected, correct, skipped, seconds, answered_at, session_id, hints) "
                "VALUES (?, ?, 'numeric', 1, '{}', '1', '1', ?, ?, 1.0, ?, 1, ?)",
                (qid, topic, int(right), int(skip and not right), _timestamp(when), hints),
            )
        return store.path


def _agrees(now: datetime = _NOW) -> None:
    """SQL and replay give the same summary (in several zones) and the same plan inputs."""
    with open_store(create=True) as store:  # type: ignore[union-attr]
        reviews = store.reviews()
        for tz in _ZONES:
            quick = summary(store, now=now, tz=tz)
            assert quick == summarize(reviews, now=now, tz=tz)
        assert planning(store) == (card_states(reviews), topic_accuracy(reviews))


def _random_history(rng: random.Random, answers: int, days: int) -> list[Row]:
    """A history over ``days`` days before _NOW: some questions daily, some spaced out,
    ties in time, hints, skips, a question that changed topic, ids out of time order."""
    questions = [f"q{n}" for n in range(rng.randint(1, 12))]
    topics = ["entropy", "kl", "ce", "focal"]
    home = {q: rng.choice(topics) for q in questions}
    stamps: list[datetime] = []
    for _ in range(answers):
        back = timedelta(seconds=rng.randint(0, days * 86400), microseconds=rng.randint(0, 999))
        stamps.append(_NOW - back)
    stamps += rng.sample(stamps, min(len(stamps), answers // 10))  # exact ties
    rows: list[Row] = []
    for when in stamps:
        qid = rng.choice(questions)
        topic = home[qid] if rng.random() < 0.95 else rng.choice(topics)
        right = rng.random() < 0.75
        rows.append((qid, topic, right, rng.random() < 0.3, int(rng.random() < 0.15), when))
    rng.shuffle(rows)
    return rows


def test_no_answers_and_one_answer() -> None:
    _write([])
    _agrees()
    with open_store() as store:  # type: ignore[union-attr]
        empty = summary(store, now=_NOW, tz=timezone.utc)
        assert empty is not None and empty.answered == 0 and empty.streak_days == 0
    for right, skip, hints in [(True, False, 0), (False, True, 0), (True, False, 1),
                               (False, False, 0)]:
        _write([("q1", "kl", right, skip, hints, _NOW - timedelta(hours=3))], reset_first=True)
        _agrees()


@pytest.mark.parametrize("seed", range(12))
def test_random_stores_give_the_replays_result(seed: int) -> None:
    rng = random.Random(seed)
    _write(_random_history(rng, answers=rng.choice([5, 60, 400]),
                           days=rng.choice([3, 40, 400])))
    _agrees()
    _agrees(_NOW + timedelta(days=rng.randint(1, 30)))


def test_a_reset_then_new_answers() -> None:
    rng = random.Random(99)
    _write(_random_history(rng, answers=200, days=30))
    _write(_random_history(rng, answers=30, days=5), reset_first=True)  # ids go on
    _agrees()


def test_a_long_daily_streak_crosses_every_batch() -> None:
    # Every day for 500 days, in each zone's evening too: the days past the
    # 14 shown are asked in batches of 32, 64, 128, 256, 256.
    rows: list[Row] = [("q1", "kl", True, False, 0, _NOW - timedelta(days=d, hours=h))
                       for d in range(500) for h in (1, 14)]
    _write(rows)
    with open_store() as store:  # type: ignore[union-attr]
        quick = summary(store, now=_NOW, tz=timezone.utc)
        assert quick is not None and quick.streak_days == 500
    _agrees()
    # One day missing 300 days back: the streak stops there in every zone.
    _write([], reset_first=True)
    _write([r for r in rows if not timedelta(days=299) < _NOW - r[5] <= timedelta(days=300)])
    _agrees()


def test_spaced_right_answers_climb_to_the_top_box_and_restart_its_wait() -> None:
    start = _NOW - timedelta(days=200)
    waits = [0, 1, 3, 7, 21, 21, 21, 2, 30]  # the 2-day one is early: practice only
    when, rows = start, []
    for wait in waits:
        when += timedelta(days=wait)
        rows.append(("q1", "kl", True, False, 0, when))
    rows.append(("q2", "kl", True, False, 1, start))  # a hint: stays in box 1
    rows.append(("q2", "kl", True, False, 0, start))  # same time, next id: moves
    _write(rows)
    with open_store() as store:  # type: ignore[union-attr]
        states = planning(store)
        assert states is not None and states[0]["q1"].box == MASTERED_BOX
        assert states[0]["q2"].box == 2
    _agrees()


def _edit(path: Path, sql: str, *args: object) -> None:
    conn = sqlite3.connect(path)
    conn.execute(sql, args)
    conn.commit()
    conn.close()


@pytest.mark.parametrize("stamp", [
    "2024-05-01T08:00:00",  # no offset: text order is not time order
    "2024-05-01T08:00:00+00:00",  # no fraction
    "2024-05-01T08:00:00.000000Z",
    "2024-05-01T10:00:00.000000+02:00",
    "2024-02-30T08:00:00.000000+00:00",  # the shape, not a date
    "2024-05-01T24:00:00.000000+00:00",
])
def test_a_timestamp_sql_cannot_trust_is_never_misread(stamp: str) -> None:
    # q1 climbs box by box; its second answer (a step in the middle of the climb,
    # not its last state) is edited by hand.
    day = timedelta(days=1)
    t0 = _NOW - 10 * day
    path = _write([("q1", "kl", True, False, 0, t0 + n * day) for n in (0, 1, 2)])
    _edit(path, "UPDATE answers SET answered_at = ? WHERE id = 2", stamp)
    with open_store() as store:  # type: ignore[union-attr]
        assert planning(store) is None
        assert summary(store, now=_NOW, tz=timezone.utc) is None


@pytest.mark.parametrize("column, value", [("topic", b"kl"), ("question_id", b"q1"),
                                           ("answered_at", 1714550400)])
def test_a_value_of_another_type_is_left_to_the_replay(column: str, value: object) -> None:
    path = _write([("q1", "kl", True, False, 0, _NOW - timedelta(days=2))])
    _edit(path, f"UPDATE answers SET {column} = ? WHERE id = 1", value)
    with open_store() as store:  # type: ignore[union-attr]
        assert planning(store) is None
        assert summary(store, now=_NOW, tz=timezone.utc) is None

"""Spaced repetition: Leitner boxes, the planner's order, and the stats summary."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from xentcli.quiz.schedule import (
    BOX_INTERVALS,
    MASTERED_BOX,
    Leitner,
    Review,
    SpacedPlanner,
    card_states,
    summarize,
    topic_accuracy,
)

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=timezone.utc)
DAY = timedelta(days=1)


def _r(qid: str, correct: bool, when: datetime, topic: str = "entropy",
       skipped: bool = False) -> Review:
    return Review(qid, topic, correct, when, skipped)


def _mastered(qid: str, topic: str = "entropy") -> list[Review]:
    """Right four times, each when due: boxes 2, 3, 4 then 5 (due 21 days after T0 + 11d)."""
    return [_r(qid, True, T0 + d * DAY, topic) for d in (0, 1, 4, 11)]


# ------------------------------------------------------------------ Leitner


def test_boxes_climb_only_when_due_and_fall_to_one_on_a_miss() -> None:
    states = card_states(_mastered("q"))
    assert states["q"].box == MASTERED_BOX == 5
    assert states["q"].due == T0 + 11 * DAY + BOX_INTERVALS[4]
    assert Leitner().is_mastered(states["q"])
    cram = card_states([_r("q", True, T0 + timedelta(minutes=m)) for m in range(10)])
    assert (cram["q"].box, cram["q"].due, cram["q"].answers) == (2, T0 + DAY, 10)
    missed = card_states([*_mastered("q"), _r("q", False, T0 + 12 * DAY)])
    assert (missed["q"].box, missed["q"].due, missed["q"].lapses) == (1, T0 + 12 * DAY, 1)
    skipped = card_states([_r("q", False, T0, skipped=True)])
    assert (skipped["q"].box, skipped["q"].due) == (1, T0)


def test_the_top_box_stays_the_top_box() -> None:
    history = [*_mastered("q"), _r("q", True, T0 + 40 * DAY)]
    state = card_states(history)["q"]
    assert (state.box, state.since, state.due) == (5, T0 + 40 * DAY, T0 + 61 * DAY)


def test_history_is_replayed_in_time_order_whatever_order_it_comes_in() -> None:
    history = [*_mastered("q"), _r("q", False, T0 + 12 * DAY)]
    assert card_states(reversed(history)) == card_states(history)


def test_topic_accuracy_uses_the_latest_answers() -> None:
    history = [_r("a", False, T0 + i * DAY) for i in range(10)]
    history += [_r("a", True, T0 + (10 + i) * DAY) for i in range(4)]
    history.append(_r("b", True, T0, topic="kl"))
    assert topic_accuracy(history, recent=4) == {"entropy": 1.0, "kl": 1.0}
    assert topic_accuracy(history, recent=8) == {"entropy": 0.5, "kl": 1.0}


# ------------------------------------------------------------------ --review


def test_a_failed_question_comes_back_before_a_mastered_one() -> None:
    history = [*_mastered("known"), _r("failed", False, T0 + 11 * DAY)]
    topics = {"known": "entropy", "failed": "entropy"}
    for moment in (T0 + 12 * DAY, T0 + 60 * DAY):  # mastered not due, then due as well
        planner = SpacedPlanner(history, now=lambda m=moment: m)
        for seed in range(20):
            assert planner.plan(["known", "failed"], topics, 1, True, random.Random(seed)) == [
                "failed"
            ]
            assert planner.plan(["known", "failed"], topics, 2, True,
                                random.Random(seed)) == ["failed", "known"]


def test_review_order_is_due_then_weak_topics_then_new_then_the_rest() -> None:
    now = T0 + 12 * DAY
    history = [
        *_mastered("mastered"),
        _r("due-box-1", False, T0 + 11 * DAY),
        _r("due-box-2", True, T0 + 10 * DAY),
        # a weak topic: one right (box 2, not due), two wrong elsewhere in it
        _r("weak-shaky", True, T0 + 11 * DAY + timedelta(hours=12), topic="kl"),
        _r("weak-missed", False, T0 + 2 * DAY, topic="kl"),
        _r("weak-missed", False, T0 + 3 * DAY, topic="kl"),
        _r("weak-missed", True, T0 + 11 * DAY + timedelta(hours=1), topic="kl"),
        # a strong topic: right and not due yet
        _r("strong-fresh", True, T0 + 11 * DAY + timedelta(hours=2), topic="softmax"),
    ]
    topics = {
        "mastered": "entropy", "due-box-1": "entropy", "due-box-2": "entropy",
        "weak-shaky": "kl", "weak-missed": "kl", "strong-fresh": "softmax",
        "new-1": "entropy", "new-2": "kl",
    }
    ids = sorted(topics)
    plan = SpacedPlanner(history, now=lambda: now)
    order = plan.plan(ids, topics, len(ids), True, random.Random(7))
    assert order[:2] == ["due-box-1", "due-box-2"]
    assert set(order[2:4]) == {"weak-shaky", "weak-missed"}
    assert set(order[4:6]) == {"new-1", "new-2"}
    assert order[6:] == ["strong-fresh", "mastered"]
    assert plan.plan(ids, topics, 3, True, random.Random(7)) == order[:3]


def test_review_puts_the_weakest_topic_first_and_new_topics_take_turns() -> None:
    # Pins two parts of the --review order: weak topics go weakest first (by accuracy, before
    # the box), and new questions alternate between their topics.
    now = T0 + 12 * DAY
    history = [
        *_mastered("known"),  # entropy: mastered, so last
        _r("due", True, T0 + 10 * DAY),  # entropy: box 2, due at T0 + 11 days
        # kl: 2 right of 5 answers (accuracy 0.4). Three misses keep kl-weak in box 1, then
        # right when due twice: box 2 at T0 + 8d (due T0 + 9d), box 3 at T0 + 9.5d (due
        # T0 + 12.5d), so not due yet.
        *(_r("kl-weak", False, T0 + d * DAY, topic="kl") for d in (1, 2, 3)),
        _r("kl-weak", True, T0 + 8 * DAY, topic="kl"),
        _r("kl-weak", True, T0 + 9 * DAY + timedelta(hours=12), topic="kl"),
        # ce: 1 right of 2 (accuracy 0.5): box 1, then box 2 at T0 + 11.5d (due T0 + 12.5d).
        _r("ce-weak", False, T0 + 10 * DAY, topic="ce"),
        _r("ce-weak", True, T0 + 11 * DAY + timedelta(hours=12), topic="ce"),
    ]
    topics = {
        "known": "entropy", "due": "entropy", "kl-weak": "kl", "ce-weak": "ce",
        "entropy-new-1": "entropy", "entropy-new-2": "entropy",
        "softmax-new-1": "softmax", "softmax-new-2": "softmax",
    }
    ids = sorted(topics)
    planner = SpacedPlanner(history, now=lambda: now)
    for seed in range(20):
        order = planner.plan(ids, topics, len(ids), True, random.Random(seed))
        # kl (0.4) is weaker than ce (0.5), though kl-weak sits in a higher box.
        assert order[:3] == ["due", "kl-weak", "ce-weak"]
        assert order[-1] == "known"
        new = order[3:7]
        assert set(new) == {"entropy-new-1", "entropy-new-2", "softmax-new-1", "softmax-new-2"}
        # Which topic starts is the rng's choice; after that they alternate: A, B, A, B.
        new_topics = [topics[q] for q in new]
        assert new_topics[0] != new_topics[1]
        assert new_topics[2:] == new_topics[:2]


def test_review_counts_a_question_as_due_at_the_very_moment_it_falls_due() -> None:
    # Right once at T0: box 2, due exactly one day later. At that moment it is due, so it
    # comes before the new question (were it not due yet, its strong topic would put it after).
    history = [_r("answered", True, T0)]
    topics = {"answered": "entropy", "new": "entropy"}
    planner = SpacedPlanner(history, now=lambda: T0 + DAY)
    for seed in range(5):
        assert planner.plan(["answered", "new"], topics, 2, True, random.Random(seed)) == [
            "answered", "new"
        ]


def test_the_same_rng_and_clock_give_the_same_plan() -> None:
    topics = {f"q{i}": ("entropy", "kl", "ce")[i % 3] for i in range(30)}
    history = [_r(f"q{i}", i % 4 != 0, T0 + i * timedelta(hours=5), topics[f"q{i}"])
               for i in range(0, 30, 2)]
    now = T0 + 5 * DAY
    for review in (True, False):
        plans = {
            tuple(SpacedPlanner(history, now=lambda: now).plan(
                sorted(topics), topics, 20, review, random.Random(3)))
            for _ in range(3)
        }
        assert len(plans) == 1
        # Among equals (here, the new questions) the rng decides.
        different = {
            tuple(SpacedPlanner(history, now=lambda: now).plan(
                sorted(topics), topics, 20, review, random.Random(seed)))
            for seed in range(10)
        }
        assert len(different) > 1


# ------------------------------------------------------------------ without --review


def test_without_review_unseen_and_failed_questions_win_over_mastered() -> None:
    history = [*_mastered("mastered-1"), *_mastered("mastered-2"),
               _r("failed", False, T0 + 11 * DAY)]
    topics = dict.fromkeys(("mastered-1", "mastered-2", "failed", "unseen"), "entropy")
    planner = SpacedPlanner(history, now=lambda: T0 + 12 * DAY)
    firsts = [planner.plan(sorted(topics), topics, 1, False, random.Random(seed))[0]
              for seed in range(400)]
    # Weights 4, 4, 1/4, 1/4: mastered questions still come up, rarely.
    assert firsts.count("failed") > 150
    assert firsts.count("unseen") > 150
    assert 0 < firsts.count("mastered-1") + firsts.count("mastered-2") < 60


def test_without_review_a_short_session_spreads_over_topics() -> None:
    topics = {f"{t}-{i}": t for t in ("entropy", "kl", "ce") for i in range(6)}
    planner = SpacedPlanner(now=lambda: T0)
    spread = [
        len({topics[q] for q in planner.plan(sorted(topics), topics, 3, False,
                                             random.Random(seed))})
        for seed in range(200)
    ]
    assert sum(spread) / len(spread) > 2.3  # uniform draws would give about 2.2


@given(
    answered=st.lists(st.tuples(st.integers(0, 11), st.booleans(), st.integers(0, 2000)),
                      max_size=40),
    count=st.integers(0, 15),
    review=st.booleans(),
    seed=st.integers(0, 2**32),
)
def test_a_plan_is_distinct_questions_from_the_pool(
    answered: list[tuple[int, bool, int]], count: int, review: bool, seed: int
) -> None:
    topics = {f"q{i}": ("entropy", "kl", "ce")[i % 3] for i in range(12)}
    history = [_r(f"q{i}", ok, T0 + timedelta(hours=h), topics[f"q{i}"])
               for i, ok, h in answered]
    planner = SpacedPlanner(history, now=lambda: T0 + 90 * DAY)
    pool = sorted(topics)[:10]
    plan = planner.plan(pool, topics, count, review, random.Random(seed))
    assert len(plan) == min(count, len(pool))
    assert len(set(plan)) == len(plan)
    assert set(plan) <= set(pool)


# ------------------------------------------------------------------ the summary


def test_summary_per_topic_and_overall() -> None:
    now = T0 + 12 * DAY
    history = [
        *_mastered("known"),
        _r("failed", False, T0 + 11 * DAY),
        _r("failed", False, T0 + 12 * DAY - timedelta(hours=1), skipped=True),
        _r("kl-1", True, T0 + 12 * DAY - timedelta(hours=2), topic="kl"),
    ]
    summary = summarize(history, now=now, tz=timezone.utc)
    assert (summary.answered, summary.correct, summary.skipped) == (7, 5, 1)
    assert summary.last_practiced == T0 + 12 * DAY - timedelta(hours=1)
    assert [(t.topic, t.answered, t.correct, t.skipped, t.questions, t.due_now, t.mastered)
            for t in summary.topics] == [
        ("entropy", 6, 4, 1, 2, 1, 1),
        ("kl", 1, 1, 0, 1, 0, 0),
    ]
    assert summary.topics[0].accuracy == 4 / 6
    assert summary.topics[1].last_practiced == T0 + 12 * DAY - timedelta(hours=2)
    assert (summary.due_now, summary.mastered, summary.questions) == (1, 1, 3)
    assert [(day.isoformat(), n) for day, n in summary.activity if n] == [
        ("2024-05-01", 1), ("2024-05-02", 1), ("2024-05-05", 1), ("2024-05-12", 2),
        ("2024-05-13", 2),
    ]
    assert summary.activity[0][0] == date(2024, 4, 30)
    assert summary.activity[-1][0] == date(2024, 5, 13)
    assert len(summary.activity) == 14


def test_summary_counts_a_question_as_due_at_the_very_moment_it_falls_due() -> None:
    # Right once at T0: box 2, due at T0 + 1 day. One microsecond before, nothing is due; at
    # T0 + 1 day exactly, it is.
    history = [_r("q", True, T0)]
    before = summarize(history, now=T0 + DAY - timedelta(microseconds=1), tz=timezone.utc)
    assert (before.due_now, before.topics[0].due_now) == (0, 0)
    at = summarize(history, now=T0 + DAY, tz=timezone.utc)
    assert (at.due_now, at.topics[0].due_now) == (1, 1)


def test_the_streak_counts_days_back_from_today_or_yesterday() -> None:
    days = [0, 1, 2, 4, 5, 6]  # a gap on day 3
    history = [_r("q", True, T0 + d * DAY) for d in days]
    assert summarize(history, now=T0 + 6 * DAY, tz=timezone.utc).streak_days == 3
    # Day 7 not practiced yet: yesterday's streak still stands until the day is over.
    assert summarize(history, now=T0 + 7 * DAY, tz=timezone.utc).streak_days == 3
    assert summarize(history, now=T0 + 8 * DAY, tz=timezone.utc).streak_days == 0
    assert summarize([], now=T0, tz=timezone.utc).streak_days == 0


def test_days_are_counted_in_the_users_time_zone() -> None:
    late = datetime(2024, 5, 1, 23, 30, tzinfo=timezone.utc)
    tokyo = timezone(timedelta(hours=9))
    summary = summarize([_r("q", True, late)], now=late, tz=tokyo)
    assert summary.activity[-1] == (date(2024, 5, 2), 1)
    assert summarize([_r("q", True, late)], now=late, tz=timezone.utc).activity[-1] == (
        date(2024, 5, 1), 1)


def test_an_empty_history_summarises_to_zeros() -> None:
    summary = summarize([], now=T0, tz=timezone.utc)
    assert (summary.answered, summary.accuracy, summary.last_practiced, summary.topics) == (
        0, None, None, ())
    assert [n for _, n in summary.activity] == [0] * 14

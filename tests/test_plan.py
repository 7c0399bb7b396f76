"""The plan to an interview date: the three rules worked by hand, what to do today,
and `xent plan` / `xent stats` / `xent quiz --review` following it."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta, timezone

import pytest
from messages import wrapped
from typer.testing import CliRunner

from xentcli.cli.app import app
from xentcli.cli.plan import _topic_order
from xentcli.quiz.bank import load_banks
from xentcli.quiz.plan import build_plan, plan_intervals, plan_states, states_until
from xentcli.quiz.records import AnswerRecord
from xentcli.quiz.schedule import Review, card_states
from xentcli.quiz.store import open_progress

UTC = timezone.utc
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
TODAY = NOW.date()


def _r(qid: str, topic: str, correct: bool, days_ago: float) -> Review:
    return Review(qid, topic, correct, NOW - timedelta(days=days_ago))


@pytest.mark.parametrize(
    ("days_left", "waits"),
    [(0, [0, 1, 1, 1, 1]), (2, [0, 1, 1, 1, 1]), (7, [0, 1, 2, 2, 2]),
     (9, [0, 1, 3, 3, 3]), (30, [0, 1, 3, 7, 10]), (63, [0, 1, 3, 7, 21]),
     (400, [0, 1, 3, 7, 21])],
)
def test_rule_1_no_wait_longer_than_a_third_of_the_days_left(days_left: int,
                                                           waits: list[int]) -> None:
    assert [w.days for w in plan_intervals(days_left)] == waits
    assert all(w.seconds == 0 for w in plan_intervals(days_left))


def test_rule_2_a_weak_topic_comes_back_the_next_day() -> None:
    # kl: 3 of 5 right (60%, weak); entropy: 5 of 5 right. 30 days left.
    kl = [_r("kl-a", "kl", False, 12), _r("kl-a", "kl", False, 11),
          _r("kl-b", "kl", True, 10), _r("kl-b", "kl", True, 9), _r("kl-b", "kl", True, 6)]
    entropy = [_r("h-a", "entropy", True, 6 - i) for i in range(5)]
    states = plan_states(kl + entropy, TODAY + timedelta(days=30), now=NOW, tz=UTC)
    # kl-b, right each time when due, with waits of at most 1 day: box 2 (due 9 days
    # ago), box 3 (due 8 days ago), box 4, due 1 day after 6 days ago.
    assert states["kl-b"].box == 4
    assert states["kl-b"].due == NOW - timedelta(days=6) + timedelta(days=1)
    # h-a right 6, 5, 4, 3 and 2 days ago under the plan's waits (0, 1, 3, 7, 10):
    # new -> box 2 (due 5 days ago) -> right when due: box 3 (due 2 days ago) ->
    # two early answers leave it there -> right when due: box 4, due 7 days later.
    assert states["h-a"].box == 4
    assert states["h-a"].due == NOW - timedelta(days=2) + timedelta(days=7)


def test_rule_3_nothing_is_due_on_or_after_the_interview_day() -> None:
    history = [_r("q", "entropy", True, 10 - i * 2) for i in range(5)]
    history.append(_r("q", "entropy", True, 1 / 24))  # an hour ago
    usual = card_states(history)["q"]
    assert usual.due.date() > TODAY + timedelta(days=1)  # the usual waits go past it
    # The interview is tomorrow: a wait of one day would land on its day.
    state = plan_states(history, TODAY + timedelta(days=1), now=NOW, tz=UTC)["q"]
    assert state.due == datetime(2026, 11, 27, 0, 0, tzinfo=UTC)  # today, the last day
    # Ten days ahead, the latest wait (3 days) ends before the date: nothing moves.
    far = plan_states(history, TODAY + timedelta(days=10), now=NOW, tz=UTC)["q"]
    assert far.due == history[-1].answered_at + timedelta(days=3)


def test_what_to_do_today() -> None:
    history = [_r("kl-a", "kl", False, 0.5), _r("h-a", "entropy", True, 0.4),
               _r("h-b", "entropy", True, 3)]
    topics = ["surprisal", "entropy", "cross-entropy", "kl", "bce", "focal", "units"]
    plan = build_plan(history, topics, TODAY + timedelta(days=3), now=NOW, tz=UTC,
                      interviews=[NOW - timedelta(days=3)])
    assert plan.days_left == 3 and plan.study_days == 3
    assert plan.waits == (0, 1, 1, 1, 1)
    assert plan.weak_topics == ("kl",)
    assert plan.unseen == ("surprisal", "cross-entropy", "bce", "focal", "units")
    assert plan.new_today == ("surprisal", "cross-entropy")  # 5 topics over 3 days
    # kl-a wrong (due now); h-b right 3 days ago (box 2, due 2 days ago); h-a due tomorrow.
    assert plan.due_today == 2
    assert plan.forecast == ((TODAY, 2), (TODAY + timedelta(days=1), 1),
                             (TODAY + timedelta(days=2), 0))
    assert plan.interview_today  # the last one was 3 days ago
    again = build_plan(history, topics, TODAY + timedelta(days=3), now=NOW, tz=UTC,
                       interviews=[NOW - timedelta(days=2)])
    assert not again.interview_today
    last_day = build_plan(history, topics, TODAY + timedelta(days=1), now=NOW, tz=UTC,
                          interviews=[NOW - timedelta(days=1)])
    assert last_day.interview_today  # the last day before the date
    assert last_day.new_today == last_day.unseen  # every topic, today


def test_a_passed_date_gives_the_usual_waits() -> None:
    history = [_r("q", "entropy", True, 1)]
    assert states_until(history, TODAY - timedelta(days=1), now=NOW, tz=UTC) is None
    assert states_until(history, None, now=NOW, tz=UTC) is None
    assert states_until(history, TODAY, now=NOW, tz=UTC) is not None
    plan = build_plan(history, ["entropy"], TODAY - timedelta(days=1), now=NOW, tz=UTC)
    assert plan.passed and plan.due_today == 0 and plan.forecast == ()


# --------------------------------------------------------------------- the commands


@pytest.fixture
def at_noon(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("xentcli.cli.plan._now", lambda: NOW)
    monkeypatch.setattr("xentcli.cli.stats._now", lambda: NOW)
    monkeypatch.setenv("TZ", "UTC")


def test_plan_sets_shows_and_clears_the_date(at_noon: None) -> None:
    runner = CliRunner()
    shown = runner.invoke(app, ["plan"])
    assert (shown.exit_code, shown.stdout) == (
        0, "No interview date set: xent plan --date YYYY-MM-DD sets one.\n")
    result = runner.invoke(app, ["plan", "--date", "2026-12-04"])
    assert result.exit_code == 0, result.stderr
    topics = _topic_order(list(load_banks(None).topics))
    start = topics[: math.ceil(len(topics) / 7)]  # every topic started in the 7 days
    assert result.stdout.splitlines()[:5] == [
        "Interview on Fri Dec 4, 2026: 7 days from today.",
        "Waits until then: 0, 1, 2, 2, 2 days by box (at most a third of the days left).",
        "Today:",
        f"  - start {len(start)} new topics: {', '.join(start)}",
        "    (xent learn surprisal, then xent quiz -t surprisal)",
    ]
    data = json.loads(runner.invoke(app, ["plan", "--json"]).stdout)["plan"]
    assert (data["date"], data["days_left"], data["waits_days"]) == ("2026-12-04", 7,
                                                                   [0, 1, 2, 2, 2])
    stats = json.loads(runner.invoke(app, ["stats", "--json"]).stdout)
    assert stats["plan"]["date"] == "2026-12-04"
    cleared = runner.invoke(app, ["plan", "--clear"])
    assert cleared.stdout == "Interview date cleared: reviews follow the usual waits.\n"
    assert json.loads(runner.invoke(app, ["plan", "--json"]).stdout) == {"plan": None}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--date", "12/04"], "Error: Invalid value for '--date': must be a date like "
                              "2026-12-04, not '12/04'. See 'xent plan --help'.\n"),
        (["--date", "2026-11-26"], "Error: Invalid value for '--date': 2026-11-26 has passed; "
                                   "give today or a later day. See 'xent plan --help'.\n"),
        (["--date", "2026-12-04", "--clear"], "Error: Invalid value for '--clear': cannot go "
                                              "with --date. See 'xent plan --help'.\n"),
    ],
)
def test_bad_dates_are_one_line(at_noon: None, args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["plan", *args])
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", wrapped(message))


def test_review_and_stats_follow_the_plan(at_noon: None,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # A question right twice, when due: box 3, due 3 days after the second answer
    # under the usual waits; with 4 days left the plan caps the wait at 1 day.
    recorder = open_progress().recorder()
    for days_ago in (3, 2):
        recorder.record(AnswerRecord("entropy-uniform", "entropy", "numeric", 1, {}, "1",
                                     "1.0", True,
                                     answered_at=NOW - timedelta(days=days_ago)))
    due = json.loads(CliRunner().invoke(app, ["stats", "--json"]).stdout)["due_now"]
    assert due == 0
    assert CliRunner().invoke(app, ["plan", "--date", "2026-12-01"]).exit_code == 0
    stats = json.loads(CliRunner().invoke(app, ["stats", "--json"]).stdout)
    assert stats["due_now"] == 1
    assert stats["plan"]["due_today"] == 1
    monkeypatch.setattr("xentcli.quiz.records.utc_now", lambda: NOW)
    quiz = CliRunner().invoke(app, ["quiz", "--review", "-n", "1", "--json"], input="quit\n")
    assert quiz.exit_code == 0, quiz.stderr
    assert "Question 1/1 · Entropy" in quiz.stderr.replace("─", "")
    assert quiz.stderr.startswith("Interview in 4 days: reviews are fitted to the date "
                                  "(xent plan: today's list).\n")

"""`xent plan`: set the interview date, and see what to do today to be ready by then.

The rule lives in :mod:`xentcli.quiz.plan`; this module parses the date, keeps
it in the progress store and renders the plan (``xent stats`` shows it too,
through :func:`render_plan` and :func:`plan_json`).
"""

from __future__ import annotations

import sys
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from xentcli.quiz.plan import StudyPlan
    from xentcli.quiz.schedule import Review


def _now() -> datetime:
    """The current time, in UTC: a function of its own so that tests can fix the clock."""
    return datetime.now(timezone.utc)


def _parse_date(text: str) -> date:
    try:
        when = date.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(f"must be a date like 2026-12-04, not {text!r}",
                                 param_hint="'--date'") from None
    return when


def _topic_order(topics: list[str]) -> list[str]:
    from xentcli.quiz.cards import TOPIC_ORDER

    rank = {t: i for i, t in enumerate(TOPIC_ORDER)}
    return sorted(topics, key=lambda t: (rank.get(t, len(rank)), t))


def make_plan(reviews: list[Review], exam: date, interviews: list[datetime], *,
              now: datetime) -> StudyPlan:
    """The plan for the shipped banks' topics, as of ``now`` in the local time zone."""
    from xentcli.quiz.bank import load_banks
    from xentcli.quiz.plan import build_plan

    tz = now.astimezone().tzinfo or timezone.utc
    topics = _topic_order(list(load_banks(None).topics))
    return build_plan(reviews, topics, exam, now=now, tz=tz, interviews=interviews)


def _day(day: date) -> str:
    return f"{day:%a} {day:%b} {day.day}, {day.year}"


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def render_plan(console: Console, plan: StudyPlan) -> None:
    """The plan in a few lines: the date, the waits, and what to do today."""
    from rich.markup import escape

    from xentcli.cli.stats import sparkline

    if plan.passed:
        console.print(f"Your interview date, {_day(plan.exam)}, has passed: set the next one "
                      "with [bold]xent plan --date[/], or [bold]xent plan --clear[/].")
        return
    if plan.days_left == 0:
        console.print(f"Your interview is today, {_day(plan.exam)}. A short warm-up: "
                      "[bold]xent quiz --review -n 5[/]. Good luck.")
        return
    console.print(f"Interview on [bold]{_day(plan.exam)}[/]: "
                  f"{_count(plan.days_left, 'day')} from today.")
    console.print(f"Waits until then: {', '.join(str(w) for w in plan.waits)} days by box "
                  "(at most a third of the days left).")
    if plan.weak_topics:
        console.print("Weak topics, back every day: "
                      f"{escape(', '.join(plan.weak_topics))}.")
    console.print("[bold]Today:[/]")
    todo = []
    if plan.due_today:
        todo.append(f"review {_count(plan.due_today, 'question')}: "
                    "[bold]xent quiz --review[/]")
    if plan.new_today:
        first = escape(plan.new_today[0])
        topics = escape(", ".join(plan.new_today))
        todo.append(f"start {_count(len(plan.new_today), 'new topic')}: {topics}\n"
                    f"    ([bold]xent learn {first}[/], then [bold]xent quiz -t {first}[/])")
    if plan.interview_today:
        todo.append("take a mock interview: [bold]xent interview[/]")
    if not todo:
        todo.append("nothing is due; [bold]xent quiz[/] brings new questions")
    for item in todo:
        console.print(f"  - {item}")
    if len(plan.forecast) > 1:
        counts = [n for _, n in plan.forecast]
        last = plan.forecast[-1][0]
        console.print(f"Due per day up to {last:%b} {last.day}: {sparkline(counts)} "
                      f"({_count(sum(counts), 'review')}).")
    left = len(plan.unseen) - len(plan.new_today)
    if left > 0:
        console.print(f"[dim]{_count(left, 'more topic')} to start before the date.[/]")


def plan_note(exam: date) -> str:
    """One line for ``xent quiz --review`` while an interview date is ahead."""
    days = (exam - _now().astimezone().date()).days
    when = "today" if days == 0 else f"in {_count(days, 'day')}"
    return f"[dim]Interview {when}: reviews are fitted to the date (xent plan: today's list).[/]"


def plan_json(plan: StudyPlan) -> dict[str, Any]:
    return {
        "date": plan.exam.isoformat(),
        "today": plan.today.isoformat(),
        "days_left": plan.days_left,
        "waits_days": list(plan.waits),
        "weak_topics": list(plan.weak_topics),
        "due_today": plan.due_today,
        "new_topics_today": list(plan.new_today),
        "unseen_topics": list(plan.unseen),
        "interview_today": plan.interview_today,
        "last_interview": None if plan.last_interview is None else plan.last_interview.isoformat(),
        "forecast": [{"date": d.isoformat(), "due": n} for d, n in plan.forecast],
    }


def plan(
    date_text: Annotated[
        str | None,
        typer.Option("--date", metavar="YYYY-MM-DD",
                     help="Your interview date: reviews are fitted into the days left."),
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Forget the interview date.")] = False,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the plan as one JSON object.")
    ] = False,
) -> None:
    """A plan to your interview date: what to review today, what to start.

    With a date set, no review waits longer than a third of the days left,
    weak topics (below 80% right) come back every day, nothing is due after
    the date, and every topic is started before it. `xent quiz --review`
    and `xent stats` follow the plan.
    """
    import json

    from xentcli.cli.console import out_console
    from xentcli.errors import StoreError
    from xentcli.quiz.store import open_progress, open_store
    from xentcli.quiz.store_interviews import read_exam_date, read_interviews, write_exam_date

    if date_text is not None and clear:
        raise typer.BadParameter("cannot go with --date", param_hint="'--clear'")
    now = _now()
    today = now.astimezone().date()
    exam = _parse_date(date_text) if date_text is not None else None
    if exam is not None and exam < today:
        raise typer.BadParameter(f"{exam.isoformat()} has passed; give today or a later day",
                                 param_hint="'--date'")
    if exam is not None or clear:
        open_progress()  # creates or upgrades the file
        store = open_store()
        if store is None:
            raise StoreError("cannot save the plan: the progress file could not be created")
        with store:
            if clear and read_exam_date(store) is None:
                out_console().print("No interview date was set.")
                return
            write_exam_date(store, exam)
        if clear:
            out_console().print("Interview date cleared: reviews follow the usual waits.")
            return
    store = open_store()
    reviews: list[Review] = []
    interviews: list[datetime] = []
    saved: date | None = None
    if store is not None:
        with store:
            saved = read_exam_date(store)
            reviews = store.reviews()
            interviews = [row.started_at for row in read_interviews(store)]
    if saved is None:
        if json_output:
            sys.stdout.write(json.dumps({"plan": None}) + "\n")
            return
        out_console().print("No interview date set: [bold]xent plan --date YYYY-MM-DD[/] "
                            "sets one.")
        return
    result = make_plan(reviews, saved, interviews, now=now)
    if json_output:
        sys.stdout.write(json.dumps({"plan": plan_json(result)}, ensure_ascii=False) + "\n")
        return
    render_plan(out_console(), result)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("plan")(plan)

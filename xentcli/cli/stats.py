"""`xent stats`: progress per topic, what is due, the streak; export and reset.

Everything is computed by :func:`xentcli.quiz.schedule.summarize` from the
answers in the progress store; this module only reads, renders and asks. The
store (and with it sqlite3) is imported inside the command, for start-up speed.
"""

from __future__ import annotations

import sys
from datetime import date, datetime, timezone, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.console import Console

    from xentcli.quiz.plan import StudyPlan
    from xentcli.quiz.schedule import CardState, ProgressSummary, Review
    from xentcli.quiz.store import DrillProgress, Store
    from xentcli.quiz.store_interviews import InterviewRow

_EXPORT_FORMATS = (".csv", ".json")
#: ``--export -`` writes the JSON history to standard output.
STDOUT = "-"
_LEVELS = "▁▂▃▄▅▆▇█"


def _now() -> datetime:
    """The current time, in UTC: a function of its own so that tests can fix the clock."""
    return datetime.now(timezone.utc)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds")


def _summary_json(summary: ProgressSummary, path: Path, sessions: int) -> dict[str, Any]:
    return {
        "answered": summary.answered,
        "correct": summary.correct,
        "skipped": summary.skipped,
        "accuracy": summary.accuracy,
        "sessions": sessions,
        "questions": summary.questions,
        "due_now": summary.due_now,
        "mastered": summary.mastered,
        "streak_days": summary.streak_days,
        "last_practiced": _iso(summary.last_practiced),
        "activity": [{"date": day.isoformat(), "answered": n} for day, n in summary.activity],
        "topics": {
            t.topic: {
                "answered": t.answered,
                "correct": t.correct,
                "skipped": t.skipped,
                "accuracy": t.accuracy,
                "questions": t.questions,
                "due_now": t.due_now,
                "mastered": t.mastered,
                "last_practiced": _iso(t.last_practiced),
            }
            for t in summary.topics
        },
        "database": str(path),
    }


def sparkline(counts: list[int]) -> str:
    """One character per day: ``·`` for none, else a bar scaled to the busiest day.

    >>> sparkline([0, 1, 4, 8])
    '·▁▄█'
    """
    top = max(counts, default=0)
    return "".join(
        "·" if n == 0 else _LEVELS[max(0, -(-n * len(_LEVELS) // top) - 1)] for n in counts
    )


def _ago(moment: datetime | None, today: date, tz: tzinfo) -> str:
    if moment is None:
        return "never"
    days = (today - moment.astimezone(tz).date()).days
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    if days < 14:
        return f"{days} days ago"
    return moment.astimezone(tz).date().isoformat()


def _noun(count: int, word: str) -> str:
    """The word after a count, with a space: ``" answer"`` for 1, ``" answers"`` else."""
    return f" {word}" if count == 1 else f" {word}s"


def _percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "-"


def _render(console: Console, summary: ProgressSummary, sessions: int, path: Path,
            tz: tzinfo) -> None:
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    today = summary.activity[-1][0]
    # A file from before sessions were recorded (schema v1) has answers in none.
    in_sessions = f", in {sessions}{_noun(sessions, 'session')}" if sessions else ""
    console.print(
        f"[bold]{summary.answered}[/]{_noun(summary.answered, 'answer')}, "
        f"{summary.correct} right ({_percent(summary.correct, summary.answered)})"
        f"{in_sessions}. "
        f"Streak: [bold]{summary.streak_days}[/]{_noun(summary.streak_days, 'day')}."
    )
    first, last = summary.activity[0][0], summary.activity[-1][0]
    counts = [n for _, n in summary.activity]
    console.print(
        f"Last {len(counts)} days: {first:%b} {first.day} {sparkline(counts)} "
        f"{last:%b} {last.day} ({sum(counts)}{_noun(sum(counts), 'answer')})"
    )
    table = Table(box=box.SIMPLE, show_edge=False, pad_edge=False, show_footer=True)
    table.add_column("Topic", footer="Total")
    table.add_column("Answered", justify="right", footer=str(summary.answered))
    table.add_column("Right", justify="right",
                     footer=_percent(summary.correct, summary.answered))
    table.add_column("Last practiced", footer=_ago(summary.last_practiced, today, tz))
    table.add_column("Due now", justify="right", footer=str(summary.due_now))
    table.add_column("Mastered", justify="right",
                     footer=f"{summary.mastered}/{summary.questions}")
    for t in summary.topics:
        table.add_row(escape(t.topic), str(t.answered), _percent(t.correct, t.answered),
                      _ago(t.last_practiced, today, tz), str(t.due_now),
                      f"{t.mastered}/{t.questions}")
    console.print()
    console.print(table)
    console.print()
    if summary.due_now:
        many = "question is" if summary.due_now == 1 else "questions are"
        console.print(f"{summary.due_now} {many} due for review: [bold]xent quiz --review[/]")
    else:
        console.print("Nothing is due for review; [bold]xent quiz[/] brings new questions.")
    console.print("[dim]Mastered: right four times in a row, each time when due.[/]")
    console.print(f"[dim]Progress file: {escape(str(path))}[/]", soft_wrap=True)


def _export(store: Store | None, target: Path) -> int:
    import csv
    import json

    from xentcli.cli.files import write_atomically
    from xentcli.quiz.store import EXPORT_FIELDS

    rows = store.history() if store is not None else iter(())
    written = 0

    def write(handle: TextIO) -> None:
        nonlocal written
        if target.suffix.lower() == ".csv" and str(target) != STDOUT:
            writer = csv.writer(handle)
            writer.writerow(EXPORT_FIELDS)
            for row in rows:
                writer.writerow([_csv_cell(row[name]) for name in EXPORT_FIELDS])
                written += 1
        else:
            handle.write('{"answers": [')
            for row in rows:
                handle.write(",\n  " if written else "\n  ")
                handle.write(json.dumps(row, ensure_ascii=False, allow_nan=False))
                written += 1
            handle.write("\n]}\n" if written else "]}\n")

    if str(target) == STDOUT:
        write(sys.stdout)
        sys.stdout.flush()
    else:
        write_atomically(target, write)
    return written


def _csv_cell(value: Any) -> str:
    import json

    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _confirmed(console: Console, question: str) -> bool:
    from rich.markup import escape

    console.print(escape(f"{question} [y/N] "), end="", soft_wrap=True)
    line = sys.stdin.readline(1000)  # a yes or a no: a longer line is neither
    if not sys.stdin.isatty():  # the answer was not echoed: end the prompt's line
        console.print()
    return line.strip().lower() in ("y", "yes")


def stats(
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the progress as one JSON object.")
    ] = False,
    export: Annotated[
        Path | None,
        typer.Option("--export", metavar="PATH",
                     help="Write every recorded answer to PATH (.csv or .json; "
                          "- writes JSON to standard output)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Let --export replace an existing PATH.")
    ] = False,
    reset: Annotated[
        bool, typer.Option("--reset", help="Delete all recorded progress (asks first).")
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask before --reset deletes.")
    ] = False,
) -> None:
    """Your progress: per topic, what is due for review, your daily streak.

    A question you get right comes back after 1 day, then 3, 7 and 21 days,
    moving one step each time it is right when due (four steps: mastered); a
    wrong answer or a skip brings it back at once. `xent quiz --review` asks
    what is due first. Progress is kept in $XENT_HOME/progress.db, else in
    your user data folder.

    With --export or --reset, the summary is not printed; --export runs
    before --reset, so both together keep a copy of what is deleted.
    """
    import json

    from rich.markup import escape

    from xentcli.cli.console import err_console, out_console
    from xentcli.cli.files import check_new_file
    from xentcli.quiz.schedule import summarize
    from xentcli.quiz.store import default_path, open_store
    from xentcli.quiz.store_interviews import read_exam_date, read_interviews
    from xentcli.quiz.store_summary import summary as store_summary

    if export is not None:
        if str(export) != STDOUT:
            check_new_file(export, "--export", _EXPORT_FORMATS, force=force)
        elif json_output:  # both would write to standard output
            raise typer.BadParameter("'-' cannot go with --json", param_hint="'--export'")
    elif force:
        raise typer.BadParameter("only goes with --export", param_hint="'--force'")
    if yes and not reset:
        raise typer.BadParameter("only goes with --reset", param_hint="'--yes'")
    path = default_path()
    store = open_store(path)
    try:
        if export is not None or reset:
            _export_and_reset(store, path, export, reset, yes, json_output)
            return
        if store is not None and store.note:
            note = escape(store.note)
            err_console().print(f"[yellow]Note:[/] {note}; showing it read-only.", soft_wrap=True)
        now = _now()
        tz = now.astimezone().tzinfo or timezone.utc
        exam = read_exam_date(store) if store is not None else None
        # Aggregated in SQL (start-up does not grow with the history); a file
        # edited by hand is replayed answer by answer, which names a bad row, and
        # so is the plan to an interview date.
        quick = (store_summary(store, now=now, tz=tz)
                 if store is not None and exam is None else None)
        reviews = store.reviews() if store is not None and quick is None else []
        sessions = store.session_count() if store is not None else 0
        interviews = read_interviews(store) if store is not None else []
        drills = _drill_progress(store)
    finally:
        if store is not None:
            store.close()
    summary = quick if quick is not None else summarize(
        reviews, now=now, tz=tz, states=_plan_states(reviews, exam, now, tz))
    plan = _study_plan(reviews, exam, interviews, now)
    if json_output:
        report = _summary_json(summary, path, sessions)
        report.update(_interviews_json(interviews, plan))
        report["drills"] = _drills_json(drills)
        sys.stdout.write(json.dumps(report, ensure_ascii=False, allow_nan=False) + "\n")
    elif not summary.answered:
        out_console().print("No progress yet: answers are saved as you take [bold]xent quiz[/].")
        _render_drills(out_console(), drills)
        _render_plan_and_interviews(out_console(), interviews, plan, today=now.astimezone(tz))
    else:
        _render(out_console(), summary, sessions, path, tz)
        _render_drills(out_console(), drills)
        _render_plan_and_interviews(out_console(), interviews, plan, today=now.astimezone(tz))


# ------------------------------------------------------------- coding drills
# `xent drill check` results (their own table); kept apart from the quiz's summary.


def _drill_progress(store: Store | None) -> list[DrillProgress]:
    from xentcli.quiz.store import drill_progress

    return drill_progress(store) if store is not None else []


def _shipped_drill_count() -> int:
    from xentcli.drill.tasks import drills_dir

    try:
        return len(list(drills_dir().glob("*.yaml")))
    except Exception:  # a missing folder is `xent drill`'s error to report, not stats'
        return 0


def _drills_json(drills: list[DrillProgress]) -> dict[str, Any]:
    return {
        "passed": sum(d.passed for d in drills),
        "total": _shipped_drill_count(),
        "attempts": sum(d.attempts for d in drills),
        "by_drill": {
            d.drill: {"attempts": d.attempts, "passes": d.passes, "passed": d.passed,
                      "last_attempt": _iso(d.last_attempt)}
            for d in drills
        },
    }


def _render_drills(console: Console, drills: list[DrillProgress]) -> None:
    import textwrap

    from rich.markup import escape

    if not drills:
        return
    passed = [d.drill for d in drills if d.passed]
    checks = sum(d.attempts for d in drills)
    console.print(
        f"Coding drills: {len(passed)} of {_shipped_drill_count()} passed, in {checks} "
        f"check{'' if checks == 1 else 's'} ([bold]xent drill list[/])."
    )
    if passed:
        for line in textwrap.wrap("Passed: " + ", ".join(passed), 78,
                                  subsequent_indent="  ", break_on_hyphens=False):
            console.print(escape(line), soft_wrap=True)


def _export_and_reset(store: Store | None, path: Path, export: Path | None, reset: bool,
                      yes: bool, json_output: bool = False) -> None:
    from rich.markup import escape

    from xentcli.cli.console import err_console, out_console

    err = err_console()
    # With --json, stdout carries one object: what was written and deleted.
    report: dict[str, Any] = {"database": str(path)}
    if export is not None:
        written = _export(store, export)
        what = "answer" if written == 1 else "answers"
        where = "standard output" if str(export) == STDOUT else escape(str(export))
        err.print(f"Wrote {written} {what} to {where}.", soft_wrap=True)
        report.update(exported=written, export=str(export))
    if reset:
        report["deleted"] = _reset(store, path, yes, say=_silent if json_output else
                                   lambda text: out_console().print(text))
    if json_output:
        import json

        sys.stdout.write(json.dumps(report, ensure_ascii=False) + "\n")


def _silent(text: str) -> None:
    del text


def _reset(store: Store | None, path: Path, yes: bool, say: Callable[[str], None]) -> int:
    """Delete the progress (after asking, unless ``yes``); how many answers went."""
    from xentcli.cli.console import err_console

    count = 0 if store is None else store.count()
    if store is None or count == 0:
        say("No progress to delete.")
        return 0
    what = "the 1 recorded answer" if count == 1 else f"all {count} recorded answers"
    if not yes and not _confirmed(err_console(),
                                  f"Delete {what} in {path}? This cannot be undone."):
        say("Nothing deleted.")
        return 0
    gone = store.reset()
    say(f"Deleted {gone} recorded answer{'' if gone == 1 else 's'}.")
    return gone


# ------------------------------------------- mock interviews and the plan to a date


def _plan_states(reviews: list[Review], exam: date | None, now: datetime,
                 tz: tzinfo) -> dict[str, CardState] | None:
    """With an interview date ahead, what is due follows the plan's waits."""
    from xentcli.quiz.plan import states_until

    return states_until(reviews, exam, now=now, tz=tz)


def _study_plan(reviews: list[Review], exam: date | None, interviews: list[InterviewRow],
                now: datetime) -> StudyPlan | None:
    if exam is None:
        return None
    from xentcli.cli.plan import make_plan

    return make_plan(reviews, exam, [row.started_at for row in interviews], now=now)


def _interviews_json(interviews: list[InterviewRow], plan: StudyPlan | None) -> dict[str, Any]:
    from xentcli.cli.plan import plan_json
    from xentcli.quiz.readiness import verdict

    return {
        "interviews": [
            {
                "started_at": _iso(row.started_at),
                "minutes": row.minutes,
                "planned": row.planned,
                "asked": row.asked,
                "correct": row.correct,
                "timed_out": row.timed_out,
                "finished": row.finished,
                "readiness": row.readiness,
                "verdict": verdict(row.readiness),
                "topics": {
                    topic: item.get("readiness")
                    for topic, item in dict(row.report.get("readiness") or {}).items()
                    if isinstance(item, dict)
                },
            }
            for row in interviews
        ],
        "plan": None if plan is None else plan_json(plan),
    }


def readiness_line(readiness: list[float]) -> str:
    """The readiness of each interview, oldest first, as bars on a 0-100% scale.

    >>> readiness_line([0.0, 0.5, 1.0])
    '▁▅█'
    """
    return "".join(_LEVELS[min(len(_LEVELS) - 1, int(r * len(_LEVELS)))] for r in readiness)


def _render_plan_and_interviews(console: Console, interviews: list[InterviewRow],
                                plan: StudyPlan | None, today: datetime) -> None:
    from xentcli.quiz.readiness import verdict

    if interviews:
        last = interviews[-1]
        shown = interviews[-20:]
        trend = readiness_line([row.readiness for row in shown])
        first = round(100 * shown[0].readiness)
        console.print()
        console.print(
            f"Mock interviews: [bold]{len(interviews)}[/]. Readiness {trend} "
            + (f"{first}% to " if len(shown) > 1 else "")
            + f"{round(100 * last.readiness)}% ({verdict(last.readiness)}); last "
            f"{_ago(last.started_at, today.date(), today.tzinfo or timezone.utc)}, "
            f"{last.correct} of {last.asked} right."
        )
    if plan is not None:
        from xentcli.cli.plan import render_plan

        console.print()
        render_plan(console, plan)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("stats")(stats)

"""`xent bank list` and `xent bank check`: what the question banks hold, and whether
they are valid."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from xentcli.cli.status import ExitStatus

bank_app = typer.Typer(
    name="bank",
    help="List and check the question banks of `xent quiz`.",
    no_args_is_help=True,
)


@bank_app.command("list", short_help="Topics and how many numeric, choice and open questions.")
def list_banks(
    bank: Annotated[
        list[Path] | None,
        typer.Option(
            "--bank", exists=True, metavar="PATH",
            help="List this bank file or folder instead of the shipped ones (repeat for more).",
        ),
    ] = None,
    json_output: Annotated[
        bool,
        typer.Option("--json", help="Print every topic and question (id, kind, level, "
                                    "mistakes) as JSON."),
    ] = False,
) -> None:
    """Show each topic with its number of numeric, choice and open questions."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    from xentcli.cli.console import out_console
    from xentcli.quiz.bank import KINDS, load_banks

    loaded = load_banks(bank or None)
    if json_output:
        import json

        listing = {"topics": [
            {"id": topic.id, "title": topic.title, "questions": [
                {"id": q.id, "kind": q.kind, "level": q.level, "mistakes": len(q.mistakes)}
                for q in topic.questions
            ]}
            for topic in loaded.topics.values()
        ]}
        sys.stdout.write(json.dumps(listing, ensure_ascii=False) + "\n")
        return
    table = Table(box=box.SIMPLE, show_edge=False, pad_edge=False, show_footer=True)
    totals = dict.fromkeys(KINDS, 0)
    rows = []
    for topic in loaded.topics.values():
        counts = {k: sum(q.kind == k for q in topic.questions) for k in KINDS}
        for k in KINDS:
            totals[k] += counts[k]
        rows.append((topic.id, topic.title, counts))
    table.add_column("Topic", footer=f"{len(rows)} topic{'s' if len(rows) != 1 else ''}")
    table.add_column("Title")
    for k in KINDS:
        table.add_column(k.capitalize(), justify="right", footer=str(totals[k]))
    table.add_column("Total", justify="right", footer=str(sum(totals.values())))
    for topic_id, title, counts in rows:
        table.add_row(
            escape(topic_id), escape(title), *(str(counts[k]) for k in KINDS),
            str(sum(counts.values())),
        )
    out_console().print(table)


@bank_app.command("check", short_help="Validate banks; list every problem with file and id.")
def check_banks(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(exists=True, show_default=False, metavar="PATH",
                       help="Bank files or folders (default: the shipped banks)."),
    ] = None,
) -> None:
    """Validate banks: structure, kinds, answers, ids, params, and every formula and
    template drawn for 20 seeds. Lists every problem and exits 1 if there is any."""
    from xentcli.quiz import bank as banks

    loaded, problems = banks.check_banks(paths or None)
    if problems:
        # Plain lines, never wrapped: `file:line: ...` is what editors and grep expect.
        for problem in problems:
            sys.stdout.write(f"{problem}\n")
        count = len(problems)
        sys.stdout.write(f"Found {count} problem{'s' if count > 1 else ''}.\n")
        raise typer.Exit(int(ExitStatus.ERROR))
    questions = loaded.questions
    kinds = ", ".join(
        f"{sum(q.kind == k for q in questions)} {k}" for k in banks.KINDS
    )
    topics = len(loaded.topics)
    sys.stdout.write(
        f"OK: {topics} topic{'s' if topics != 1 else ''}, {len(questions)} "
        f"question{'s' if len(questions) != 1 else ''} "
        f"({kinds}), {banks.CHECK_SEEDS} draws each.\n"
    )


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(bank_app, name="bank")

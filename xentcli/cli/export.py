"""`xent export anki`: the question banks and concept cards as flashcards.

The notes are built by :mod:`xentcli.export.notes` and written by
:mod:`xentcli.export.anki` (genanki, imported only here) or
:mod:`xentcli.export.csv`; this module checks the file name and says what was
written.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from xentcli.cli.completion import complete_topic

export_app = typer.Typer(
    name="export",
    help="Export the questions and concept cards for flashcard tools.",
    no_args_is_help=True,
)


class Format(str, Enum):
    apkg = "apkg"
    csv = "csv"


@export_app.command("anki")
def anki(
    file_name: Annotated[
        str, typer.Argument(metavar="FILE", help="Where to write: FILE.apkg (or FILE.csv).",
                             show_default=False)
    ],
    topic: Annotated[
        list[str] | None,
        typer.Option("--topic", "-t", metavar="TOPIC", autocompletion=complete_topic,
                     help="Only this topic (repeat for more); see `xent bank list`."),
    ] = None,
    variants: Annotated[
        int,
        typer.Option("--variants", min=1, max=20, metavar="N",
                     help="Notes per numeric question, each with its own numbers."),
    ] = 3,
    format_: Annotated[
        Format | None,
        typer.Option("--format", metavar="apkg|csv",
                     help="apkg (Anki) or csv (other tools); default: FILE's ending."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace FILE if it exists.")
    ] = False,
) -> None:
    """Write the questions and concept cards as an Anki deck (or CSV).

    A note per question (numeric ones as N variants, each with its answer and
    worked solution), a note per concept card, tagged by topic, kind and
    level. Note ids are stable: importing a newer export updates your notes
    instead of duplicating them.
    """
    from rich.markup import escape

    from xentcli.cli.console import err_console
    from xentcli.cli.files import check_new_file, write_atomically
    from xentcli.errors import InputError
    from xentcli.export.notes import collect_notes
    from xentcli.quiz.bank import load_banks
    from xentcli.quiz.cards import list_cards
    from xentcli.quiz.session import _topic_id

    file = Path(file_name)
    chosen = format_.value if format_ is not None else file.suffix.lower().lstrip(".")
    if format_ is not None and file.suffix.lower() != f".{chosen}":
        raise InputError(f"{file} must end in .{chosen} for --format {chosen}")
    check_new_file(file, "FILE", (".apkg", ".csv"), force=force)
    bank = load_banks(None)
    topics = [_topic_id(bank, t) for t in topic or ()]
    notes = collect_notes(bank, list_cards(), topics=topics, variants=variants)
    if chosen == "apkg":
        from xentcli.export.anki import write_apkg

        write_apkg(notes, file)
    else:
        from xentcli.export.csv import write_csv

        write_atomically(file, lambda handle: write_csv(notes, handle))
    questions = len({n.key[1] for n in notes if n.key[0] == "question"})
    cards = sum(n.kind == "card" for n in notes)
    def count(n: int, word: str) -> str:
        return f"{n} {word}" + ("" if n == 1 else "s")

    err_console().print(
        f"Wrote {count(len(notes), 'note')} ({count(questions, 'question')}, "
        f"{count(cards, 'concept card')}) to {escape(str(file))}.", soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add ``xent export`` and its commands to the root app."""
    app.add_typer(export_app, name="export")

"""An Anki package (.apkg) of the notes, made with genanki (the ``anki`` extra).

The model, the deck and every note have fixed or derived ids: the model and
deck ids below never change, and a note's GUID is ``genanki.guid_for`` of its
stable key (question id and variant, or card topic). Importing a newer export
into Anki therefore updates the notes it already has instead of duplicating
them. genanki is imported only here, when an export is made.
"""

from __future__ import annotations

import contextlib
import html
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xentcli.errors import ExportError, InputError
from xentcli.export.notes import Note

__all__ = ["DECK_ID", "DECK_NAME", "MODEL_ID", "guid", "write_apkg"]

#: Fixed ids: the same on every export, so that Anki matches them up.
MODEL_ID = 1_718_093_540
DECK_ID = 1_718_093_541
DECK_NAME = "xent: cross-entropy interview questions"
MISSING = ("the Anki export needs the genanki package: pip install 'xentcli[anki]' "
           "(or export with --format csv)")

_CSS = """\
.card { font-family: sans-serif; font-size: 18px; text-align: left;
        white-space: pre-wrap; color: black; background-color: white; }
.source { margin-top: 1em; font-size: 12px; color: grey; }
"""


def _genanki() -> Any:
    try:
        import genanki
    except ImportError:
        raise ExportError(MISSING) from None
    return genanki


def guid(note: Note) -> str:
    """The note's GUID in Anki: ``genanki.guid_for`` of its stable key."""
    return str(_genanki().guid_for("xent", *note.key))


def _field(text: str) -> str:
    # Anki fields are HTML: escape the text and keep its line breaks.
    return html.escape(text).replace("\n", "<br>")


def _model(genanki: Any) -> Any:
    return genanki.Model(
        MODEL_ID,
        "xent question",
        fields=[{"name": "Front"}, {"name": "Back"}, {"name": "Source"}],
        templates=[{
            "name": "Card 1",
            "qfmt": "{{Front}}",
            "afmt": '{{FrontSide}}<hr id="answer">{{Back}}<div class="source">{{Source}}</div>',
        }],
        css=_CSS,
    )


def write_apkg(notes: Sequence[Note], path: Path) -> None:
    """Write the notes to ``path`` as one deck, whole or not at all.

    Raises:
        ExportError: genanki is not installed.
        InputError: the file cannot be written.
    """
    genanki = _genanki()
    model = _model(genanki)
    deck = genanki.Deck(DECK_ID, DECK_NAME)
    for note in notes:
        deck.add_note(genanki.Note(
            model=model,
            fields=[_field(note.front), _field(note.back), _field(note.source)],
            tags=list(note.tags),
            guid=genanki.guid_for("xent", *note.key),
        ))
    temp: Path | None = None
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        os.close(fd)
        temp = Path(name)
        genanki.Package(deck).write_to_file(str(temp))
        umask = os.umask(0o022)
        os.umask(umask)
        temp.chmod(0o666 & ~umask)  # mkstemp makes it private; a saved file is not
        os.replace(temp, path)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        if temp is not None:
            with contextlib.suppress(OSError):
                temp.unlink(missing_ok=True)

"""The notes as CSV, for flashcard tools other than Anki.

One row per note: ``id`` (the stable key, joined with ``:``), ``topic``,
``level`` (empty for a concept card), ``kind``, ``front``, ``back``, ``tags``
(space-separated) and ``source``. Text keeps its line breaks inside quoted
fields, as the csv module writes them.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from typing import TextIO

from xentcli.export.notes import Note

__all__ = ["CSV_FIELDS", "write_csv"]

CSV_FIELDS = ("id", "topic", "level", "kind", "front", "back", "tags", "source")


def write_csv(notes: Sequence[Note], handle: TextIO) -> None:
    """Write a header and one row per note."""
    writer = csv.writer(handle)
    writer.writerow(CSV_FIELDS)
    for note in notes:
        writer.writerow([
            ":".join(note.key), note.topic, "" if note.level is None else note.level,
            note.kind, note.front, note.back, " ".join(note.tags), note.source,
        ])

"""`xent export anki`: the .apkg opened as the zip + SQLite collection it is, its notes
read back and compared with the banks; stable ids across exports; CSV; safe writing."""

from __future__ import annotations

import csv
import html
import sqlite3
import sys
import zipfile
from pathlib import Path

import genanki
import pytest
from messages import wrapped
from typer.testing import CliRunner, Result

from xentcli.cli.app import app
from xentcli.export.notes import reflow, variant_seed
from xentcli.quiz.bank import load_banks
from xentcli.quiz.cards import list_cards


def _export(*args: str) -> Result:
    return CliRunner().invoke(app, ["export", "anki", *args])


def _notes(apkg: Path, tmp: Path) -> dict[str, tuple[list[str], set[str]]]:
    """guid -> (fields as text, tags), read straight from the package's SQLite file."""
    with zipfile.ZipFile(apkg) as package:
        assert "collection.anki2" in package.namelist()
        package.extract("collection.anki2", tmp)
    conn = sqlite3.connect(tmp / "collection.anki2")
    try:
        rows = conn.execute("SELECT guid, flds, tags FROM notes").fetchall()
        cards = conn.execute("SELECT count(*) FROM cards").fetchone()[0]
    finally:
        conn.close()
    assert cards == len(rows)  # one card per note
    return {
        guid: ([html.unescape(f.replace("<br>", "\n")) for f in fields.split("\x1f")],
               set(tags.split()))
        for guid, fields, tags in rows
    }


def test_the_package_holds_a_note_per_question_variant_and_card(tmp_path: Path) -> None:
    deck = tmp_path / "deck.apkg"
    result = _export(str(deck), "-t", "entropy", "-t", "KL", "--variants", "3")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    bank = load_banks(None)
    questions = [q for q in bank.questions if q.topic in ("entropy", "kl")]
    cards = [c for c in list_cards() if c.topic in ("entropy", "kl")]
    expected = sum(3 if q.kind == "numeric" and q.params else 1 for q in questions)
    expected += len(cards)
    assert result.stderr == (f"Wrote {expected} notes ({len(questions)} questions, "
                             f"{len(cards)} concept cards) to {deck}.\n")
    notes = _notes(deck, tmp_path)
    assert len(notes) == expected
    for q in questions:
        variants = 3 if q.kind == "numeric" and q.params else 1
        for variant in range(1, variants + 1):
            inst = q.instantiate(variant_seed(q.id, variant))
            front, back, source = notes[genanki.guid_for("xent", "question", q.id,
                                                         str(variant))][0]
            tags = notes[genanki.guid_for("xent", "question", q.id, str(variant))][1]
            assert tags == {"xent", f"topic::{q.topic}", f"kind::{q.kind}",
                            f"level::{q.level}"}
            assert front.startswith(reflow(inst.prompt))
            if q.kind == "numeric":
                assert back.startswith(f"Answer: {inst.expected_text()}")
                assert reflow(inst.explanation) in back  # the worked solution
                assert source == (q.id if variants == 1 else f"{q.id} (variant {variant})")
            elif q.kind == "choice":
                letter = inst.expected_text()
                assert f"\n{letter}. {inst.choices['ABCDEF'.index(letter)]}" in front
                assert back.startswith(f"Answer: {letter}. ")
            else:
                assert back.startswith(reflow(str(inst.expected)))
                assert back.endswith("\n".join(f"- {' '.join(p.split())}"
                                                for p in inst.key_points))
    # Variants of a numeric question with parameters have their own numbers.
    numeric = next(q for q in questions if q.kind == "numeric" and q.params)
    fronts = {notes[genanki.guid_for("xent", "question", numeric.id, str(v))][0][0]
              for v in (1, 2, 3)}
    assert len(fronts) == 3
    for card in cards:
        fields, tags = notes[genanki.guid_for("xent", "card", card.topic)]
        assert fields[0] == f"{card.title}\n\n{card.summary}"
        assert tags == {"xent", f"topic::{card.topic}", "kind::card"}


def test_a_second_export_has_the_same_note_ids_and_contents(tmp_path: Path) -> None:
    first, second = tmp_path / "a.apkg", tmp_path / "b.apkg"
    assert _export(str(first), "-t", "cross-entropy").exit_code == 0
    assert _export(str(second), "-t", "cross-entropy").exit_code == 0
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    assert _notes(first, tmp_path / "one") == _notes(second, tmp_path / "two")
    with zipfile.ZipFile(first) as package:
        package.extract("collection.anki2", tmp_path)
    conn = sqlite3.connect(tmp_path / "collection.anki2")
    try:
        models = conn.execute("SELECT models FROM col").fetchone()[0]
        decks = conn.execute("SELECT decks FROM col").fetchone()[0]
    finally:
        conn.close()
    assert '"1718093540"' in models and '"1718093541"' in decks  # fixed ids


def test_an_existing_file_is_replaced_only_with_force(tmp_path: Path) -> None:
    deck = tmp_path / "deck.apkg"
    deck.write_bytes(b"keep me")
    result = _export(str(deck), "-t", "entropy")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == wrapped(f"Error: {deck} already exists; add --force to replace it\n")
    assert deck.read_bytes() == b"keep me"
    assert _export(str(deck), "-t", "entropy", "--force").exit_code == 0
    assert zipfile.is_zipfile(deck)
    assert [p.name for p in tmp_path.iterdir()] == ["deck.apkg"]  # no temporary file left


def test_a_failed_write_leaves_the_old_file_whole(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    deck = tmp_path / "deck.apkg"
    deck.write_bytes(b"old deck")

    def half_then_fail(self: object, file: str, timestamp: float | None = None) -> None:
        Path(file).write_bytes(b"PK half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(genanki.Package, "write_to_file", half_then_fail)
    result = _export(str(deck), "-t", "entropy", "--force")
    assert result.exit_code == 2
    assert result.stderr == wrapped(f"Error: cannot write {deck}: No space left on device\n")
    assert deck.read_bytes() == b"old deck"
    assert [p.name for p in tmp_path.iterdir()] == ["deck.apkg"]


def test_without_genanki_one_line_and_exit_2(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "genanki", None)  # import genanki fails
    deck = tmp_path / "deck.apkg"
    result = _export(str(deck))
    assert result.exit_code == 2
    assert result.stderr == wrapped("Error: the Anki export needs the genanki package: pip install "
                             "'xentcli[anki]' (or export with --format csv)\n")
    assert not deck.exists()
    # CSV needs no genanki.
    assert _export(str(tmp_path / "deck.csv"), "-t", "entropy").exit_code == 0


def test_csv_has_the_same_notes_with_their_stable_ids(tmp_path: Path) -> None:
    table = tmp_path / "deck.csv"
    result = _export(str(table), "--format", "csv", "-t", "focal", "--variants", "2")
    assert result.exit_code == 0, result.stderr
    with table.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    apkg = tmp_path / "deck.apkg"
    assert _export(str(apkg), "-t", "focal", "--variants", "2").exit_code == 0
    notes = _notes(apkg, tmp_path)
    assert len(rows) == len(notes)
    for row in rows:
        fields, tags = notes[genanki.guid_for("xent", *row["id"].split(":"))]
        assert [row["front"], row["back"], row["source"]] == fields
        assert set(row["tags"].split()) == tags
        assert row["topic"] == "focal"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["deck.txt"], "Error: deck.txt must end in .apkg or .csv (the format follows the "
                       "name)\n"),
        (["deck.apkg", "--format", "csv"], "Error: deck.apkg must end in .csv for --format "
                                           "csv\n"),
        (["deck.apkg", "-t", "entropie"], "Error: unknown topic 'entropie'. Did you mean "
                                          "'entropy'? 'xent bank list' lists the topics.\n"),
    ],
)
def test_bad_exports_are_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  args: list[str], message: str) -> None:
    monkeypatch.chdir(tmp_path)
    result = _export(*args)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", wrapped(message))
    assert list(tmp_path.iterdir()) == []

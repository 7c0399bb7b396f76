"""`xent stats`: the summary, --json, --export and --reset, through CliRunner."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from xentcli.cli import stats as stats_module
from xentcli.cli.app import app
from xentcli.quiz.records import AnswerRecord
from xentcli.quiz.store import open_progress, open_store

# A fixed clock at noon, local time (a naive datetime's astimezone reads it as local), so
# that "today", "yesterday" and the 14 days of activity never depend on when the tests run:
# no midnight and no change of summer time falls between an answer and "now".
NOW = datetime(2024, 5, 15, 12, 0).astimezone(timezone.utc)


@pytest.fixture(autouse=True)
def _fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """`xent stats` reads the time through stats._now: every test here sees NOW."""
    monkeypatch.setattr(stats_module, "_now", lambda: NOW)


def _stats(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(app, ["stats", *args], input=input)


def _strict_json(text: str) -> Any:
    def refuse(name: str) -> None:
        raise ValueError(f"not strict JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def _db() -> Path:
    return Path(os.environ["XENT_HOME"]) / "progress.db"


def _record(*answers: tuple[str, str, bool, float], skipped: bool = False) -> None:
    """One session of (question id, topic, correct, days ago) answers."""
    recorder = open_progress().recorder()
    for qid, topic, correct, days_ago in answers:
        recorder.record(AnswerRecord(
            question_id=qid, topic=topic, kind="numeric", seed=7, params={"p": [0.5, 0.5]},
            given=None if skipped else "1", expected="0.693147", correct=correct,
            skipped=skipped, seconds=2.5, answered_at=NOW - timedelta(days=days_ago),
        ))


def _three_sessions() -> None:
    _record(("ent-1", "entropy", True, 2), ("ent-2", "entropy", False, 2))
    _record(("ent-1", "entropy", True, 1), ("kl-1", "kl", True, 1))
    _record(("ent-2", "entropy", False, 0), ("kl-2", "kl", False, 0), skipped=True)


# ------------------------------------------------------------------ no progress yet


def test_no_progress_yet_is_not_an_error_and_creates_nothing() -> None:
    result = _stats()
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == "No progress yet: answers are saved as you take xent quiz.\n"
    assert not _db().parent.exists()


def test_no_progress_yet_in_json() -> None:
    result = _stats("--json")
    assert (result.exit_code, result.stderr) == (0, "")
    report = _strict_json(result.stdout)
    assert (report["answered"], report["topics"], report["accuracy"]) == (0, {}, None)
    assert [day["answered"] for day in report["activity"]] == [0] * 14
    assert report["database"] == str(_db())
    assert not _db().exists()


# ------------------------------------------------------------------ the summary


def test_json_counts_every_answer_and_breaks_them_down_by_topic() -> None:
    _three_sessions()
    result = _stats("--json")
    assert (result.exit_code, result.stderr) == (0, "")
    report = _strict_json(result.stdout)
    assert {k: report[k] for k in ("answered", "correct", "skipped", "sessions", "questions",
                                   "due_now", "mastered", "streak_days")} == {
        "answered": 6, "correct": 3, "skipped": 2, "sessions": 3, "questions": 4,
        "due_now": 3, "mastered": 0, "streak_days": 3,
    }
    assert report["accuracy"] == 0.5
    assert report["topics"]["entropy"] == {
        "answered": 4, "correct": 2, "skipped": 1, "accuracy": 0.5, "questions": 2,
        "due_now": 1, "mastered": 0,
        "last_practiced": (NOW.replace(microsecond=0)).isoformat(),
    }
    # ent-1: right when due, so box 3 (due in 2 days); ent-2: wrong, due at once.
    # kl-1: right a day ago, box 2, due again by now; kl-2: skipped, due at once.
    assert report["topics"]["kl"]["answered"] == 2
    assert report["topics"]["kl"]["due_now"] == 2
    assert [day["answered"] for day in report["activity"]][-3:] == [2, 2, 2]
    assert sum(day["answered"] for day in report["activity"]) == 6


def test_one_answer_is_counted_in_the_singular() -> None:
    _record(("ent-1", "entropy", True, 0))
    lines = _stats().stdout.splitlines()
    assert lines[0] == "1 answer, 1 right (100%), in 1 session. Streak: 1 day."
    assert lines[1].endswith(" (1 answer)")


def test_the_table_fits_80_columns_and_names_each_topic() -> None:
    _three_sessions()
    result = _stats()
    assert (result.exit_code, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    # Only the file's path may run past 80 columns: it is not broken, for copying.
    assert max(len(line) for line in lines[:-1]) <= 80
    assert lines[0] == "6 answers, 3 right (50%), in 3 sessions. Streak: 3 days."
    assert lines[1].startswith("Last 14 days: ")
    assert lines[1].endswith(" " + "·" * 11 + "███ " + _day(NOW) + " (6 answers)")
    table = [" ".join(line.split()) for line in lines[3:9]]
    assert table == [
        "Topic Answered Right Last practiced Due now Mastered",
        "─" * 64,
        "entropy 4 50% today 1 0/2",
        "kl 2 50% today 2 0/2",
        "─" * 64,
        "Total 6 50% today 3 0/4",
    ]
    assert lines[-3:] == [
        "3 questions are due for review: xent quiz --review",
        "Mastered: right four times in a row, each time when due.",
        f"Progress file: {_db()}",
    ]


def _day(moment: datetime) -> str:
    local = moment.astimezone()
    return f"{local:%b} {local.day}"


def _table(stdout: str) -> list[str]:
    """The table's rows (header, topics, total), spaces squeezed, without the rules."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("Topic"))
    end = next(i for i, line in enumerate(lines) if line.lstrip().startswith("Total"))
    return [" ".join(line.split()) for line in lines[start:end + 1] if "─" not in line]


def test_last_practiced_says_yesterday_then_days_ago_then_the_date() -> None:
    # Pins the "Last practiced" labels: 1 day back is "yesterday", 5 days back is
    # "5 days ago", and 20 days back (past the two-week cutoff) is the plain date. NOW is
    # noon on 15 May 2024, local time, so 20 days before is 25 April 2024, whatever the zone.
    # The total row shows the most recent topic's label.
    _record(("q-1", "one", False, 1), ("q-5", "five", False, 5), ("q-20", "twenty", False, 20))
    result = _stats()
    assert (result.exit_code, result.stderr) == (0, "")
    assert _table(result.stdout) == [
        "Topic Answered Right Last practiced Due now Mastered",
        "five 1 0% 5 days ago 1 0/1",
        "one 1 0% yesterday 1 0/1",
        "twenty 1 0% 2024-04-25 1 0/1",
        "Total 3 0% yesterday 3 0/3",
    ]


def test_percentages_are_rounded_not_truncated() -> None:
    # 2 right out of 3 is 66.7%: shown as 67%, both in the first line and in the table.
    _record(("q-1", "entropy", True, 0), ("q-2", "entropy", True, 0),
            ("q-3", "entropy", False, 0))
    result = _stats()
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines()[0] == (
        "3 answers, 2 right (67%), in 1 session. Streak: 1 day."
    )
    # q-3 was missed: back in box 1, due at once; q-1 and q-2 wait a day.
    assert _table(result.stdout)[1:] == [
        "entropy 3 67% today 1 0/3",
        "Total 3 67% today 1 0/3",
    ]


def test_sparkline_rounds_a_part_of_the_busiest_day_to_the_nearest_bar() -> None:
    # The busiest day gets the full bar █ (level 8 of 8); a day with 1 answer against 3 gets
    # 8 / 3 = 2.67 of the 8 levels, so the 3rd bar, ▃ (rounding down would give ▂).
    # No answers is ·.
    assert stats_module.sparkline([1, 3]) == "▃█"
    assert stats_module.sparkline([0, 1, 3]) == "·▃█"


def test_topics_from_the_store_are_not_read_as_markup() -> None:
    _record(("q", "[bold]odd[/bold]", True, 0))
    result = _stats()
    assert "[bold]odd[/bold]" in result.stdout


# ------------------------------------------------------------------ export


def test_export_csv_has_the_full_history(tmp_path: Path) -> None:
    _three_sessions()
    target = tmp_path / "history.csv"
    result = _stats("--export", str(target))
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == f"Wrote 6 answers to {target}.\n"
    with target.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 6
    assert list(rows[0]) == ["id", "session_id", "answered_at", "question_id", "topic", "kind",
                             "seed", "params", "given", "expected", "correct", "skipped",
                             "seconds", "hints", "diagnosis"]
    assert rows[0]["question_id"] == "ent-1"
    assert (rows[0]["correct"], rows[0]["skipped"], rows[0]["given"]) == ("true", "false", "1")
    assert json.loads(rows[0]["params"]) == {"p": [0.5, 0.5]}
    assert (rows[-1]["skipped"], rows[-1]["given"], rows[-1]["session_id"]) == ("true", "", "3")


def test_export_json_has_the_full_history(tmp_path: Path) -> None:
    _three_sessions()
    target = tmp_path / "history.JSON"
    result = _stats("--export", str(target))
    assert result.exit_code == 0
    answers = _strict_json(target.read_text(encoding="utf-8"))["answers"]
    with open_store() as store:  # type: ignore[union-attr]
        assert answers == list(store.history())
    assert len(answers) == 6


def test_export_of_no_progress_writes_an_empty_history(tmp_path: Path) -> None:
    target = tmp_path / "none.json"
    result = _stats("--export", str(target))
    assert (result.exit_code, result.stderr) == (0, f"Wrote 0 answers to {target}.\n")
    assert _strict_json(target.read_text()) == {"answers": []}
    assert not _db().exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--export", "history.txt"],
         "Error: history.txt must end in .csv or .json (the format follows the name)\n"),
        (["--export", "history"],
         "Error: history must end in .csv or .json (the format follows the name)\n"),
        (["--export", "/nonexistent-folder/h.csv"],
         "Error: cannot write /nonexistent-folder/h.csv: No such file or directory\n"),
        (["--export", ""], "Error: --export needs a file name\n"),
        (["--export", "."], "Error: --export needs a file name\n"),
        (["--export", "/"], "Error: --export needs a file name\n"),
        (["--export", "/tmp"], "Error: /tmp is a folder; --export needs a file name\n"),
        (["--yes"],
         "Error: Invalid value for '--yes': only goes with --reset. See 'xent stats --help'.\n"),
        (["--force"],
         "Error: Invalid value for '--force': only goes with --export. "
         "See 'xent stats --help'.\n"),
    ],
)
def test_usage_errors(args: list[str], message: str) -> None:
    _record(("q", "t", True, 0))
    result = _stats(*args)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", message)


# ------------------------------------------------------------------ reset


def _count() -> int:
    with open_store() as store:  # type: ignore[union-attr]
        return store.count()


@pytest.mark.parametrize("answer", ["n\n", "\n", "", "yes please\n"])
def test_reset_keeps_everything_unless_confirmed(answer: str) -> None:
    _three_sessions()
    result = _stats("--reset", input=answer)
    # Declining is an answer, not a failure: exit 0.
    assert (result.exit_code, result.stdout) == (0, "Nothing deleted.\n")
    assert result.stderr == (
        f"Delete all 6 recorded answers in {_db()}? This cannot be undone. [y/N] \n"
    )
    assert _count() == 6


def test_reset_of_one_answer_asks_in_the_singular() -> None:
    _record(("q", "t", True, 0))
    result = _stats("--reset", input="n\n")
    assert (result.exit_code, result.stdout) == (0, "Nothing deleted.\n")
    assert result.stderr == (
        f"Delete the 1 recorded answer in {_db()}? This cannot be undone. [y/N] \n"
    )
    assert _count() == 1


@pytest.mark.parametrize("answer", ["y\n", "YES\n"])
def test_reset_deletes_after_a_yes(answer: str) -> None:
    _three_sessions()
    result = _stats("--reset", input=answer)
    assert (result.exit_code, result.stdout) == (0, "Deleted 6 recorded answers.\n")
    assert _count() == 0
    assert _strict_json(_stats("--json").stdout)["answered"] == 0
    assert _db().exists()  # emptied, not removed: a running quiz keeps saving into it


def test_reset_with_yes_does_not_ask_and_export_runs_first(tmp_path: Path) -> None:
    _three_sessions()
    target = tmp_path / "backup.json"
    result = _stats("--reset", "--yes", "--export", str(target))
    assert (result.exit_code, result.stdout) == (0, "Deleted 6 recorded answers.\n")
    assert result.stderr == f"Wrote 6 answers to {target}.\n"
    assert len(_strict_json(target.read_text())["answers"]) == 6
    assert _count() == 0


@pytest.mark.parametrize("args", [["--reset"], ["--reset", "--yes"]])
def test_reset_with_no_progress_has_nothing_to_delete(args: list[str]) -> None:
    result = _stats(*args, input="y\n")
    assert (result.exit_code, result.stdout, result.stderr) == (
        0, "No progress to delete.\n", "")
    assert not _db().exists()


def test_reset_of_an_emptied_file_does_not_ask() -> None:
    _three_sessions()
    assert _stats("--reset", "--yes").exit_code == 0
    result = _stats("--reset", input="y\n")
    assert (result.exit_code, result.stdout, result.stderr) == (
        0, "No progress to delete.\n", "")
    assert _count() == 0


# ------------------------------------------------------------------ nothing is overwritten


def test_export_refuses_an_existing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _three_sessions()
    monkeypatch.chdir(tmp_path)
    Path("notes.csv").write_bytes(b"my own notes\r\n")
    result = _stats("--export", "notes.csv")
    assert (result.exit_code, result.stdout, result.stderr) == (
        2, "", "Error: notes.csv already exists; add --force to replace it\n")
    assert Path("notes.csv").read_bytes() == b"my own notes\r\n"


def test_export_force_replaces_an_existing_file(tmp_path: Path) -> None:
    _three_sessions()
    target = tmp_path / "history.json"
    target.write_text("old", encoding="utf-8")
    result = _stats("--export", str(target), "--force")
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == f"Wrote 6 answers to {target}.\n"
    assert len(_strict_json(target.read_text(encoding="utf-8"))["answers"]) == 6
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.json", "xent-home"]


def test_a_refused_export_deletes_nothing(tmp_path: Path) -> None:
    _three_sessions()
    target = tmp_path / "backup.csv"
    target.write_text("older backup", encoding="utf-8")
    result = _stats("--export", str(target), "--reset", "--yes")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"Error: {target} already exists; add --force to replace it\n"
    assert target.read_text(encoding="utf-8") == "older backup"
    assert _count() == 6


@pytest.mark.parametrize("ending", ["", "-wal", "-shm"])
@pytest.mark.parametrize("force", [[], ["--force"]])
def test_export_never_writes_over_the_progress_file(ending: str, force: list[str]) -> None:
    _three_sessions()
    target = _db().with_name(_db().name + ending)
    target.touch()  # the -wal and -shm files may be gone once the store is closed
    before = {p.name: p.read_bytes() for p in _db().parent.iterdir()}
    result = _stats("--export", str(target), *force)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"Error: {target} is your progress file; choose another name\n"
    assert {p.name: p.read_bytes() for p in _db().parent.iterdir()} == before
    assert _count() == 6


def test_export_sees_through_a_link_to_the_progress_file(tmp_path: Path) -> None:
    _three_sessions()
    link = tmp_path / "history.csv"
    link.symlink_to(_db())
    before = _db().read_bytes()
    result = _stats("--export", str(link), "--force")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"Error: {link} is your progress file; choose another name\n"
    assert _db().read_bytes() == before


def test_a_failed_export_leaves_the_old_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from xentcli.errors import StoreError
    from xentcli.quiz.store import Store

    _three_sessions()
    target = tmp_path / "history.json"
    target.write_text("last week's export", encoding="utf-8")
    history = Store.history

    def failing(self: Store) -> Any:
        yield next(history(self))
        raise StoreError("the disk went away")

    monkeypatch.setattr(Store, "history", failing)
    result = _stats("--export", str(target), "--force")
    assert (result.exit_code, result.stdout, result.stderr) == (
        2, "", "Error: the disk went away\n")
    assert target.read_text(encoding="utf-8") == "last week's export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.json", "xent-home"]


# ------------------------------------------------------------------ damaged file


@pytest.mark.parametrize("args", [[], ["--json"], ["--reset", "--yes"]])
def test_a_damaged_file_is_reported_and_left_untouched(args: list[str]) -> None:
    _db().parent.mkdir(parents=True)
    _db().write_bytes(b"PK\x03\x04 a zip file saved under the wrong name" * 50)
    before = _db().read_bytes()
    result = _stats(*args)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f"Error: the progress file {_db()} is not an SQLite database; it was left untouched. "
        "Move it aside to start afresh, or quiz with --no-save\n"
    )
    assert _db().read_bytes() == before
    assert sorted(p.name for p in _db().parent.iterdir()) == ["progress.db"]


def test_help_describes_the_schedule() -> None:
    result = _stats("--help")
    assert result.exit_code == 0
    for option in ("--json", "--export", "--force", "--reset", "--yes"):
        assert option in result.stdout
    assert "comes back after 1 day, then 3, 7 and 21 days" in " ".join(result.stdout.split())


def test_the_cli_does_not_load_sqlite_at_start_up() -> None:
    code = "import sys, xentcli.cli.app; print('sqlite3' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout == "False\n"

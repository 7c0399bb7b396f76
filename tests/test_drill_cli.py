"""`xent drill list|show|start|check|solution`, through CliRunner: exit codes,
stdout and stderr apart, exact error lines, and the progress it records."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from messages import wrapped
from typer.testing import CliRunner, Result

from xentcli.cli.app import app
from xentcli.drill.tasks import list_drills, load_drill
from xentcli.quiz.store import MIGRATIONS, SCHEMA_VERSION, default_path, open_store

NAMES = [d.name for d in list_drills()]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def _drill(*args: str) -> Result:
    return CliRunner().invoke(app, ["drill", *args])


def _strict(text: str) -> Any:
    def refuse(name: str) -> None:
        raise ValueError(f"not strict JSON: {name}")

    return json.loads(text, parse_constant=refuse)


# ------------------------------------------------------------------ list, show, solution


def test_list_shows_every_drill_and_nothing_passed_yet() -> None:
    result = _drill("list")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == f"Coding drills (0 of {len(NAMES)} passed):"
    for name in NAMES:
        assert any(line.startswith(f"  {name} ") for line in lines), name
    assert max(len(line) for line in lines) <= 80


def test_list_json() -> None:
    result = _drill("list", "--json")
    assert result.exit_code == 0
    data = _strict(result.stdout)
    assert sorted(d["name"] for d in data["drills"]) == sorted(NAMES)
    softmax = next(d for d in data["drills"] if d["name"] == "softmax")
    assert softmax == {"name": "softmax", "title": "Softmax", "level": 1,
                       "signature": "softmax(z)", "attempts": 0, "passed": False}


def test_show_gives_the_signature_and_an_example_worked_by_the_core() -> None:
    import xentcli.core as core

    result = _drill("show", "softmax")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Write: def softmax(z)" in out
    assert "    z = [1, 2, 3]\n" in out
    expected = core.softmax([1.0, 2.0, 3.0])
    shown = out.split("softmax(z) = [", 1)[1].split("]", 1)[0]
    assert np.allclose([float(x) for x in shown.split(",")], expected, rtol=1e-9, atol=0)
    assert max(len(line) for line in out.splitlines()) <= 80


@pytest.mark.parametrize("name", NAMES)
def test_show_and_solution_fit_80_columns(name: str) -> None:
    for command in ("show", "solution"):
        result = _drill(command, name)
        assert result.exit_code == 0, result.stderr
        assert max(len(line) for line in result.stdout.splitlines()) <= 80, (command, name)


def test_solution_code_is_the_reference_and_the_reasoning_follows() -> None:
    drill = load_drill("entropy")
    code = _drill("solution", "entropy", "--code")
    assert code.exit_code == 0
    assert code.stdout == drill.solution
    full = _drill("solution", "entropy")
    assert "    def entropy(p):\n" in full.stdout
    assert "\nWhy it works:\n" in full.stdout


@pytest.mark.parametrize(("name", "message"), [
    ("sofmax", "Error: no drill named 'sofmax'; did you mean softmax? (xent drill list "
               "shows them all)\n"),
    ("zebra", "Error: no drill named 'zebra' (xent drill list shows them all)\n"),
])
def test_an_unknown_drill_is_one_line_exit_2(name: str, message: str) -> None:
    for command in ("show", "start", "solution"):
        result = _drill(command, name)
        assert result.exit_code == 2
        assert result.stdout == ""
        assert result.stderr == wrapped(message)


# ----------------------------------------------------------------------------- start


def test_start_writes_the_starter_and_never_replaces_without_force(tmp_path: Path) -> None:
    first = _drill("start", "softmax")
    assert first.exit_code == 0, first.stderr
    assert first.stdout == ("Wrote softmax.py: write softmax, then run\n"
                            "  xent drill check softmax.py\n")
    target = tmp_path / "softmax.py"
    assert target.read_text() == load_drill("softmax").starter()
    target.write_text("# my work\n")
    again = _drill("start", "softmax")
    assert again.exit_code == 2
    assert again.stderr == wrapped("Error: softmax.py already exists; add --force to replace it "
                            "(your work in it would be lost)\n")
    assert target.read_text() == "# my work\n"
    forced = _drill("start", "softmax", "--force")
    assert forced.exit_code == 0
    assert target.read_text() == load_drill("softmax").starter()


@pytest.mark.parametrize("name", NAMES)
def test_the_empty_starter_fails_with_a_clear_message(name: str, tmp_path: Path) -> None:
    assert _drill("start", name).exit_code == 0
    result = _drill("check", f"{name}.py", "--no-save")
    assert result.exit_code == 1, result.stderr
    assert f"NotImplementedError: write {name} here" in result.stdout
    assert ("hint        this is still the starter: replace the raise\n"
            "                  NotImplementedError line with your code.") in result.stdout
    assert result.stdout.endswith("1 of 8 tests passed. Fix the one above and check again.\n")


# ----------------------------------------------------------------------------- check


def _solution(name: str, file: str | None = None) -> Path:
    path = Path(file or f"{name}.py")
    path.write_text(load_drill(name).solution)
    return path


def test_check_passes_the_reference_exit_0_and_records_it() -> None:
    _solution("logsumexp")
    result = _drill("check", "logsumexp.py")
    assert result.exit_code == 0, result.stdout
    assert result.stderr == ""
    assert result.stdout == (
        "Checking logsumexp.py (drill logsumexp):\n"
        + "".join(f"  ✓ {name}\n" for name in ("load", "examples", "random", "shapes",
                                               "stability", "no-warnings", "float32",
                                               "vectorised"))
        + "\nAll 8 tests passed: logsumexp is done.\n"
    )
    listed = _strict(_drill("list", "--json").stdout)["drills"]
    assert next(d for d in listed if d["name"] == "logsumexp") == {
        "name": "logsumexp", "title": "Log-sum-exp", "level": 1, "signature": "logsumexp(z)",
        "attempts": 1, "passed": True}
    assert "✓ logsumexp " in _drill("list").stdout


def test_check_a_failure_exit_1_with_the_hint() -> None:
    drill = load_drill("log_softmax")
    Path("log_softmax.py").write_text(drill.mistakes[0].code)
    result = _drill("check", "log_softmax.py", "--no-save")
    assert result.exit_code == 1
    assert result.stderr == ""
    out = result.stdout
    assert "  ✗ stability: logits of +-1000\n" in out
    assert "      input       z = [[1000, 0, -1000], [1000, 1000, 1000]]\n" in out
    assert "      given       [[0, -inf, -inf], [-1.09861, -1.09861, -1.09861]]\n" in out
    assert ("      hint        log(softmax(z)) gave log 0 = -inf: use z - logsumexp(z), with\n"
            "                  the row's maximum taken out first.\n") in out
    assert out.endswith("4 of 8 tests passed. Fix the one above and check again.\n")
    assert max(len(line) for line in out.splitlines()) <= 80


def test_check_json_is_strict_and_alone_on_stdout() -> None:
    Path("entropy.py").write_text(load_drill("entropy").mistakes[0].code)
    result = _drill("check", "entropy.py", "--json", "--no-save")
    assert result.exit_code == 1
    data = _strict(result.stdout)
    assert data["drill"] == "entropy" and data["passed"] is False
    assert data["tests"][-1]["name"] == "stability"
    assert data["tests"][-1]["passed"] is False
    assert "nan" in data["tests"][-1]["message"]


def test_check_infers_the_drill_from_the_file_name_or_takes_drill() -> None:
    _solution("softmax", "softmax_v2.py")
    assert _drill("check", "softmax_v2.py", "--no-save").exit_code == 0
    _solution("softmax", "mine.py")
    result = _drill("check", "mine.py", "--no-save")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == wrapped("Error: cannot tell which drill mine.py is for: name the file "
                             "after the drill (softmax.py) or add --drill NAME\n")
    assert _drill("check", "mine.py", "--drill", "softmax", "--no-save").exit_code == 0
    # The longest name wins: log_softmax.py is not a softmax file.
    _solution("log_softmax", "log_softmax_try.py")
    assert _drill("check", "log_softmax_try.py", "--no-save").exit_code == 0


@pytest.mark.parametrize(("files", "args", "stderr"), [
    ({}, ["nope.py"], "Error: cannot tell which drill nope.py is for: name the file after "
                      "the drill (softmax.py) or add --drill NAME\n"),
    ({}, ["softmax.py"], "Error: softmax.py: no such file\n"),
    ({"softmax.py": "def soft(z):\n    return z\n"}, ["softmax.py"],
     "Error: softmax.py defines no function named softmax (it defines soft)\n"),
    ({"x.py": ""}, ["x.py", "--drill", "softmx"],
     "Error: no drill named 'softmx'; did you mean softmax? (xent drill list shows them "
     "all)\n"),
])
def test_bad_input_to_check_is_one_line_exit_2(files: dict[str, str], args: list[str],
                                               stderr: str) -> None:
    for name, text in files.items():
        Path(name).write_text(text)
    result = _drill("check", *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == wrapped(stderr)
    assert not default_path().exists()  # nothing recorded


def test_a_syntax_error_is_a_failed_test_not_bad_input() -> None:
    Path("softmax.py").write_text("def softmax(z):\n    return z +\n")
    result = _drill("check", "softmax.py", "--no-save")
    assert result.exit_code == 1
    assert "  ✗ load\n" in result.stdout
    assert ("      error       syntax error in softmax.py, line 2: invalid syntax\n"
            "      line        return z +\n") in result.stdout


def test_a_hang_is_reported_with_the_time_limit() -> None:
    Path("softmax.py").write_text("def softmax(z):\n    while True:\n        pass\n")
    result = _drill("check", "softmax.py", "--timeout", "0.5", "--no-save")
    assert result.exit_code == 1
    assert "      error       your function did not return within 0.5 s\n" in result.stdout


# -------------------------------------------------------------------------- progress


def test_attempts_and_passes_reach_stats() -> None:
    Path("entropy.py").write_text(load_drill("entropy").mistakes[0].code)
    assert _drill("check", "entropy.py").exit_code == 1
    _solution("entropy")
    assert _drill("check", "entropy.py").exit_code == 0
    stats = CliRunner().invoke(app, ["stats", "--json"])
    assert stats.exit_code == 0, stats.stderr
    drills = _strict(stats.stdout)["drills"]
    assert drills["passed"] == 1 and drills["attempts"] == 2 and drills["total"] == len(NAMES)
    assert drills["by_drill"]["entropy"]["attempts"] == 2
    assert drills["by_drill"]["entropy"]["passes"] == 1
    text = CliRunner().invoke(app, ["stats"]).stdout
    assert text.endswith(f"Coding drills: 1 of {len(NAMES)} passed, in 2 checks (xent drill "
                         "list).\nPassed: entropy\n")
    assert " · " not in _drill("list").stdout.splitlines()[2]


def test_no_save_records_nothing() -> None:
    _solution("entropy")
    assert _drill("check", "entropy.py", "--no-save").exit_code == 0
    assert not default_path().exists()


def test_a_v2_file_keeps_every_answer_when_drills_arrive() -> None:
    path = default_path()
    path.parent.mkdir(parents=True)
    conn = sqlite3.connect(path)
    for step in MIGRATIONS[:2]:
        for statement in step:
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 2")
    conn.executemany(
        "INSERT INTO answers (question_id, topic, kind, seed, params, given, expected, "
        "correct, skipped, seconds, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(f"q{i}", "entropy", "numeric", i, "{}", "1", "1", 1, 0, 1.0,
          f"2024-05-0{1 + i}T10:00:00.000000+00:00") for i in range(5)],
    )
    conn.commit()
    columns = ("id, question_id, topic, kind, seed, params, given, expected, correct, "
               "skipped, seconds, answered_at, session_id")  # v2's (later steps may add some)
    before = conn.execute(f"SELECT {columns} FROM answers ORDER BY id").fetchall()
    conn.close()
    _solution("entropy")
    assert _drill("check", "entropy.py").exit_code == 0
    conn = sqlite3.connect(path)
    try:
        assert conn.execute(f"SELECT {columns} FROM answers ORDER BY id").fetchall() == before
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("SELECT drill, passed FROM drill_attempts").fetchall() == [
            ("entropy", 1)]
    finally:
        conn.close()
    with open_store() as store:  # type: ignore[union-attr]
        assert store.count() == 5


def test_stats_reset_deletes_drill_attempts_too() -> None:
    _solution("entropy")
    assert _drill("check", "entropy.py").exit_code == 0
    with open_store() as store:  # type: ignore[union-attr]
        store.reset()
    assert _strict(_drill("list", "--json").stdout)["drills"][0]["attempts"] == 0


def test_a_damaged_store_does_not_hide_the_results() -> None:
    path = default_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a database at all")
    _solution("entropy")
    result = _drill("check", "entropy.py")
    assert result.exit_code == 0
    assert result.stdout.endswith("All 8 tests passed: entropy is done.\n")
    assert result.stderr == (
        f"Note: the progress file {path} is not an SQLite database; it was left untouched. "
        "Move it aside to start afresh, or quiz with --no-save; this check was not saved\n")
    listed = _drill("list")
    assert listed.exit_code == 0
    assert listed.stdout.startswith(f"Coding drills (0 of {len(NAMES)} passed):")
    assert listed.stderr.startswith("Note: the progress file ")
    assert path.read_bytes() == b"not a database at all"

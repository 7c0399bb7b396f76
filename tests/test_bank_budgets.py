"""Small banks that ask for minutes of work or gigabytes: every draw has a budget.

Each formula is bounded on its own; these banks chain many bounded formulas.
They are written in tmp_path, run as a user would (a child process with a time
limit: the failure guarded against is a hang), and must end in a few seconds
with one problem that names the question and the budget.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from xentcli.errors import BankError
from xentcli.quiz import question as question_module
from xentcli.quiz.bank import check_banks, load_banks
from xentcli.quiz.budget import CHECK_STEPS, DRAW_STEPS, Budget, BudgetExceeded

DRAW_PROBLEM = (
    "question '{id}': one draw (seed 0) needs more than 300,000 steps of work, the most a "
    "draw may take; use fewer or smaller lets, or a require that holds more often"
)


def _bank(folder: Path, topic: str, question: str) -> Path:
    path = folder / f"{topic}.yaml"
    path.write_text(f"topic: {topic}\ntitle: T\nsummary: S.\nquestions:\n{question}")
    return path


def _chain(folder: Path, topic: str, count: int, size: int = 1000,
           require: str = "> 2") -> Path:
    """``count`` lets after ``a0``, each the softmax of the one before, and a require
    that never holds (by default)."""
    lets = "".join(f"      a{i}: softmax(a{i - 1})\n" for i in range(1, count + 1))
    return _bank(folder, topic, (
        f"  - id: {topic}\n    kind: numeric\n    prompt: What?\n"
        f"    let:\n      a0: onehot({size}, 1)\n{lets}"
        f"    require:\n      - a{count}[0] {require}\n"
        f"    answer: a{count}[0]\n    explanation: It is.\n"
    ))


def _placeholders(folder: Path, topic: str, count: int, body: str) -> Path:
    prompt = ("{" + body + "}") * count
    return _bank(folder, topic, (
        f"  - id: {topic}\n    kind: numeric\n    prompt: '{prompt}'\n"
        "    answer: 1\n    explanation: It is.\n"
    ))


def _run(*args: str, cwd: Path) -> tuple[int, str, str, int]:
    """(exit code, stdout, stderr, peak RSS in MB) of one ``xent`` run, killed after 60 s."""
    out_path, err_path = cwd / "stdout.txt", cwd / "stderr.txt"
    with out_path.open("w") as out, err_path.open("w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "xentcli", *args], cwd=cwd,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                env={**os.environ, "COLUMNS": "80"})
    deadline = time.monotonic() + 60
    while True:  # wait4, not wait: the rusage of this child alone
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            raise AssertionError(f"xent {' '.join(args)} ran for more than 60 s")
        time.sleep(0.02)
    proc.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait for it again
    peak_mb = usage.ru_maxrss // 1024  # KB on Linux
    return proc.returncode, out_path.read_text(), err_path.read_text(), peak_mb


def test_two_hundred_chained_lets_are_refused_before_drawing(tmp_path: Path) -> None:
    # 47 s before the limits: 200 softmax lets, redrawn 200 times for 20 seeds.
    _chain(tmp_path, "chain", 200)
    code, out, err, _ = _run("bank", "check", "chain.yaml", cwd=tmp_path)
    assert (code, err) == (1, "")
    assert out == ("chain.yaml:8: question 'chain': let may have at most 100 entries, "
                   "not 201\nFound 1 problem.\n")


def test_thirty_thousand_chained_lets_are_refused_in_bounded_memory(tmp_path: Path) -> None:
    # 0.9 MB of lets: 1.27 GB and more than 150 s before the limits.
    _chain(tmp_path, "chain", 30_000)
    code, out, err, peak_mb = _run("bank", "check", "chain.yaml", cwd=tmp_path)
    assert (code, err) == (1, "")
    assert out == ("chain.yaml:8: question 'chain': let may have at most 100 entries, "
                   "not 30,001\nFound 1 problem.\n")
    assert peak_mb < 250, f"peak RSS {peak_mb} MB"


def test_a_hundred_chained_lets_with_an_impossible_require_stop_at_the_draw_budget(
    tmp_path: Path,
) -> None:
    # Within every static limit; each try costs 200,000 steps, and a require
    # that never holds would redraw it 200 times for each of 20 seeds.
    _chain(tmp_path, "chain", 99)
    code, out, err, peak_mb = _run("bank", "check", "chain.yaml", cwd=tmp_path)
    assert (code, err) == (1, "")
    assert out == f"chain.yaml:5: {DRAW_PROBLEM.format(id='chain')}\nFound 1 problem.\n"
    assert peak_mb < 250, f"peak RSS {peak_mb} MB"


def test_a_prompt_of_many_costly_placeholders_stops_at_the_draw_budget(tmp_path: Path) -> None:
    _placeholders(tmp_path, "ph", 3000, "softmax(onehot(1000, 1))")
    code, out, err, _ = _run("bank", "check", "ph.yaml", cwd=tmp_path)
    assert (code, err) == (1, "")
    assert out == f"ph.yaml:5: {DRAW_PROBLEM.format(id='ph')}\nFound 1 problem.\n"


def test_a_prompt_of_30000_cheap_placeholders_is_checked_quickly(tmp_path: Path) -> None:
    # 30,000 one-step placeholders fit a draw's budget: the bank is valid.
    _placeholders(tmp_path, "many", 30_000, "1")
    code, out, err, _ = _run("bank", "check", "many.yaml", cwd=tmp_path)
    assert (code, out, err) == (
        0, "OK: 1 topic, 1 question (1 numeric, 0 choice, 0 open), 20 draws each.\n", "")


def test_quiz_refuses_a_question_past_the_budget_on_stderr_within_80_columns(
    tmp_path: Path,
) -> None:
    _chain(tmp_path, "chain", 99)
    code, out, err, _ = _run("quiz", "--bank", "chain.yaml", "--no-save", "--seed", "0",
                                cwd=tmp_path)
    assert (code, out) == (2, "")
    expected = "Error: chain.yaml:5: " + DRAW_PROBLEM.format(id="chain")
    assert re.sub(r"seed \d+", "seed 0", " ".join(err.split())) == expected
    assert max(len(line) for line in err.splitlines()) <= 80


def test_the_budget_counts_every_redraw_of_a_require(tmp_path: Path) -> None:
    # Each try is cheap (a 100-element softmax); 200 tries of 20 lets are not.
    question = _chain(tmp_path, "redraw", 20, size=100)
    bank = load_banks([question])
    with pytest.raises(BankError, match=r"one draw \(seed 0\) needs more than 300,000 steps"):
        bank.question("redraw").instantiate(0)
    # The same lets with a require that holds: one try, well within the budget.
    holds = load_banks([_chain(tmp_path, "redraw", 20, size=100, require="< 2")]).question(
        "redraw")
    assert holds.instantiate(0).expected == pytest.approx(0.01)


def test_a_check_past_its_own_budget_names_it(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # Each draw fits its budget, the 20 of a check do not.
    _chain(tmp_path, "slow", 3, require="< 2")
    monkeypatch.setattr(question_module, "CHECK_STEPS", 20_000)
    _, problems = check_banks([tmp_path / "slow.yaml"])
    assert [str(p) for p in problems] == [
        f"{tmp_path / 'slow.yaml'}:5: question 'slow': its draws need more than 20,000 steps "
        "of work, the most bank check gives one question (seed 2)"
    ]


def test_shipped_banks_pass_with_budgets_twenty_times_smaller(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A wide margin: the costliest shipped draw uses about 1/90 of its budget
    # (benchmarks/bank_budget.py prints the figures).
    monkeypatch.setattr(question_module, "DRAW_STEPS", DRAW_STEPS // 20)
    monkeypatch.setattr(question_module, "CHECK_STEPS", CHECK_STEPS // 20)
    _, problems = check_banks()
    assert [str(p) for p in problems] == []


def test_a_budget_charges_its_parent_and_stops_at_its_limit() -> None:
    check = Budget(25, "check")
    draw = Budget(20, "draw", parent=check)
    draw.spend(20)
    with pytest.raises(BudgetExceeded, match="the draw needs more than 20 steps"):
        draw.spend(1)
    again = Budget(20, "draw", parent=check)
    with pytest.raises(BudgetExceeded, match="the check needs more than 25 steps") as caught:
        again.spend(6)
    assert caught.value.budget is check

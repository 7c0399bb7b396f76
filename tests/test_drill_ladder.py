"""The drill ladder: reference solutions pass, classic mistakes fail where and
with the hint their drill file says, and a user's file that hangs, crashes,
dies, prints or eats memory is reported as such, never as an xent error.

Each check starts one child process (about half a second); the slow paths
(a Python loop timed out on the big batch) are kept to a few drills.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from xentcli.drill.ladder import GENERAL_HINTS, check
from xentcli.drill.tasks import RUNGS, list_drills, load_drill
from xentcli.errors import DrillError

DRILLS = list_drills()
#: Every drill's first two mistakes, and the only ones of their rung (float32,
#: vectorised, no-warnings), run always; the rest with HYPOTHESIS_PROFILE=thorough.
THOROUGH = os.environ.get("HYPOTHESIS_PROFILE") == "thorough"
ALWAYS = {("softmax", "clip-logits"), ("softmax", "python-loop"),
          ("cross_entropy", "where-mask")}
MISTAKES = [
    pytest.param(d.name, m.id, id=f"{d.name}-{m.id}", marks=pytest.mark.skipif(
        i >= 2 and (d.name, m.id) not in ALWAYS and not THOROUGH,
        reason="a further mistake: runs with HYPOTHESIS_PROFILE=thorough"))
    for d in DRILLS for i, m in enumerate(d.mistakes)
]


def _write(folder: Path, name: str, code: str) -> Path:
    path = folder / f"{name}.py"
    path.write_text(code, encoding="utf-8")
    return path


def test_the_contract_drills_exist_each_with_two_mistakes_or_more() -> None:
    names = {d.name for d in DRILLS}
    assert names >= {
        "softmax", "log_softmax", "logsumexp", "cross_entropy", "cross_entropy_with_logits",
        "binary_cross_entropy_with_logits", "kl_divergence", "entropy", "cross_entropy_grad",
        "focal_loss", "label_smoothing_cross_entropy",
    }
    for drill in DRILLS:
        assert len(drill.mistakes) >= 2, drill.name
        assert all(m.fails_at in RUNGS for m in drill.mistakes)


@pytest.mark.parametrize("name", [d.name for d in DRILLS])
def test_the_reference_solution_passes_every_test(name: str, tmp_path: Path) -> None:
    drill = load_drill(name)
    report = check(drill, _write(tmp_path, name, drill.solution))
    assert [t.name for t in report.tests] == ["load", *RUNGS], report.failed and \
        report.failed.message
    assert report.passed
    assert report.to_json()["passed"] is True


@pytest.mark.parametrize(("name", "mistake_id"), MISTAKES)
def test_a_classic_mistake_fails_at_its_rung_with_its_hint(
    name: str, mistake_id: str, tmp_path: Path
) -> None:
    drill = load_drill(name)
    mistake = next(m for m in drill.mistakes if m.id == mistake_id)
    report = check(drill, _write(tmp_path, name, mistake.code))
    failed = report.failed
    assert failed is not None, f"{mistake_id} passed every test"
    assert failed.name == mistake.fails_at, failed.message
    assert failed.hint == mistake.hint
    assert not report.passed
    # It stopped there: every test before it passed, none after it ran.
    assert [t.passed for t in report.tests] == [True] * (len(report.tests) - 1) + [False]


def test_a_failure_shows_the_input_the_expected_and_the_given_output(tmp_path: Path) -> None:
    drill = load_drill("softmax")
    naive = next(m for m in drill.mistakes if m.id == "naive-exp")
    failed = check(drill, _write(tmp_path, "softmax", naive.code)).failed
    assert failed is not None
    assert failed.case == "logits of +-1000"
    assert dict(failed.details) == {
        "input": "z = [[1000, 0, -1000], [1000, 1000, 1000]]",
        "expected": "[[1, 0, 0], [0.333333, 0.333333, 0.333333]]",
        "given": "[[nan, 0, 0], [nan, nan, nan]]",
        "warning": f"RuntimeWarning: overflow encountered in exp ({tmp_path / 'softmax.py'}, "
                   "line 4)",
    }
    assert failed.message.splitlines()[-1] == (
        "hint: exp(1000) overflowed: subtract each row's maximum first (softmax does not "
        "change)."
    )


def test_an_unknown_wrong_answer_gets_the_hint_for_its_kind(tmp_path: Path) -> None:
    # Right at the example, off by a constant factor elsewhere: no mistake matches it.
    code = ("import numpy as np\n\ndef softmax(z):\n"
            "    e = np.exp(z - z.max(axis=-1, keepdims=True))\n"
            "    out = e / e.sum(axis=-1, keepdims=True)\n"
            "    return out if z.ndim == 1 else out * 1.001\n")
    failed = check(load_drill("softmax"), _write(tmp_path, "softmax", code)).failed
    assert failed is not None and failed.name == "random"
    assert failed.hint == load_drill("softmax").hint("value")


def test_values_right_to_six_digits_show_every_digit_and_the_gap(tmp_path: Path) -> None:
    code = ("import numpy as np\n\ndef entropy(p):\n"
            "    lp = np.log(p, out=np.zeros_like(p), where=p > 0)\n"
            "    return -np.mean(np.sum(p * lp, axis=-1)) * (1 + 1e-7)\n")
    failed = check(load_drill("entropy"), _write(tmp_path, "entropy", code)).failed
    assert failed is not None and failed.name == "examples"
    shown = dict(failed.details)
    assert shown["expected"] == "1.0397207708399179"
    assert shown["difference"] == "1.0e-07 relative (the test allows 1e-9)"


def test_the_empty_starter_says_it_is_the_starter(tmp_path: Path) -> None:
    drill = load_drill("kl_divergence")
    failed = check(drill, _write(tmp_path, "kl_divergence", drill.starter())).failed
    assert failed is not None and failed.name == "examples"
    assert failed.details == [("input", "p = [0.5, 0.3, 0.2]"), ("input", "q = [0.1, 0.3, 0.6]")]
    assert failed.traceback is not None
    assert failed.traceback.endswith("NotImplementedError: write kl_divergence here")
    assert failed.hint == GENERAL_HINTS["starter"]


def test_a_hanging_function_is_reported_with_the_time_limit(tmp_path: Path) -> None:
    code = "def softmax(z):\n    while True:\n        pass\n"
    report = check(load_drill("softmax"), _write(tmp_path, "softmax", code), timeout=0.5)
    failed = report.failed
    assert failed is not None and failed.name == "examples"
    assert dict(failed.details) == {"error": "your function did not return within 0.5 s"}


def test_a_crash_shows_the_users_own_traceback(tmp_path: Path) -> None:
    code = ("import numpy as np\n\n\ndef helper(z):\n    raise ValueError('my bug')\n\n\n"
            "def softmax(z):\n    return helper(z)\n")
    path = _write(tmp_path, "softmax", code)
    failed = check(load_drill("softmax"), path, shown="softmax.py").failed
    assert failed is not None and failed.name == "examples"
    # Python 3.11+ adds lines of ^ under the failing expression; they may stay or go.
    lines = [t for t in failed.traceback.splitlines() if t.strip(" ^~")]
    assert "\n".join(lines) == (
        "Traceback (most recent call last):\n"
        '  File "softmax.py", line 9, in softmax\n'
        "    return helper(z)\n"
        '  File "softmax.py", line 5, in helper\n'
        "    raise ValueError('my bug')\n"
        "ValueError: my bug"
    )
    assert failed.hint is None  # their traceback says it


def test_a_process_that_dies_is_reported_as_such(tmp_path: Path) -> None:
    code = "import os\n\ndef softmax(z):\n    os._exit(3)\n"
    failed = check(load_drill("softmax"), _write(tmp_path, "softmax", code)).failed
    assert failed is not None and failed.name == "examples"
    assert dict(failed.details) == {
        "error": "the Python process running your file ended abruptly"}


def test_a_syntax_error_names_the_users_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "softmax", "import numpy as np\n\ndef softmax(z)\n    return z\n")
    report = check(load_drill("softmax"), path, shown="softmax.py")
    assert [t.name for t in report.tests] == ["load"]
    details = dict(report.tests[0].details)
    assert details["error"].startswith("syntax error in softmax.py, line 3: ")
    assert details["line"] == "def softmax(z)"


def test_an_error_on_import_is_the_users_traceback(tmp_path: Path) -> None:
    path = _write(tmp_path, "softmax", "import numpy as np\n\nx = 1 / 0\n")
    failed = check(load_drill("softmax"), path, shown="softmax.py").failed
    assert failed is not None and failed.name == "load"
    assert failed.traceback is not None
    lines = [t for t in failed.traceback.splitlines() if t.strip(" ^~")]
    assert lines[-3:] == ['  File "softmax.py", line 3, in <module>', "    x = 1 / 0",
                          "ZeroDivisionError: division by zero"]
    assert "xentcli" not in failed.traceback


def test_a_file_without_the_function_is_bad_input(tmp_path: Path) -> None:
    path = _write(tmp_path, "softmax", "def soft_max(z):\n    return z\n")
    with pytest.raises(DrillError, match=r"^softmax.py defines no function named softmax "
                                         r"\(it defines soft_max\)$"):
        check(load_drill("softmax"), path, shown="softmax.py")


def test_a_missing_file_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(DrillError, match=r"^nope.py: no such file$"):
        check(load_drill("softmax"), tmp_path / "nope.py", shown="nope.py")


def test_returning_nothing_or_text_is_named(tmp_path: Path) -> None:
    none = check(load_drill("entropy"), _write(tmp_path, "entropy", "def entropy(p):\n"
                                                                   "    p.sum()\n")).failed
    assert none is not None and dict(none.details)["given"] == "None"
    assert none.hint == GENERAL_HINTS["none"]
    text = check(load_drill("entropy"), _write(tmp_path, "entropy", "def entropy(p):\n"
                                                                   "    return 'one'\n")).failed
    assert text is not None and dict(text.details)["given"] == "str: 'one'"


def test_printing_does_not_disturb_the_check(tmp_path: Path) -> None:
    drill = load_drill("logsumexp")
    code = drill.solution.replace("    z = np.asarray(z)\n",
                                  "    z = np.asarray(z)\n    print('debug', z.shape)\n")
    assert code != drill.solution
    assert check(drill, _write(tmp_path, "logsumexp", code)).passed


@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="RLIMIT_AS is enforced on Linux; elsewhere the limit is advisory")
def test_memory_is_limited_in_the_child(tmp_path: Path) -> None:
    # np.empty reserves without touching: without a limit this would succeed.
    code = ("import numpy as np\n\ndef entropy(p):\n"
            "    np.empty(3 * 2**30, dtype=np.uint8)\n    return 0.0\n")
    failed = check(load_drill("entropy"), _write(tmp_path, "entropy", code)).failed
    assert failed is not None
    assert dict(failed.details) == {"input": "p = [0.5, 0.25, 0.25]", "error": "MemoryError"}
    assert failed.hint == GENERAL_HINTS["memory"]


def test_silencing_numpy_does_not_hide_the_warning(tmp_path: Path) -> None:
    drill = load_drill("entropy")
    where = next(m for m in drill.mistakes if m.id == "where-mask")
    code = where.code.replace("import numpy as np\n", "import numpy as np\nnp.seterr(all='ignore')\n")
    failed = check(drill, _write(tmp_path, "entropy", code)).failed
    assert failed is not None and failed.name == "no-warnings"
    assert failed.hint == where.hint


def test_json_is_strict_and_has_the_contract_keys(tmp_path: Path) -> None:
    drill = load_drill("softmax")
    naive = next(m for m in drill.mistakes if m.id == "naive-exp")
    data = check(drill, _write(tmp_path, "softmax", naive.code)).to_json()

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} is not JSON")

    data = json.loads(json.dumps(data, allow_nan=False), parse_constant=refuse)
    assert {"drill", "passed", "tests"} <= set(data)
    assert data["drill"] == "softmax" and data["passed"] is False
    assert [t["name"] for t in data["tests"]] == ["load", "examples", "random", "shapes",
                                                  "stability"]
    assert all({"name", "passed", "message"} <= set(t) for t in data["tests"])
    assert "given: [[nan, 0, 0], [nan, nan, nan]]" in data["tests"][-1]["message"]


def test_the_checks_verdict_does_not_depend_on_the_run(tmp_path: Path) -> None:
    drill = load_drill("softmax")
    wrong = next(m for m in drill.mistakes if m.id == "wrong-axis")
    path = _write(tmp_path, "softmax", wrong.code)
    first, second = check(drill, path).failed, check(drill, path).failed
    assert first is not None and second is not None
    assert first.message == second.message


def test_every_drill_example_matches_the_core() -> None:
    import xentcli.core as core
    from xentcli.drill.cases import example_cases

    softmax = example_cases(load_drill("softmax"))[0]
    assert np.allclose(softmax.expected, core.softmax([1.0, 2.0, 3.0]), rtol=0, atol=0)
    grad = example_cases(load_drill("cross_entropy_grad"))[0]
    z = np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])
    p = np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)
    assert np.allclose(grad.expected, (p - np.eye(3)[[2, 0]]) / 2, rtol=1e-12)


def test_the_users_folder_shadows_nothing_of_ours_and_is_the_working_folder(
    tmp_path: Path,
) -> None:
    for name in ("json", "queue", "warnings", "traceback"):
        (tmp_path / f"{name}.py").write_text("raise SystemExit('shadowed')\n")
    (tmp_path / "scale.txt").write_text("1\n")
    drill = load_drill("entropy")
    code = drill.solution + "\n\nSCALE = float(open('scale.txt').read())\n"
    report = check(drill, _write(tmp_path, "entropy", code))
    assert report.passed, report.failed and report.failed.message


def test_axis_1_on_a_single_row_gets_the_last_axis_hint(tmp_path: Path) -> None:
    code = ("import numpy as np\n\ndef softmax(z):\n"
            "    e = np.exp(z - z.max(axis=1, keepdims=True))\n"
            "    return e / e.sum(axis=1, keepdims=True)\n")
    failed = check(load_drill("softmax"), _write(tmp_path, "softmax", code)).failed
    assert failed is not None and failed.name == "examples"
    assert failed.traceback is not None
    assert failed.traceback.endswith("axis 1 is out of bounds for array of dimension 1")
    assert failed.hint == GENERAL_HINTS["axis"]


def test_a_loss_returned_per_row_is_told_to_give_one_number(tmp_path: Path) -> None:
    drill = load_drill("entropy")
    code = ("import numpy as np\n\ndef entropy(p):\n"
            "    lp = np.log(p, out=np.zeros_like(p), where=p > 0)\n"
            "    return -np.sum(p * lp, axis=-1, keepdims=True)\n")
    failed = check(drill, _write(tmp_path, "entropy", code)).failed
    assert failed is not None and failed.name == "examples"
    assert dict(failed.details)["given"] == "shape (1,)"
    assert failed.hint == GENERAL_HINTS["scalar"]

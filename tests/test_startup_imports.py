"""Start-up stays light: help loads no numpy, and no command loads pydantic.

Each case runs the CLI in a fresh interpreter and lists which heavy modules
ended up in ``sys.modules``. (Timings live in benchmarks/startup.py.)
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("numpy", "pydantic", "rich", "rich.markdown", "yaml", "sqlite3", "plotext",
         "xentcli.quiz.question")

_PROBE = """
import json, sys
heavy = json.loads(sys.argv[2])
from xentcli.cli import main
sys.argv = ["xent", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit:
    pass
sys.stderr.write("\\nLOADED " + json.dumps(sorted(m for m in heavy if m in sys.modules)))
"""


def _loaded(*args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(args), json.dumps(HEAVY)],
        capture_output=True, text=True, stdin=subprocess.DEVNULL,
    )
    marker = done.stderr.rsplit("\nLOADED ", 1)
    assert len(marker) == 2, done.stderr
    loaded: list[str] = json.loads(marker[1])
    return loaded


def _every_help() -> list[tuple[str, ...]]:
    from xentcli.cli.app import COMMANDS

    return [("--help",), ("calc", "ce", "--help"), ("calc",), ("bank", "check", "--help"),
            *((name, "--help") for name in COMMANDS)]


@pytest.mark.parametrize("args", _every_help())
def test_help_loads_no_numpy(args: tuple[str, ...]) -> None:
    assert _loaded(*args) == []


def test_a_quiz_with_the_bank_cache_filled_loads_no_yaml() -> None:
    quiz = ("quiz", "-n", "1", "--no-save", "--seed", "1")
    assert "yaml" in _loaded(*quiz)  # the banks are parsed...
    assert "yaml" in _loaded(*quiz)  # ...and again: --no-save does not fill the cache
    assert "yaml" in _loaded("bank", "list")  # this does
    loaded = _loaded(*quiz)
    assert "yaml" not in loaded
    assert "xentcli.quiz.question" in loaded  # it did read the banks


def test_learn_loads_neither_the_banks_nor_the_store() -> None:
    # A card evaluates its numbers with the core (numpy) and renders with Rich;
    # shown again, its numbers come from the cache.
    assert _loaded("learn", "entropy") == ["numpy", "rich", "rich.markdown"]
    assert _loaded("learn", "entropy") == ["rich"]  # drawn before: not even Markdown
    assert _loaded("learn") == ["rich"]


def test_stats_loads_no_numpy_and_no_yaml() -> None:
    loaded = _loaded("stats")
    assert "numpy" not in loaded and "yaml" not in loaded
    assert "sqlite3" in loaded


def test_quiet_calc_loads_numpy_but_not_rich_or_pydantic() -> None:
    assert _loaded("calc", "entropy", "0.2,0.3,0.5", "-q") == ["numpy"]
    assert _loaded("calc", "entropy", "0.5,0.5", "-r", "avg") == []  # a usage error: nothing


def test_json_calc_loads_no_rich() -> None:
    assert _loaded("calc", "ce", "2", "0.1,0.2,0.7", "--json") == ["numpy"]


def test_human_view_loads_rich_not_pydantic() -> None:
    assert _loaded("calc", "kl", "0.5,0.5", "0.25,0.75") == ["numpy", "rich"]


def test_help_of_the_wave_two_commands_loads_nothing_heavy() -> None:
    for args in (("export", "anki", "--help"), ("interview", "--help"), ("plan", "--help")):
        assert _loaded(*args) == [], args
    probe = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(["export", "anki", "--help"]),
         json.dumps(["genanki"])],
        capture_output=True, text=True,
    )
    assert probe.stderr.rsplit("\nLOADED ", 1)[1] == "[]"


# The calculator's package: each module imports only those below it in this
# order (at the top or inside a function), so there is no circle to untangle.
CALC_LAYERS = ("__init__", "commands", "report", "params", "group", "run", "explain",
               "worked", "steps", "render", "stream", "compute", "hints", "outcome", "inputs",
               "reader", "tokens", "format")


def _calc_imports(module: str) -> set[str]:
    import ast
    from pathlib import Path

    import xentcli.cli.calc as package

    source = Path(package.__file__).with_name(f"{module}.py").read_text(encoding="utf-8")
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[:3] == ["xentcli", "cli", "calc"] and len(parts) == 4:
                found.add(parts[3])
    return found & set(CALC_LAYERS)


def test_calc_modules_are_all_listed() -> None:
    from pathlib import Path

    import xentcli.cli.calc as package

    on_disk = {p.stem for p in Path(package.__file__).parent.glob("*.py")}
    assert on_disk == set(CALC_LAYERS)


@pytest.mark.parametrize("module", CALC_LAYERS)
def test_calc_modules_import_one_way(module: str) -> None:
    below = set(CALC_LAYERS[CALC_LAYERS.index(module) + 1 :])
    assert _calc_imports(module) <= below


@pytest.mark.parametrize("args", [
    ("learn", "entropy"), ("learn",), ("stats",), ("bank", "list"), ("bank", "check"),
    ("plot", "entropy"), ("quiz", "-n", "1", "--no-save", "-t", "entropy", "--seed", "1"),
    ("plan",), ("interview", "--no-save", "--seed", "1", "-m", "1"),
    ("eval", "0;1", "0.5,0.5;0.2,0.8"),
])
def test_no_command_loads_pydantic(args: tuple[str, ...]) -> None:
    # Typer would import pydantic to coerce these commands' options; it costs more
    # start-up time than numpy (xentcli/cli/coercion.py gives them a plain converter).
    assert "pydantic" not in _loaded(*args)


@pytest.mark.parametrize("args", [("drill", "--help"), ("drill", "check", "--help")])
def test_drill_help_loads_nothing_heavy(args: tuple[str, ...]) -> None:
    assert _loaded(*args) == []


def test_a_quiz_loads_numpy_only_to_draw_a_question_that_needs_it() -> None:
    # Questions are drawn when reached: a first question that is a choice is
    # shown (and here, with no answer to read, the session ends) without numpy.
    choice = _loaded("quiz", "--question", "activations-multiclass", "--no-save")
    assert "numpy" not in choice and "xentcli.quiz.question" in choice
    assert "numpy" in _loaded("quiz", "--question", "entropy-two-coins", "--no-save")
    # The input ends at the first question: the second is never reached, never drawn.
    assert "numpy" not in _loaded("quiz", "--question", "activations-multiclass",
                                  "--question", "entropy-two-coins", "--no-save")


def test_stats_loads_neither_numpy_nor_the_question_model() -> None:
    # Its readiness wording comes from the readiness module alone.
    assert _loaded("stats") == ["rich", "sqlite3"]

"""Start-up stays light: help loads no numpy, and no command loads pydantic.

Each case runs the CLI in a fresh interpreter and lists which heavy modules
ended up in ``sys.modules``. (Timings live in benchmarks/startup.py.)
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("numpy", "pydantic", "rich", "yaml", "sqlite3", "plotext")

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


@pytest.mark.parametrize(
    "args", [("--help",), ("calc", "--help"), ("calc", "ce", "--help"), ("calc",)]
)
def test_help_loads_no_numpy(args: tuple[str, ...]) -> None:
    loaded = _loaded(*args)
    assert "numpy" not in loaded
    assert "pydantic" not in loaded


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


@pytest.mark.parametrize("args", [
    ("learn", "entropy"), ("learn",), ("stats",), ("bank", "list"), ("bank", "check"),
    ("plot", "entropy"), ("quiz", "-n", "1", "--no-save", "-t", "entropy", "--seed", "1"),
    ("plan",), ("interview", "--no-save", "--seed", "1", "-m", "1"),
])
def test_no_command_loads_pydantic(args: tuple[str, ...]) -> None:
    # Typer would import pydantic to coerce these commands' options; it costs more
    # start-up time than numpy (xentcli/cli/coercion.py gives them a plain converter).
    assert "pydantic" not in _loaded(*args)


@pytest.mark.parametrize("args", [("drill", "--help"), ("drill", "check", "--help")])
def test_drill_help_loads_nothing_heavy(args: tuple[str, ...]) -> None:
    assert _loaded(*args) == []

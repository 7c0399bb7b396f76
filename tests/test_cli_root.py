"""The root command: version, help everywhere, and the one error edge."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

import pytest
import typer
from messages import wrapped
from typer.testing import CliRunner

from xentcli import __version__
from xentcli.cli.app import app

runner = CliRunner()


def _all_command_paths() -> list[list[str]]:
    root = typer.main.get_command(app)
    paths: list[list[str]] = []

    def walk(cmd: Any, path: list[str], ctx: Any) -> None:
        paths.append(path)
        if hasattr(cmd, "list_commands"):  # groups, including the lazy root
            for name in cmd.list_commands(ctx):
                walk(cmd.get_command(ctx, name), [*path, name], ctx)

    walk(root, [], root.make_context("xent", ["--help"], resilient_parsing=True))
    return paths


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"xent {__version__}\n"


def test_every_command_has_help() -> None:
    paths = _all_command_paths()
    names = {" ".join(p) for p in paths}
    assert {"calc ce", "calc grad", "quiz", "bank check", "stats", "plot compare", "learn"} <= names
    for path in paths:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, path
        assert "Usage:" in result.stdout, path
        assert result.stderr == ""
        lines = result.stdout.splitlines()
        assert all(len(line) <= 80 for line in lines), path
        # Summaries are whole ("..." is click cutting one short); no option name is
        # split at its hyphen (--pos-\nweight cannot be copied).
        assert "..." not in result.stdout.replace("]...", "]"), path
        assert not [line for line in lines if re.search(r"--[a-z-]*-$", line)], path


def test_bare_xent_shows_help_and_succeeds() -> None:
    result = runner.invoke(app, [])
    assert result.exit_code == 0
    assert "Usage:" in result.stdout


def test_unknown_option_is_one_line_exit_2() -> None:
    result = runner.invoke(app, ["--bogus"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == "Error: No such option: --bogus. See 'xent --help'.\n"


def test_unknown_command_is_one_line_exit_2() -> None:
    result = runner.invoke(app, ["frobnicate"])
    assert result.exit_code == 2
    assert result.stderr == "Error: No such command 'frobnicate'. See 'xent --help'.\n"


def test_python_dash_m_runs_the_same_app() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "xentcli", "--version"], capture_output=True, text=True
    )
    assert done.returncode == 0
    assert done.stdout == f"xent {__version__}\n"


def test_help_does_not_import_numpy() -> None:
    code = (
        "import sys\n"
        "from xentcli.cli import main\n"
        "sys.argv = ['xent', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('numpy', 'yaml', 'sqlite3', 'plotext') if m in sys.modules]\n"
        "sys.stderr.write(repr(heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stderr == "[]"


def test_an_unexpected_error_is_one_line_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import xentcli.cli.calc.run as calc_run

    def broken(measure: str, args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(calc_run, "run", broken)
    monkeypatch.delenv("XENT_DEBUG", raising=False)
    result = runner.invoke(app, ["calc", "entropy", "0.5,0.5"])
    assert result.exit_code == 1
    assert result.stderr == wrapped(
        "Error: internal error (RuntimeError: boom); set XENT_DEBUG=1 to see where, "
        "and please report it.\n"
    )


def test_a_command_run_builds_only_its_own_command_group() -> None:
    code = (
        "import sys\n"
        "from xentcli.cli import main\n"
        "sys.argv = ['xent', 'calc', 'entropy', '0.5,0.5', '-q']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "loaded = sorted(m.rsplit('.', 1)[1] for m in sys.modules\n"
        "                if m in {f'xentcli.cli.{c}' for c in\n"
        "                         ('calc', 'quiz', 'bank', 'stats', 'plot', 'learn')})\n"
        "sys.stderr.write(repr(loaded))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout == "0.6931471805599453\n"
    assert done.stderr == "['calc']"


@pytest.mark.parametrize("width", [50, 80, 120])
def test_the_root_help_lists_the_commands_as_built_without_building_them(width: int) -> None:
    from typer.core import TyperGroup

    from xentcli.cli import app as root

    group = typer.main.get_command(root.app)
    ctx = group.make_context("xent", [], resilient_parsing=True, terminal_width=width,
                             max_content_width=width)
    root.load_command.cache_clear()
    fast = ctx.make_formatter()
    group.format_commands(ctx, fast)
    assert root.load_command.cache_info().currsize == 0
    built = ctx.make_formatter()
    TyperGroup.format_commands(group, ctx, built)  # builds each command for its line
    assert root.load_command.cache_info().currsize == len(root.COMMANDS)
    assert fast.getvalue() == built.getvalue() and "calc" in fast.getvalue()


@pytest.mark.parametrize("width", [50, 80, 120])
def test_calc_help_lists_its_commands_as_built_without_building_them(width: int) -> None:
    from typer.core import TyperGroup

    from xentcli.cli import app as root

    root.load_command.cache_clear()
    calc = root.load_command("calc")
    ctx = calc.make_context("calc", [], resilient_parsing=True, terminal_width=width,
                            max_content_width=width)
    fast = ctx.make_formatter()
    calc.format_commands(ctx, fast)
    assert calc.commands._built == {}
    built = ctx.make_formatter()
    TyperGroup.format_commands(calc, ctx, built)  # builds each command for its line
    assert len(calc.commands._built) == len(list(calc.commands)) >= 9
    assert fast.getvalue() == built.getvalue() and "entropy" in fast.getvalue()

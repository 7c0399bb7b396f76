"""The root command: version, help everywhere, and the one error edge."""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from xentcli import __version__
from xentcli.cli.app import app

runner = CliRunner()


def _all_command_paths() -> list[list[str]]:
    root = typer.main.get_command(app)
    paths: list[list[str]] = []

    def walk(cmd: object, path: list[str]) -> None:
        paths.append(path)
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, [*path, name])

    walk(root, [])
    return paths


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"xent {__version__}\n"


def test_every_command_has_help() -> None:
    paths = _all_command_paths()
    assert len(paths) >= 1
    for path in paths:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, path
        assert "Usage:" in result.stdout, path
        assert result.stderr == ""


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
    import xentcli.cli.calc_run as calc_run

    def broken(measure: str, args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(calc_run, "run", broken)
    monkeypatch.delenv("XENT_DEBUG", raising=False)
    result = runner.invoke(app, ["calc", "entropy", "0.5,0.5"])
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: internal error (RuntimeError: boom); set XENT_DEBUG=1 to see where, "
        "and please report it.\n"
    )

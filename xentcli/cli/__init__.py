"""The command-line interface: parses, calls the quiz and core layers, renders."""

from __future__ import annotations


def main() -> None:
    """Entry point of the ``xent`` console script and ``python -m xentcli``."""
    try:
        from xentcli.cli.app import app

        app(prog_name="xent")
    except KeyboardInterrupt:
        # Ctrl-C before the root command's own handler is in place (while Typer,
        # Rich or numpy are still being imported): the same line and status.
        import sys

        sys.stderr.write("\nInterrupted.\n")
        raise SystemExit(130) from None

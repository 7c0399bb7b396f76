"""The command-line interface: parses, calls the quiz and core layers, renders."""

from __future__ import annotations


def main() -> None:
    """Entry point of the ``xent`` console script and ``python -m xentcli``."""
    from xentcli.cli.app import app

    app(prog_name="xent")

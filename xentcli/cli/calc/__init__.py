"""``xent calc``: the calculator's command-line side.

Modules, each importing only those listed after it (no circle)::

    commands   the Typer declarations (light: no numpy)
    report     xent eval's report (cli/eval.py declares the command)
    params     the arguments and options they share
    group      a click group/command that take negative numbers as arguments
    run        chooses the output and writes it (imported when a command runs)
    explain    --explain, the worked solution from the core's per-class terms
    worked     --explain row by row (JS, perplexity, ECE, Brier, ...)
    steps      the steps every worked solution shares (numbers, sums, softmax)
    render     the human view, --json and -q
    stream     reduced results of large files, block by block in flat memory
    compute    parses the vectors, calls the core, returns an Outcome
    hints      what a likely slip looks like (logits as PRED, swapped arguments)
    outcome    the Outcome type and the table of measures
    inputs     reading vectors: inline, @file, - (standard input)
    reader     files and streams, opened once and read in blocks of rows
    tokens     one number, one row of numbers, as typed
    format     numbers for people, scripts and strict JSON

Importing this package is free: :func:`register` imports the commands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add ``xent calc`` and its commands to the root app."""
    from xentcli.cli.calc.commands import register as register_commands

    register_commands(app)

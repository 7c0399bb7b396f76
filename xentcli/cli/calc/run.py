"""Running a ``xent calc`` command: choose the output, compute, write it.

The commands (:mod:`~xentcli.cli.calc.commands`) import this module only when
one runs. ``-q`` and ``--json`` never load Rich.
"""

from __future__ import annotations

import sys
from typing import Any

import typer

from xentcli.cli.calc import render
from xentcli.cli.calc.compute import breakdown
from xentcli.cli.calc.outcome import PLOT_CLASSES, Outcome
from xentcli.cli.calc.stream import compute_any
from xentcli.errors import InputError


def _output_mode(args: dict[str, Any]) -> str:
    chosen = [name for name in ("json", "quiet", "explain") if args.get(name)]
    if len(chosen) > 1:
        flags = {"json": "--json", "quiet": "--quiet", "explain": "--explain"}
        raise typer.BadParameter(
            f"{' and '.join(flags[c] for c in chosen)} are different outputs: choose one",
            param_hint=f"'{flags[chosen[0]]}'",
        )
    mode = chosen[0] if chosen else "human"
    if args.get("plot") and mode in ("json", "quiet"):
        flag = "--json" if mode == "json" else "--quiet"
        raise typer.BadParameter(
            f"--plot draws under the result for people; it does not go with {flag}",
            param_hint="'--plot'",
        )
    return mode


def wrap_note(note: str) -> str:
    """A note for stderr, wrapped to 80 columns with its later lines indented.

    A line break in the note starts a new line (a command to copy stays whole).
    """
    import textwrap

    first, *rest = note.split("\n")
    lines = [textwrap.fill(f"Note: {first}", 80, subsequent_indent="      ",
                           break_on_hyphens=False)]
    lines += ["      " + line for line in rest]
    return "\n".join(lines) + "\n"


def _bars(outcome: Outcome, args: dict[str, Any]) -> str:
    """``--plot``: the distributions as used (after softmax, smoothing), as text bars."""
    from xentcli.cli.console import MAX_WIDTH
    from xentcli.cli.plotting import distribution_bars

    main = outcome.main.values
    if main.ndim > 1 and main.shape[0] > 1:
        raise InputError("--plot draws a single distribution: give one row, not a batch")
    if main.shape[-1] > PLOT_CLASSES:
        raise InputError(f"--plot draws at most {PLOT_CLASSES} classes, but there are "
                         f"{main.shape[-1]}")
    # More classes than the table shows have no breakdown yet: terms for the bars only.
    b = outcome.breakdown or breakdown(outcome, args, explain=False, wide=True)
    if b is None:  # JS, or options the breakdown does not cover: the inputs as used
        return distribution_bars(*_as_used(outcome), width=MAX_WIDTH,
                                 names=("P", "Q") if "q" in outcome.inputs else ("TARGET", "PRED"))
    assert b.target is not None  # entropy, ce and kl always set them
    if outcome.measure == "entropy":
        return distribution_bars(b.target[0], width=MAX_WIDTH)
    assert b.prob is not None
    names = ("P", "Q") if outcome.measure == "kl" else ("TARGET", "PRED")
    return distribution_bars(b.target[0], b.prob[0], width=MAX_WIDTH, names=names)


def _as_used(outcome: Outcome) -> tuple[Any, Any]:
    """One row's two distributions, after softmax of logits and --normalize."""
    import numpy as np

    from xentcli import core

    first, second = ("p", "q") if "q" in outcome.inputs else ("target", "pred")
    pred = outcome.inputs[second].values.reshape(-1)
    q = core.softmax(pred) if outcome.options.get("logits") else pred
    if outcome.class_indices:
        t = np.zeros(q.size)
        t[int(np.asarray(outcome.target))] = 1.0
    else:
        t = outcome.inputs[first].values.reshape(-1)
    if outcome.options.get("normalize"):
        t, q = t / t.sum(), q / q.sum()
    return t, q


def run(measure: str, args: dict[str, Any]) -> None:
    """Compute ``measure`` and write the chosen output."""
    from xentcli.cli.progress import reading_progress

    mode = _output_mode(args)
    # A bar on stderr while large files are read (erased before any output or error).
    with reading_progress(quiet=mode == "quiet"):
        outcome = compute_any(measure, args, mode=mode)
    # Drawn before anything is written, so a batch is refused before any output.
    bars = _bars(outcome, args) if args.get("plot") else None
    if outcome.written:
        pass  # streamed out already, block by block
    elif mode == "quiet":
        render.write_quiet(outcome)
    elif mode == "json":
        render.write_json(outcome)
    elif mode == "explain":
        from xentcli.cli.calc.explain import write_explanation

        write_explanation(outcome)
    else:
        render.write_human(outcome)
    if bars is not None:
        sys.stdout.write(f"\n{bars}\n")
    for note in outcome.notes:
        sys.stderr.write(wrap_note(note))
    sys.stderr.flush()

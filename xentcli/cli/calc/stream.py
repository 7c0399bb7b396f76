"""Reduced results of files larger than memory: read, compute and reduce block by block.

A mean or a sum over rows needs only running totals: for each block of rows
the core gives the block's ``reduction="sum"`` and
:func:`~xentcli.core.mean_denominator` the number the mean divides by, so
memory holds one block whatever the size of the file. ``--explain``,
``--plot`` and ``--reduction none`` read the whole input (they show it).

A source that fits in one block is read whole and takes the ordinary path
(:func:`~xentcli.cli.calc.compute.compute`), with the data already read: a
pipe is read once either way.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

import numpy as np

from xentcli.cli.calc.compute import (
    add_notes,
    compute,
    evaluate,
    logits_hint,
    settings,
)
from xentcli.cli.calc.inputs import Vector, parse_vector
from xentcli.cli.calc.outcome import ELEMENTWISE, Outcome
from xentcli.cli.calc.reader import Rows, open_rows
from xentcli.errors import InputError

if TYPE_CHECKING:
    from xentcli.cli.calc.compute import Read

__all__ = ["CHUNK_VALUES", "ROW_ARGUMENTS", "compute_any", "located"]

#: Numbers per input in one block (8 bytes each): the core's work on a block
#: takes a few times this, whatever the size of the file.
CHUNK_VALUES = 1 << 18

#: The arguments that hold one row per sample, by measure, with their names.
_PAIR = {"target": "TARGET", "pred": "PRED"}
ROW_ARGUMENTS: dict[str, dict[str, str]] = {
    "entropy": {"p": "P"},
    "kl": {"p": "P", "q": "Q"},
    "js": {"p": "P", "q": "Q"},
    **dict.fromkeys(("cross-entropy", "focal", "bce", "sigmoid-focal", "perplexity", "ece",
                     "brier"), _PAIR),
}
#: What a block computes, where it is not the measure itself: perplexity is
#: exp of the mean cross-entropy in nats.
_BLOCK_MEASURE = {"perplexity": "cross-entropy"}
_SAMPLE_WEIGHTS = {"sample_weights": "--sample-weights"}


def _is_source(text: Any) -> bool:
    return isinstance(text, str) and (text.startswith("@") or text == "-")


def _streamable(measure: str, args: dict[str, Any], mode: str) -> dict[str, str] | None:
    """The row arguments to read block by block, or None for the ordinary path."""
    keys = ROW_ARGUMENTS.get(measure)
    if keys is None or mode == "explain" or args.get("plot"):
        return None
    reduction = args.get("reduction")  # perplexity and ECE say "mean"
    if reduction not in ("mean", "sum") and not (reduction == "none" and mode == "quiet"):
        return None
    keys = dict(keys)
    if args.get("sample_weights") is not None:
        keys.update(_SAMPLE_WEIGHTS)
    if not all(_is_source(args[key]) for key in keys):
        return None  # a typed vector beside a file: the whole is small enough to hold
    return keys


def compute_any(measure: str, args: dict[str, Any], *, mode: str) -> Outcome:
    """The outcome of a command: block by block for large files, else whole."""
    detail, explain = mode in ("human", "json"), mode == "explain"
    keys = _streamable(measure, args, mode)
    if keys is None:
        return compute(measure, args, detail=detail, explain=explain)
    given_base, base, unit, reduction = settings(args)  # before any file is opened
    with ExitStack() as stack:
        sources: dict[str, Rows] = {}
        for key, name in keys.items():
            sources[key] = open_rows(args[key], name)
            stack.callback(sources[key].close)
        width = max(rows.width() for rows in sources.values())
        n = max(1, CHUNK_VALUES // max(width, 1))
        first = {key: rows.take(n) for key, rows in sources.items()}
        if all(rows.done for rows in sources.values()) or any(
            rows.ndim > 2 for rows in sources.values()
        ):
            # Small (or not made of rows): the ordinary path, with the data in hand.
            whole = {key: _whole(rows, first[key]) for key, rows in sources.items()}
            return compute(measure, args, detail=detail, explain=explain,
                           read=_reading(args, whole))
        blocks = _blocks(sources, first, n)
        if reduction == "none":
            return _write_blocks(measure, args, blocks, sources, base, given_base, unit)
        return _by_blocks(measure, args, blocks, sources, base, given_base, unit, reduction)


def _whole(rows: Rows, first: Any) -> Vector:
    """The whole of a source already taken in one block, shaped as when read whole."""
    arr = first
    if rows.ndim == 1:
        arr = arr.reshape(-1)
    elif rows.ndim == 0:
        arr = arr.reshape(())
    elif arr.ndim == 2 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.size == 0:
        raise InputError(f"{rows.name}: {rows.source} holds no numbers")
    return Vector(rows.name, rows.source, arr, arr.size == 1)


def _reading(args: dict[str, Any], ready: dict[str, Vector],
             others: dict[str, Vector] | None = None) -> Read:
    """A :data:`Read` that gives the vectors in hand, and parses the others once.

    ``others`` keeps the parsed per-class options (``--weights @w.csv``,
    ``--alpha -``) from one block to the next: each is read once, a pipe too.
    """
    cache = {} if others is None else others

    def read(key: str, name: str) -> Vector:
        if key in ready:
            return ready[key]
        if key not in cache:
            cache[key] = parse_vector(args[key], name)
        return cache[key]

    return read


def _blocks(sources: dict[str, Rows], first: dict[str, Any],
            n: int) -> Iterator[dict[str, Any]]:
    """Aligned blocks of rows of every source, until all end together."""
    block = first
    while True:
        sizes = {key: len(rows) for key, rows in block.items()}
        if len(set(sizes.values())) > 1:
            short = min(sizes, key=lambda k: sizes[k])
            longer = next(k for k in sizes if sizes[k] > sizes[short])
            rows_short = sources[short].taken
            raise InputError(f"{sources[short].name} has {rows_short} rows but "
                             f"{sources[longer].name} has more")
        if not next(iter(sizes.values())):
            return
        yield block
        block = {key: rows.take(n) for key, rows in sources.items()}


_ROW = re.compile(r"\brow (\d+)")
_INDEX = re.compile(r"\bindex \[(\d+), ")


def located(message: str, first_row: int) -> str:
    """A core message about a block, with its row numbers counted from the file's start."""
    if not first_row:
        return message
    message = _ROW.sub(lambda m: f"row {int(m.group(1)) + first_row}", message)
    return _INDEX.sub(lambda m: f"index [{int(m.group(1)) + first_row}, ", message)


def _by_blocks(measure: str, args: dict[str, Any], blocks: Iterator[dict[str, Any]],
               sources: dict[str, Rows], base: str, given_base: str | None,
               unit: str | None, reduction: str) -> Outcome:
    from xentcli import core

    total = 0.0
    denominator = 0.0
    first_row = 0
    others: dict[str, Vector] = {}  # per-class options, read once for every block
    calibration: Any = None
    kept: tuple[dict[str, Any], dict[str, Vector], Any, Any] | None = None
    block_measure = _BLOCK_MEASURE.get(measure, measure)
    if block_measure != measure:
        base = "e"
    for block in blocks:
        vectors = {key: Vector(sources[key].name, sources[key].source, values)
                   for key, values in block.items()}
        options: dict[str, Any] = {}
        inputs: dict[str, Vector] = {}
        try:
            value, target = evaluate(block_measure, args, base, "sum", options, inputs,
                                     _reading(args, vectors, others))
        except InputError as exc:
            hint = logits_hint(measure, str(exc), args, inputs, first_row)
            raise InputError(hint or located(str(exc), first_row)) from None
        if "calibration" in options:  # ECE: the bins' sums add up
            bins = options.pop("calibration")
            calibration = bins if calibration is None else calibration + bins
        total += float(value)
        pred = inputs.get("pred", inputs.get("q", inputs.get("p")))
        assert pred is not None
        sample_weights = options.get("sample_weights")
        denominator += float(core.mean_denominator(
            None if measure in ELEMENTWISE else target, pred.values,
            weights=_values(options.get("weights")),
            label_smoothing=options.get("label_smoothing") or 0.0,
            normalize=bool(options.get("normalize")),
            ignore_index=options.get("ignore_index"),
            sample_weights=_values(sample_weights),
            elementwise=measure in ELEMENTWISE,
        ))
        # The block shown in notes: the first, or the first whose loss is infinite.
        if kept is None or (np.isinf(value) and not np.isinf(kept[2])):
            kept = (options, inputs, value, target)
        first_row += len(next(iter(block.values())))
    assert kept is not None  # a source that is not done has a first block
    options, inputs, _, target = kept
    for key, vector in inputs.items():
        if key in sources:
            inputs[key] = Vector(vector.name, vector.source, vector.values,
                                 whole=_shape(sources[key]))
    if isinstance(options.get("sample_weights"), Vector):
        vector = options["sample_weights"]
        options["sample_weights"] = Vector(vector.name, vector.source, vector.values,
                                           whole=(sources["sample_weights"].taken,))
    extra: dict[str, Any] = {}
    if measure == "ece":
        value = calibration.ece()
        extra["calibration"] = calibration
    elif measure == "perplexity":
        nats = _mean(total, denominator)
        value = float(np.exp(nats))
        extra["bits_per_token"] = nats / np.log(2)
    else:
        value = total if reduction == "sum" else _mean(total, denominator)
    outcome = Outcome(measure, np.float64(value), unit, given_base, reduction, inputs,
                      options, target, extra=extra)
    if measure in ("perplexity", "ece"):
        outcome.reduction = None
    add_notes(outcome)
    return outcome


def _write_blocks(measure: str, args: dict[str, Any], blocks: Iterator[dict[str, Any]],
                  sources: dict[str, Rows], base: str, given_base: str | None,
                  unit: str | None) -> Outcome:
    """``-q --reduction none``: each block's values written as soon as computed.

    The output is what the whole-array path writes: per-row values on one line,
    space-separated; per-element values (bce) one row per line.
    """
    from xentcli.cli.calc.format import quiet_number

    first_row = 0
    others: dict[str, Vector] = {}  # per-class options, read once for every block
    kept: tuple[dict[str, Any], dict[str, Vector], Any, Any] | None = None
    one_line = False
    for block in blocks:
        vectors = {key: Vector(sources[key].name, sources[key].source, values)
                   for key, values in block.items()}
        options: dict[str, Any] = {}
        inputs: dict[str, Vector] = {}
        try:
            value, target = evaluate(measure, args, base, "none", options, inputs,
                                     _reading(args, vectors, others))
        except InputError as exc:
            hint = logits_hint(measure, str(exc), args, inputs, first_row)
            raise InputError(hint or located(str(exc), first_row)) from None
        values = np.asarray(value, dtype=np.float64)
        if values.ndim == 1:
            sys.stdout.write((" " if one_line else "") + " ".join(map(quiet_number, values)))
            one_line = True
        else:
            sys.stdout.writelines(" ".join(map(quiet_number, row)) + "\n"
                                  for row in values.reshape(values.shape[0], -1))
        infinite = bool(np.isinf(values).any())
        if kept is None or (infinite and not np.isinf(kept[2]).any()):
            kept = (options, inputs, values, target)
        first_row += len(next(iter(block.values())))
    if one_line:
        sys.stdout.write("\n")
    sys.stdout.flush()
    assert kept is not None
    options, inputs, values, target = kept
    outcome = Outcome(measure, values, unit, given_base, "none", inputs, options, target,
                      written=True)
    add_notes(outcome)
    return outcome


def _values(vector: Any) -> Any:
    if vector is None or not isinstance(vector, Vector):
        return vector
    return vector.values.reshape(()) if vector.lone else vector.values


def _mean(total: float, denominator: float) -> float:
    if denominator == 0:
        return float("nan") if total == 0 else total
    return total / denominator


def _shape(rows: Rows) -> tuple[int, ...]:
    return (rows.taken,) if rows.ndim == 1 else (rows.taken, rows.width())

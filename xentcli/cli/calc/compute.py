"""Computing a ``xent calc`` result: parse the vectors, call the core, add notes.

Imported when a calc command runs (it imports numpy and the core).
:func:`compute` returns an :class:`~xentcli.cli.calc.outcome.Outcome`; writing
it is the job of :mod:`~xentcli.cli.calc.render` and
:mod:`~xentcli.cli.calc.explain`, chosen by :mod:`~xentcli.cli.calc.run`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from xentcli.cli.calc import hints
from xentcli.cli.calc.inputs import Vector, parse_number, parse_vector, target_for
from xentcli.cli.calc.outcome import EXPLAIN_ROWS, TABLE_CLASSES, Outcome, has_breakdown
from xentcli.errors import InputError

if TYPE_CHECKING:
    from xentcli.core.breakdown import Breakdown

_INFINITE_NOTES = {
    "cross-entropy": "PRED gives probability 0 to a class that TARGET has",
    "focal": "PRED gives probability 0 to a class that TARGET has",
    "kl": "Q gives probability 0 to a class that P has",
    "bce": "PRED is exactly 0 or 1 where a label says otherwise",
}


def _per_class(vector: Vector | None) -> Any:
    """A per-class option (weights, alpha, pos weight): a number or one per class."""
    if vector is None:
        return None
    return vector.values.reshape(()) if vector.lone else vector.values


def _index(value: float | None) -> int | None:
    """``--ignore-index``: a whole number."""
    if value is None:
        return None
    if not float(value).is_integer():
        raise InputError(f"--ignore-index must be a whole number; got {value:g}")
    return int(value)


def _sample_weights(read: Read, args: dict[str, Any]) -> Vector | None:
    """``--sample-weights``: one number per row; a file of one per line is flat too."""
    vector = _optional(read, args, "sample_weights", "--sample-weights")
    if vector is None or not (vector.values.ndim == 2 and vector.values.shape[1] == 1):
        return vector
    whole = None if vector.whole is None else vector.whole[:1]
    return Vector(vector.name, vector.source, vector.values.reshape(-1), vector.lone, whole)


def _rows_of(vector: Vector | None) -> Any:
    """A per-row option (``--sample-weights``) for the core: a lone number for one row."""
    if vector is None:
        return None
    return vector.values.reshape(()) if vector.lone else vector.values


def _calibration(measure: str, args: dict[str, Any], target: Any, pred: Vector,
                 options: dict[str, Any], read: Read, reduction: str) -> Any:
    """Perplexity, ECE and the Brier score (no log base of their own)."""
    from xentcli import core

    ignore = _index(args.get("ignore_index"))
    logits, normalize = args["logits"], args["normalize"]
    if measure == "ece":
        bins = int(args["bins"]) if float(args["bins"]).is_integer() else args["bins"]
        options.update(bins=bins, logits=logits,
                       normalize=normalize, ignore_index=ignore)
        calibration = core.calibration_bins(target, pred.values, bins=bins,
                                            from_logits=logits, normalize=normalize,
                                            ignore_index=ignore)
        options["calibration"] = calibration
        return np.float64(calibration.ece())
    sample_weights = _sample_weights(read, args)
    if measure == "brier":
        options.update(logits=logits, normalize=normalize, ignore_index=ignore,
                       sample_weights=sample_weights)
        return core.brier_score(target, pred.values, from_logits=logits, normalize=normalize,
                                reduction=reduction, ignore_index=ignore,
                                sample_weights=_rows_of(sample_weights))
    weights = _optional(read, args, "weights", "--weights")
    smoothing = args["label_smoothing"]
    options.update(logits=logits, weights=weights, label_smoothing=smoothing,
                   eps=args["eps"], normalize=normalize, ignore_index=ignore,
                   sample_weights=sample_weights)
    # Bits per token straight from the mean in bits: log2(PPL) would lose digits near 1.
    options["bits_per_token"] = core.cross_entropy(
        target, pred.values, base=2, from_logits=logits, weights=_per_class(weights),
        label_smoothing=smoothing, eps=args["eps"], normalize=normalize, ignore_index=ignore,
        sample_weights=_rows_of(sample_weights),
    )
    return core.perplexity(target, pred.values, from_logits=logits,
                           weights=_per_class(weights), label_smoothing=smoothing,
                           eps=args["eps"], normalize=normalize, ignore_index=ignore,
                           sample_weights=_rows_of(sample_weights))


def _scalar(text: str | float | None, name: str) -> float | None:
    """A numeric option (``--eps``, ``--gamma``, ``--label-smoothing``), or None."""
    if text is None or isinstance(text, float):  # None, or read already
        return text
    value = parse_number(text, name)
    if value == 0 and re.search(r"[1-9]", re.split(r"[eE]", text)[0]):  # 1e-400 underflows
        raise InputError(f"{name}: '{text.strip()}' is too small for a float "
                         "(the smallest is about 5e-324)")
    return value


def _check_stdin(args: dict[str, Any]) -> None:
    readers = [k for k in ("p", "q", "target", "pred", "z", "weights", "alpha", "pos_weight",
                           "sample_weights") if args.get(k) == "-"]
    if len(readers) > 1:
        names = " and ".join(_display_name(k) for k in readers)
        raise InputError(f"only one argument can be read from standard input: {names} are both -")


def _display_name(key: str) -> str:
    if key in ("weights", "alpha", "pos_weight", "sample_weights"):
        return "--" + key.replace("_", "-")
    return key.upper()


#: Reads one vector argument: ``read(key, name)`` for ``args[key]``, shown as ``name``.
Read = Callable[[str, str], Vector]


def reader_of(args: dict[str, Any]) -> Read:
    """The plain :data:`Read`: each argument parsed whole (inline, file or stdin)."""
    return lambda key, name: parse_vector(args[key], name)


def _optional(read: Read, args: dict[str, Any], key: str, name: str) -> Vector | None:
    return None if args.get(key) is None else read(key, name)


def evaluate(measure: str, args: dict[str, Any], base: str, reduction: str,
             options: dict[str, Any], inputs: dict[str, Vector],
             read: Read) -> tuple[Any, Any]:
    """Read the vectors into ``inputs``, the options into ``options``; call the core.

    ``read`` gives each vector: whole, or (``xent calc`` on a large file) one
    block of rows at a time. Returns the value and the TARGET as given to the
    core (None where there is none).
    """
    from xentcli import core

    target: Any = None
    if measure in ("entropy", "surprisal"):
        p = read("p", "P")
        inputs["p"] = p
        if measure == "entropy":
            options["normalize"] = args["normalize"]
            value = core.entropy(p.values, base=base, normalize=args["normalize"],
                                 reduction=reduction)
        else:
            value = core.surprisal(p.values, base=base)
    elif measure in ("softmax", "log-softmax"):
        z = read("z", "Z")
        inputs["z"] = z
        value = (core.softmax if measure == "softmax" else core.log_softmax)(z.values)
    elif measure in ("kl", "js"):
        p, q = read("p", "P"), read("q", "Q")
        inputs.update(p=p, q=q)
        sample_weights = _sample_weights(read, args)
        if measure == "kl":
            options.update(logits=args["logits"], eps=args["eps"], normalize=args["normalize"],
                           sample_weights=sample_weights)
            value = core.kl_divergence(p.values, q.values, base=base,
                                       from_logits=args["logits"], eps=args["eps"],
                                       normalize=args["normalize"], reduction=reduction,
                                       sample_weights=_rows_of(sample_weights))
        else:
            options.update(distance=args["distance"], normalize=args["normalize"],
                           sample_weights=sample_weights)
            value = core.js_divergence(p.values, q.values, base=base,
                                       distance=args["distance"],
                                       normalize=args["normalize"], reduction=reduction,
                                       sample_weights=_rows_of(sample_weights))
    elif measure in ("bce", "sigmoid-focal"):
        t, pred = read("target", "TARGET"), read("pred", "PRED")
        inputs.update(target=t, pred=pred)
        sample_weights = _sample_weights(read, args)
        target = t.values
        if measure == "bce":
            pos_weight = _optional(read, args, "pos_weight", "--pos-weight")
            options.update(logits=args["logits"], pos_weight=pos_weight,
                           label_smoothing=args["label_smoothing"], eps=args["eps"],
                           sample_weights=sample_weights)
            value = core.binary_cross_entropy(
                target, pred.values, base=base, from_logits=args["logits"],
                pos_weight=_per_class(pos_weight), label_smoothing=args["label_smoothing"],
                eps=args["eps"], reduction=reduction, sample_weights=_rows_of(sample_weights),
            )
        else:
            balance = _scalar(args["alpha"], "--alpha")
            options.update(gamma=args["gamma"], alpha=balance, logits=args["logits"],
                           eps=args["eps"], sample_weights=sample_weights)
            value = core.sigmoid_focal_loss(
                target, pred.values, gamma=args["gamma"], alpha=balance, base=base,
                from_logits=args["logits"], eps=args["eps"], reduction=reduction,
                sample_weights=_rows_of(sample_weights),
            )
    elif measure in ("perplexity", "ece", "brier"):
        t, pred = read("target", "TARGET"), read("pred", "PRED")
        inputs.update(target=t, pred=pred)
        target = target_for(t, pred)
        value = _calibration(measure, args, target, pred, options, read, reduction)
    else:  # cross-entropy, focal, grad: a target and a prediction
        t = read("target", "TARGET")
        pred_key = "z" if measure == "grad" else "pred"
        pred = read(pred_key, pred_key.upper())
        inputs.update({"target": t, pred_key: pred})
        target = target_for(t, pred)
        smoothing = args["label_smoothing"]
        ignore = _index(args.get("ignore_index"))
        if measure == "focal":
            alpha = _optional(read, args, "alpha", "--alpha")
            sample_weights = _sample_weights(read, args)
            options.update(gamma=args["gamma"], alpha=alpha, logits=args["logits"],
                           label_smoothing=smoothing, eps=args["eps"],
                           normalize=args["normalize"], ignore_index=ignore,
                           sample_weights=sample_weights)
            value = core.focal_loss(target, pred.values, gamma=args["gamma"],
                                    alpha=_per_class(alpha), base=base,
                                    from_logits=args["logits"], label_smoothing=smoothing,
                                    eps=args["eps"], normalize=args["normalize"],
                                    reduction=reduction, ignore_index=ignore,
                                    sample_weights=_rows_of(sample_weights))
        else:
            weights = _optional(read, args, "weights", "--weights")
            if measure == "grad":
                options.update(weights=weights, label_smoothing=smoothing, ignore_index=ignore)
                value = core.cross_entropy_grad(target, pred.values, base=base,
                                                weights=_per_class(weights),
                                                label_smoothing=smoothing, reduction=reduction,
                                                ignore_index=ignore)
            else:
                sample_weights = _sample_weights(read, args)
                options.update(logits=args["logits"], weights=weights,
                               label_smoothing=smoothing, eps=args["eps"],
                               normalize=args["normalize"], ignore_index=ignore,
                               sample_weights=sample_weights)
                value = core.cross_entropy(target, pred.values, base=base,
                                           from_logits=args["logits"],
                                           weights=_per_class(weights),
                                           label_smoothing=smoothing, eps=args["eps"],
                                           normalize=args["normalize"], reduction=reduction,
                                           ignore_index=ignore,
                                           sample_weights=_rows_of(sample_weights))
    return value, target


def settings(args: dict[str, Any]) -> tuple[str | None, str, str | None, str]:
    """Read the options that need no vector: a typo fails before any file is read.

    Returns the base as given (None: not given), the base to compute in, its
    unit (None when no base was given) and the reduction. Numeric options in
    ``args`` are replaced by their values (calling this twice is harmless).
    """
    from xentcli import core

    given_base: str | None = args.get("base")
    if given_base is not None and "/" in given_base:  # --base 1/2: a fraction, as elsewhere
        given_base = repr(parse_number(given_base, "--base"))
    base = given_base or "e"
    unit = None
    if given_base is not None:
        _, unit = core.resolve_base(given_base)  # a bad base fails before any file is read
    _check_stdin(args)
    # Numeric options are read before the vectors: a typo fails before a file is read.
    for key in ("eps", "gamma", "label_smoothing", "ignore_index", "bins"):
        if key in args:
            args[key] = _scalar(args[key], "--" + key.replace("_", "-"))
    reduction: str = args.get("reduction") or "none"
    return given_base, base, unit, reduction


def compute(measure: str, args: dict[str, Any], *, detail: bool, explain: bool,
            read: Read | None = None) -> Outcome:
    """Run the measure on the parsed inputs; with ``detail``, add a per-class breakdown.

    ``read``: how the vectors are read (default: each argument parsed whole).
    """
    given_base, base, unit, reduction = settings(args)
    options: dict[str, Any] = {}
    inputs: dict[str, Vector] = {}
    try:
        value, target = evaluate(measure, args, base, reduction, options, inputs,
                                 read or reader_of(args))
    except InputError as exc:
        hint = logits_hint(measure, str(exc), args, inputs)
        if hint is None:
            raise
        raise InputError(hint) from None

    extra: dict[str, Any] = {key: options.pop(key) for key in ("calibration", "bits_per_token")
             if key in options}
    if measure == "js" and options.get("distance"):
        unit = None  # the square root of a divergence has no unit of information
    outcome = Outcome(measure, value, unit, given_base, reduction, inputs, options, target,
                      extra=extra)
    if measure in ("softmax", "log-softmax", "surprisal", "perplexity", "ece"):
        outcome.reduction = None
    if detail or explain:
        outcome.breakdown = breakdown(outcome, args, explain=explain)
    add_notes(outcome)
    return outcome


def breakdown(outcome: Outcome, args: dict[str, Any], *, explain: bool,
              wide: bool = False) -> Breakdown | None:
    """Per-class terms for a table (one short row) or for --explain (the first rows).

    ``wide``: also for one row of more than :data:`TABLE_CLASSES` (``--plot``).
    """
    from xentcli.core import breakdown as bd

    main = outcome.main.values
    k = main.shape[-1] if main.ndim else 1
    if main.ndim > 2 or not has_breakdown(outcome):
        return None
    rows = 1 if main.ndim < 2 else main.shape[0]
    if not explain and (rows > 1 or (k > TABLE_CLASSES and not wide)):
        return None
    keep = slice(0, EXPLAIN_ROWS)
    outcome.partial = rows > EXPLAIN_ROWS

    def first(x: Any) -> Any:
        # Only the rows that will be shown: the batch's total comes from the core.
        arr = np.asarray(x)
        return arr[keep] if outcome.partial and arr.ndim == main.ndim else arr

    def vec(name: str) -> Any:
        return first(outcome.inputs[name].values)

    o = outcome.options
    measure = outcome.measure
    base = outcome.base or "e"
    b: Breakdown
    if measure == "entropy":
        b = bd.entropy_breakdown(vec("p"), base=base, normalize=o["normalize"], reduction="none")
    elif measure in ("softmax", "log-softmax"):
        b = bd.softmax_breakdown(vec("z"))
    elif measure == "kl":
        b = bd.kl_breakdown(vec("p"), vec("q"), base=base, from_logits=o["logits"],
                            eps=o["eps"], normalize=o["normalize"], reduction="none")
    elif measure == "bce":
        b = bd.bce_breakdown(first(outcome.target), vec("pred"), base=base,
                             from_logits=o["logits"], pos_weight=_per_class(o["pos_weight"]),
                             eps=o["eps"], reduction="none")
    elif measure == "focal":
        b = bd.focal_breakdown(first(_target_rows(outcome)), vec("pred"), gamma=o["gamma"],
                               alpha=_per_class(o["alpha"]), base=base,
                               from_logits=o["logits"], label_smoothing=o["label_smoothing"],
                               eps=o["eps"], normalize=o["normalize"], reduction="none")
    elif measure == "grad":
        b = bd.grad_breakdown(first(_target_rows(outcome)), vec("z"), base=base,
                              weights=_per_class(o["weights"]),
                              label_smoothing=o["label_smoothing"], reduction="none")
    else:
        weights = _per_class(o["weights"])

        def ce(weights: Any) -> Breakdown:
            return bd.cross_entropy_breakdown(
                first(_target_rows(outcome)), vec("pred"), base=base, from_logits=o["logits"],
                weights=weights, label_smoothing=o["label_smoothing"],
                eps=o["eps"], normalize=o["normalize"], reduction="none",
            )

        b = ce(weights)
        if (weights is not None and outcome.reduction == "mean"
                and np.isfinite(outcome.value).all() and not np.isfinite(b.terms).all()):
            # Huge weights (1e308): w_i·y_i·ln q_i overflows although the mean, which
            # the core computes with the weights scaled down, is finite. A weighted
            # mean is the same for weights scaled alike: show them so.
            largest = float(np.max(np.abs(weights)))
            if largest > 1:
                b = ce(np.asarray(weights, np.float64) / largest)
                outcome.extra["terms_weights_divided_by"] = largest
                outcome.notes.append(
                    f"the terms are shown with the weights divided by {largest:g}, the "
                    "largest, so that they fit in a float; a weighted mean is the same for "
                    "weights scaled alike.")
    return b


def _target_rows(outcome: Outcome) -> Any:
    """The target, sliceable by rows (class indices of a batch are 1-D)."""
    target = outcome.target
    if outcome.partial and outcome.class_indices:
        return np.asarray(target)[:EXPLAIN_ROWS]
    return target


def logits_hint(measure: str, message: str, args: dict[str, Any],
                inputs: dict[str, Vector], first_row: int = 0) -> str | None:
    """An error about PRED's probabilities, when PRED holds logits: say so instead."""
    key = "q" if "q" in inputs else "pred"
    if key not in inputs or args.get("logits", True):
        return None
    name = inputs[key].name
    if not message.startswith(name + " "):
        return None
    return hints.logits_hint(name, inputs[key].values, first_row, message)


def add_notes(outcome: Outcome) -> None:
    value = np.asarray(outcome.value)
    if outcome.measure == "grad":
        note = hints.grad_probabilities_note(outcome.inputs["z"].values)
        if note is not None:
            outcome.notes.append(note)
    if not np.isinf(value).any():
        return
    if outcome.measure == "surprisal":
        outcome.notes.append("a probability of 0 has infinite surprisal")
        return
    reason = _INFINITE_NOTES.get(outcome.measure)
    if reason is None:
        return
    if _overflowed(outcome):
        outcome.notes.append(
            "the result overflows: its exact value is finite, but it or a step on the "
            "way is beyond the largest float, about 1.8e308 (huge weights or logits, "
            "or a base near 1).")
        return
    pred = "Q" if outcome.measure == "kl" else "PRED"
    eps = outcome.options.get("eps")
    if eps:  # clipped, and still 0 or 1: 1 - eps (or eps) rounds back to it
        if outcome.options.get("logits"):
            squash = "sigmoid" if outcome.measure == "bce" else "softmax"
            reason = reason.replace(pred, f"{squash}({pred})", 1)
        outcome.notes.append(f"the result is infinite: {reason}, even clipped by --eps "
                             f"{eps:g}: 1 - {eps:g} rounds to 1. Use --eps 1e-7 or more.")
        return
    swapped = None if outcome.options.get("logits") else _swapped(outcome)
    if swapped is not None:
        outcome.notes.append(swapped)
        return
    if outcome.options.get("logits"):
        # Logits already: the 0 comes from a -inf logit (or a huge gap); only --eps helps.
        squash = "sigmoid" if outcome.measure == "bce" else "softmax"
        reason = reason.replace(pred, f"{squash}({pred})", 1)
        outcome.notes.append(f"the result is infinite: {reason}. Use --eps 1e-7 to clip it.")
        return
    outcome.notes.append(
        f"the result is infinite: {reason}. Use --eps 1e-7 to clip {pred}, "
        f"or --logits if {pred} holds logits."
    )


def _overflowed(outcome: Outcome) -> bool:
    """An infinite result that no probability of exactly 0 (or 1, for BCE) explains,
    where the target needs more: then a number, or a step on the way, went past
    the largest float.

    The probabilities are PRED's (Q's), through sigmoid or softmax for logits,
    clipped by ``--eps`` as the core clips them; rows and classes that carry no
    target mass (an ignored row, a class the target gives 0) cannot cause it.
    """
    if not all(np.isfinite(vector.values).all() for vector in outcome.inputs.values()):
        return False
    options, measure = outcome.options, outcome.measure
    pred = np.asarray(outcome.inputs["q" if measure == "kl" else "pred"].values, np.float64)
    eps = options.get("eps")
    if options.get("logits"):
        if not eps:
            return True  # a finite logit has a probability strictly inside (0, 1)
        if measure == "bce":  # sigmoid, without overflow for either sign
            pred = np.exp(-np.logaddexp(0.0, -pred))
        else:
            from xentcli import core

            pred = np.asarray(core.softmax(pred), np.float64)
    if eps:
        pred = np.clip(pred, eps, 1 - eps)
    if measure == "bce":
        y = np.broadcast_to(np.asarray(outcome.target, np.float64), pred.shape)
        edge = ((pred <= 0) & (y > 0)) | ((pred >= 1) & (y < 1))
    elif measure == "kl":
        edge = (pred <= 0) & (np.asarray(outcome.inputs["p"].values) > 0)
    elif options.get("label_smoothing"):
        edge = pred <= 0  # a smoothed target has mass on every class
    elif outcome.class_indices:
        labels = np.asarray(outcome.target).astype(np.int64)
        rows = pred.reshape(-1, pred.shape[-1])
        flat = labels.reshape(-1)
        keep = flat != options.get("ignore_index") if options.get("ignore_index") is not None \
            else np.ones(flat.shape, bool)
        inside = (flat >= 0) & (flat < rows.shape[1]) & keep
        edge = rows[np.nonzero(inside)[0], flat[inside]] <= 0
    else:
        edge = (pred <= 0) & (np.asarray(outcome.target) > 0)
    return not bool(np.any(edge))


def _swapped(outcome: Outcome) -> str | None:
    """The note for TARGET and PRED given the wrong way round, if they look it."""
    first, second = ("p", "q") if outcome.measure == "kl" else ("target", "pred")
    t, pred = outcome.inputs[first], outcome.inputs[second]
    example = None
    if t.from_text and pred.from_text:
        command = "ce" if outcome.measure == "cross-entropy" else outcome.measure
        example = f"xent calc {command} {_shell_word(pred.source)} {_shell_word(t.source)}"
    target = outcome.target if outcome.target is not None else t.values
    return hints.swapped_note(t.name, pred.name, target, pred.values, example)


def _shell_word(text: str) -> str:
    import shlex

    return shlex.quote(text.strip())

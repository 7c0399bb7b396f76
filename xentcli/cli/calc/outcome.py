"""The result of a calculator command, and the table of measures.

An :class:`Outcome` is what :mod:`~xentcli.cli.calc.compute` hands to the
writers (:mod:`~xentcli.cli.calc.render`, :mod:`~xentcli.cli.calc.explain`).
It depends on nothing else in the package, so the arrows point one way::

    commands -> run -> explain -> render -> compute -> outcome -> inputs
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from xentcli.cli.calc.inputs import Vector

if TYPE_CHECKING:
    from xentcli.core.breakdown import Breakdown

__all__ = ["ELEMENTWISE", "EXPLAIN_ROWS", "LIST_MEASURES", "MEASURES", "PLOT_CLASSES",
           "TABLE_CLASSES", "Outcome", "has_breakdown"]

#: Vectors with at most this many classes get a per-class table in the human view.
TABLE_CLASSES = 12
PLOT_CLASSES = 100  # as `xent plot compare`: more bars than lines say nothing
#: ``--explain`` works through this many rows of a batch (all rows enter the result).
EXPLAIN_ROWS = 3

#: Title and symbol of each measure.
MEASURES: dict[str, tuple[str, str]] = {
    "entropy": ("entropy", "H(P)"),
    "surprisal": ("surprisal", "-log p"),
    "cross-entropy": ("cross-entropy", "H(TARGET, PRED)"),
    "kl": ("KL divergence", "D_KL(P || Q)"),
    "bce": ("binary cross-entropy", "BCE(TARGET, PRED)"),
    "focal": ("focal loss", "FL(TARGET, PRED)"),
    "softmax": ("softmax", "softmax(Z)"),
    "log-softmax": ("log-softmax", "log softmax(Z)"),
    "grad": ("gradient of the cross-entropy", "dH/dZ"),
    "js": ("Jensen-Shannon divergence", "JS(P, Q)"),
    "js-distance": ("Jensen-Shannon distance", "sqrt JS(P, Q)"),
    "perplexity": ("perplexity", "PPL(TARGET, PRED)"),
    "sigmoid-focal": ("sigmoid focal loss", "SFL(TARGET, PRED)"),
    "ece": ("expected calibration error", "ECE(TARGET, PRED)"),
    "brier": ("Brier score", "BS(TARGET, PRED)"),
}
#: Measures reduced over every element (one loss per label), not over rows.
ELEMENTWISE = {"bce", "sigmoid-focal"}
#: Measures whose result is a list (one value per element), not a reduced number.
LIST_MEASURES = {"surprisal", "softmax", "log-softmax", "grad"}

@dataclass
class Outcome:
    """A computed result and everything needed to show it."""

    measure: str
    value: Any
    unit: str | None
    base: str | None
    reduction: str | None
    inputs: dict[str, Vector]
    options: dict[str, Any]
    #: The TARGET as given to the core (class indices are 0-d or 1-D integers).
    target: Any = None
    breakdown: Breakdown | None = None
    #: True when the breakdown covers only the first rows of a batch.
    partial: bool = False
    notes: list[str] = field(default_factory=list)
    #: More results for ``--json`` (perplexity's bits per token, ECE's bins).
    extra: dict[str, Any] = field(default_factory=dict)
    #: The value was written block by block as it was computed (``-q`` of a large file).
    written: bool = False

    @property
    def _key(self) -> str:
        return "js-distance" if self.measure == "js" and self.options.get("distance") else (
            self.measure)

    @property
    def title(self) -> str:
        return MEASURES[self._key][0]

    @property
    def symbol(self) -> str:
        return MEASURES[self._key][1]

    @property
    def is_list(self) -> bool:
        return self.measure in LIST_MEASURES

    @property
    def main(self) -> Vector:
        """The prediction (or the only input): it sets the number of rows and classes."""
        for name in ("pred", "q", "z", "p"):
            if name in self.inputs:
                return self.inputs[name]
        raise AssertionError("every measure has an input")  # pragma: no cover

    @property
    def rows(self) -> int:
        """Rows (samples) of the prediction: 1 for a single vector."""
        shape = self.main.shape
        return shape[0] if len(shape) > 1 else 1

    @property
    def elements(self) -> int:
        """Numbers in the prediction (BCE reduces over all of them)."""
        import math

        return math.prod(self.main.shape)

    @property
    def class_indices(self) -> bool:
        return self.target is not None and np.ndim(self.target) < self.main.values.ndim


#: Measures whose per-class terms come from :mod:`xentcli.core.breakdown`.
BREAKDOWN_MEASURES = {"entropy", "cross-entropy", "kl", "bce", "focal", "softmax",
                      "log-softmax", "grad"}


def has_breakdown(outcome: Outcome) -> bool:
    """True when the core's breakdown covers the measure with its options.

    The breakdown knows no ignored rows, sample weights or binary label
    smoothing: with those, the worked solution goes row by row instead.
    """
    o = outcome.options
    return outcome.measure in BREAKDOWN_MEASURES and o.get("ignore_index") is None and (
        o.get("sample_weights") is None) and not (
        outcome.measure == "bce" and o.get("label_smoothing"))

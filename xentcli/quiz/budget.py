"""How much work one draw of a question may do, so an untrusted bank cannot hang.

Each formula and template is bounded on its own (length, parts, list sizes),
but a bank can chain many of them: thousands of ``let`` values, each a softmax
of the one before, redrawn two hundred times. A :class:`Budget` counts the
work of one draw in **steps** (one part of a formula evaluated, one list item
built or copied, one character of rendered text; a call into the numeric core
counts :data:`CORE_CALL_STEPS`) and stops it with :class:`BudgetExceeded`
when the limit is passed. Memory follows: every list item a draw holds was
counted when it was built.

>>> budget = Budget(10, "draw")
>>> budget.spend(4); budget.spend(6); budget.used
10
>>> budget.spend(1)
Traceback (most recent call last):
...
xentcli.quiz.budget.BudgetExceeded: the draw needs more than 10 steps of work
"""

from __future__ import annotations

__all__ = [
    "CHECK_STEPS",
    "CORE_CALL_STEPS",
    "DRAW_STEPS",
    "Budget",
    "BudgetExceeded",
    "spend",
]

#: Steps one draw may take: lets, requires, answer, mistakes and every text,
#: over all the redraws a ``require`` asks for. The shipped banks' costliest
#: draw takes about 1/90 of this (benchmarks/bank_budget.py measures it).
DRAW_STEPS = 300_000
#: Steps ``xent bank check`` may spend on one question over all its seeds.
CHECK_STEPS = 2_000_000
#: What one call of a core function (entropy, softmax, ...) costs besides the
#: items of its result: checking and converting its input takes that long.
CORE_CALL_STEPS = 20


class BudgetExceeded(Exception):
    """A draw went past its budget. Not an :class:`ExpressionError`, so that
    no formula or template wraps it: the question reports it as it is."""

    def __init__(self, budget: Budget) -> None:
        super().__init__(f"the {budget.what} needs more than {budget.limit:,} steps of work")
        self.budget = budget


class Budget:
    """A count of steps against a limit, optionally charged to a parent too
    (a draw's steps count toward its question's check)."""

    def __init__(self, limit: int, what: str, parent: Budget | None = None) -> None:
        # what: "draw" (one draw) or "check" (all the draws bank check makes of a question)
        self.limit = limit
        self.what = what
        self.parent = parent
        self.used = 0

    def spend(self, steps: int) -> None:
        """Count ``steps``; raise :class:`BudgetExceeded` past the limit."""
        self.used += steps
        if self.used > self.limit:
            raise BudgetExceeded(self)
        if self.parent is not None:
            self.parent.spend(steps)


def spend(budget: Budget | None, steps: int) -> None:
    """Charge ``budget`` where there is one (answers and tests have none)."""
    if budget is not None:
        budget.spend(steps)

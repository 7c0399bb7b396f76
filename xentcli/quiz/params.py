"""Random parameters of a question: how they are declared, checked and drawn.

A question's ``params`` map names to specs such as ``{type: distribution,
size: k, decimals: 2}``. :func:`parse_params` checks every spec once (reporting
each problem through a callback) and returns :class:`ParamSpec` objects whose
:meth:`~ParamSpec.draw` gives JSON-friendly values: ints, floats rounded to the
spec's decimals, strings and lists of those.

>>> import random
>>> (spec,) = parse_params({"p": {"type": "distribution", "size": 3}}, print)
>>> p = spec.draw(random.Random(1), {})
>>> len(p), round(sum(p), 12), all(x >= 0.01 for x in p)
(3, 1.0, True)
"""

from __future__ import annotations

import keyword
import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from xentcli.errors import BankError

__all__ = ["MAX_SIZE", "PARAM_TYPES", "ParamSpec", "check_name", "parse_params"]

#: Largest vector a parameter may be (sizes given by name are checked when drawn).
MAX_SIZE = 100
#: Finest grid of a distribution: entries are multiples of 10**-decimals.
MAX_DECIMALS = 6

PARAM_TYPES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    # type: (required keys, optional keys) besides "type"
    "distribution": (frozenset({"size"}), frozenset({"decimals", "min"})),
    "onehot": (frozenset({"size"}), frozenset({"index"})),
    "index": (frozenset({"size"}), frozenset()),
    "integer": (frozenset({"min", "max"}), frozenset()),
    "number": (frozenset({"min", "max"}), frozenset({"step"})),
    "vector": (frozenset({"size", "min", "max"}), frozenset({"step"})),
    "pick": (frozenset({"values"}), frozenset()),
}

#: Receives (param name or None, message) for each problem found.
Report = Callable[[str | None, str], None]


def check_name(name: Any, reserved: frozenset[str] | set[str]) -> str | None:
    """Why ``name`` cannot name a parameter or a ``let`` value (None if it can)."""
    if not isinstance(name, str) or not name.isidentifier() or not name.isascii():
        return f"'{name}' is not a valid name (use letters, digits and _)"
    if keyword.iskeyword(name) or name in {"True", "False", "None"}:
        return f"'{name}' is a reserved word"
    if name in reserved:
        return f"'{name}' is reserved (a built-in function or constant)"
    return None


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _decimals(step: float) -> int:
    """Decimal places of a step as written: 0.05 -> 2, 0.5 -> 1, 2 -> 0."""
    exponent = Decimal(repr(step)).normalize().as_tuple().exponent
    return max(0, -int(exponent))


@dataclass(frozen=True)
class ParamSpec:
    """One checked parameter declaration."""

    name: str
    type: str
    spec: Mapping[str, Any]

    def draw(self, rng: random.Random, values: Mapping[str, Any]) -> Any:
        """Draw a value; ``values`` holds the parameters drawn before this one.

        Raises:
            BankError: the spec cannot be satisfied with those values (for
                example a size taken from another parameter is too large).
        """
        return getattr(self, "_draw_" + self.type)(rng, values)

    # -- helpers

    def _size(self, values: Mapping[str, Any], key: str = "size") -> int:
        size = self.spec[key]
        if isinstance(size, str):
            size = values[size]
        if not _is_int(size) or not 1 <= size <= MAX_SIZE:
            raise BankError(f"param '{self.name}': {key} must be 1 to {MAX_SIZE}, not {size}")
        return int(size)

    def _grid(self) -> tuple[int, int, float, int]:
        """(first, last, step, decimals): the value k*step for k in [first, last]."""
        step = self.spec.get("step", 0.01)
        decimals = _decimals(step)
        # A little slack so that 0.3/0.1 = 2.9999999999999996 still counts as 3.
        first = math.ceil(self.spec["min"] / step - 1e-9)
        last = math.floor(self.spec["max"] / step + 1e-9)
        return first, last, step, decimals

    def _on_grid(self, k: int, step: Any, decimals: int) -> Any:
        if _is_int(step) and _is_int(self.spec["min"]):
            return k * step
        return round(k * step, decimals)

    # -- the types

    def _draw_distribution(self, rng: random.Random, values: Mapping[str, Any]) -> list[float]:
        size = self._size(values)
        decimals = self.spec.get("decimals", 2)
        units = 10**decimals
        low = round(self.spec.get("min", 10.0**-decimals) * units)
        spare = units - size * low
        if spare < 0:
            raise BankError(
                f"param '{self.name}': {size} entries of at least "
                f"{low / units:g} cannot sum to 1"
            )
        # A uniformly random composition of `spare` into `size` parts (stars and
        # bars): exact integers, so the entries sum to exactly 1 on the grid.
        cuts = sorted(rng.sample(range(spare + size - 1), size - 1))
        bounds = [-1, *cuts, spare + size - 1]
        parts = [bounds[i + 1] - bounds[i] - 1 for i in range(size)]
        return [round((low + part) / units, decimals) for part in parts]

    def _draw_onehot(self, rng: random.Random, values: Mapping[str, Any]) -> list[int]:
        size = self._size(values)
        if "index" in self.spec:
            index = values[self.spec["index"]]
            if not 0 <= index < size:
                raise BankError(
                    f"param '{self.name}': index {index} is out of range for size {size}"
                )
        else:
            index = rng.randrange(size)
        return [1 if i == index else 0 for i in range(size)]

    def _draw_index(self, rng: random.Random, values: Mapping[str, Any]) -> int:
        return rng.randrange(self._size(values))

    def _draw_integer(self, rng: random.Random, values: Mapping[str, Any]) -> int:
        return rng.randint(self.spec["min"], self.spec["max"])

    def _draw_number(self, rng: random.Random, values: Mapping[str, Any]) -> Any:
        first, last, step, decimals = self._grid()
        return self._on_grid(rng.randint(first, last), step, decimals)

    def _draw_vector(self, rng: random.Random, values: Mapping[str, Any]) -> list[Any]:
        size = self._size(values)
        first, last, step, decimals = self._grid()
        return [self._on_grid(rng.randint(first, last), step, decimals) for _ in range(size)]

    def _draw_pick(self, rng: random.Random, values: Mapping[str, Any]) -> Any:
        value = rng.choice(self.spec["values"])
        return list(value) if isinstance(value, list) else value


def _is_size_param(spec: ParamSpec) -> bool:
    """Whether a parameter always gives a whole number (usable as a size)."""
    if spec.type == "integer":
        return True
    return spec.type == "pick" and all(_is_int(v) for v in spec.spec["values"])


def parse_params(
    raw: Any, report: Report, reserved: frozenset[str] | set[str] = frozenset()
) -> tuple[ParamSpec, ...]:
    """Check a ``params`` mapping; report each problem, return the valid specs.

    ``report`` receives the param's name (None for the mapping itself) and one
    message per problem (already naming the param). Invalid entries are left
    out of the result, so later checks can go on.
    """
    if not isinstance(raw, Mapping):
        report(None, "params must be a mapping of name: {type: ...}")
        return ()
    specs: dict[str, ParamSpec] = {}
    for name, spec in raw.items():
        why = check_name(name, reserved)
        if why:
            report(name, f"param {why}")
            continue
        problems: list[str] = []
        _check_spec(name, spec, specs, problems.append)
        for problem in problems:
            report(name, f"param '{name}': {problem}")
        if not problems:
            specs[name] = ParamSpec(name, spec["type"], dict(spec))
    return tuple(specs.values())


def _check_spec(
    name: str, spec: Any, earlier: Mapping[str, ParamSpec], report: Callable[[str], None]
) -> None:
    if not isinstance(spec, Mapping):
        report("must be a mapping like {type: integer, min: 1, max: 5}")
        return
    kind = spec.get("type")
    if kind not in PARAM_TYPES:
        if kind is None:
            report("missing 'type'")
        else:
            report(f"unknown type '{kind}' (use one of: {', '.join(PARAM_TYPES)})")
        return
    required, optional = PARAM_TYPES[kind]
    for key in spec:
        if key != "type" and key not in required | optional:
            report(f"unknown key '{key}' for type {kind}")
    missing = sorted(required - set(spec))
    for key in missing:
        report(f"missing '{key}' (type {kind} needs {', '.join(sorted(required))})")
    if missing:
        return

    size: int | None = None
    if "size" in spec:
        size = _check_size(spec["size"], earlier, report)
    if kind == "distribution":
        _check_distribution(spec, size, report)
    elif kind == "onehot" and "index" in spec:
        ref = earlier.get(spec["index"]) if isinstance(spec["index"], str) else None
        if ref is None or ref.type != "index":
            report(f"index '{spec['index']}' must name an earlier param of type index")
    elif kind == "integer":
        low, high = spec["min"], spec["max"]
        if not (_is_int(low) and _is_int(high)):
            report("min and max must be whole numbers")
        elif low > high:
            report(f"min {low} is larger than max {high}")
    elif kind in ("number", "vector"):
        _check_grid(spec, report)
    elif kind == "pick":
        _check_pick(spec["values"], report)


def _check_size(
    size: Any, earlier: Mapping[str, ParamSpec], report: Callable[[str], None]
) -> int | None:
    if isinstance(size, str):
        ref = earlier.get(size)
        if ref is None or not _is_size_param(ref):
            report(f"size '{size}' must be a number or the name of an earlier integer param")
        return None
    if not _is_int(size) or not 1 <= size <= MAX_SIZE:
        report(f"size must be a whole number from 1 to {MAX_SIZE}, not {size!r}")
        return None
    return int(size)


def _check_distribution(
    spec: Mapping[str, Any], size: int | None, report: Callable[[str], None]
) -> None:
    decimals = spec.get("decimals", 2)
    if not _is_int(decimals) or not 0 <= decimals <= MAX_DECIMALS:
        report(f"decimals must be a whole number from 0 to {MAX_DECIMALS}, not {decimals!r}")
        return
    units = 10**decimals
    low = spec.get("min", 10.0**-decimals)
    if not _is_number(low) or not 0 <= low <= 1:
        report(f"min must be a number from 0 to 1, not {low!r}")
        return
    if abs(round(low * units) - low * units) > 1e-6:
        report(f"min {low} is not a multiple of {10.0**-decimals:g} (decimals: {decimals})")
    elif size is not None and size * round(low * units) > units:
        report(f"{size} entries of at least {low} cannot sum to 1")


def _check_grid(spec: Mapping[str, Any], report: Callable[[str], None]) -> None:
    low, high, step = spec["min"], spec["max"], spec.get("step", 0.01)
    if not (_is_number(low) and _is_number(high)):
        report("min and max must be numbers")
        return
    if not _is_number(step) or step <= 0:
        report(f"step must be a positive number, not {step!r}")
        return
    if low > high:
        report(f"min {low} is larger than max {high}")
        return
    if (high - low) / step > 10**9:
        report(f"the range {low}..{high} has too many steps of {step}")
        return
    # Values are drawn as k * step for whole k: k must stay an exact, finite int.
    if max(abs(low), abs(high)) / step > 2**53:
        report(f"{low}..{high} is too far from 0 for a step of {step}")
        return
    if math.ceil(low / step - 1e-9) > math.floor(high / step + 1e-9):
        report(f"no multiple of step {step} lies between {low} and {high}")


def _check_pick(values: Any, report: Callable[[str], None]) -> None:
    if not isinstance(values, list) or not values:
        report("values must be a non-empty list")
        return
    if len(values) > 1000:
        report("values may have at most 1000 entries")
        return
    for i, value in enumerate(values, 1):
        ok = (
            _is_number(value)
            or isinstance(value, str)
            or (
                isinstance(value, list)
                and 0 < len(value) <= MAX_SIZE
                and all(_is_number(v) for v in value)
            )
        )
        if not ok:
            hint = " (quote yes/no/on/off: YAML reads them as true/false)" if isinstance(
                value, bool
            ) else ""
            report(f"value {i} must be a number, a text or a list of numbers{hint}")

"""Parameter coercion without pydantic, for a fast start-up.

Typer coerces every parameter value through a pydantic TypeAdapter, built on
first use; importing pydantic costs more than numpy does (about 60 ms), and even
an option left at ``None`` builds its adapter. The CLI's parameters are text,
flags, numbers and Enums, which need no pydantic: :func:`use_plain_coercion`
gives such parameters a plain converter before a command parses its arguments.
Anything else keeps Typer's own path.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import typer

__all__ = ["use_plain_coercion"]


class _PlainCoercion:
    """Turns a parameter's text into a str, bool, int, float or Enum value."""

    def __init__(self, annotation: Any) -> None:
        self.annotation = annotation

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        kind = self.annotation
        if value is None or (isinstance(value, kind) and not isinstance(value, bool)) or (
            kind is bool and isinstance(value, bool)
        ):
            return value
        if issubclass(kind, Enum):
            try:
                return kind(value)
            except ValueError:
                choices = ", ".join(repr(member.value) for member in kind)
                raise typer.BadParameter(
                    f"{value!r} is not one of {choices}", ctx=ctx, param=param
                ) from None
        if kind is bool:
            return _flag(value, ctx, param)
        try:
            return kind(value)
        except (TypeError, ValueError):
            what = {int: "a whole number", float: "a number"}.get(kind, kind.__name__)
            raise typer.BadParameter(f"{value!r} is not {what}", ctx=ctx, param=param) from None


def _flag(value: Any, ctx: Any, param: Any) -> bool:
    text = str(value).strip().lower()
    if text in ("1", "true", "t", "yes", "y", "on"):
        return True
    if text in ("0", "false", "f", "no", "n", "off"):
        return False
    raise typer.BadParameter(f"{value!r} is not true or false", ctx=ctx, param=param)


def _plain(annotation: Any) -> bool:
    return annotation in (str, bool, int, float) or (
        isinstance(annotation, type) and issubclass(annotation, Enum)
    )


def use_plain_coercion(command: Any, ctx: Any) -> None:
    """Give ``command``'s str/bool/int/float/Enum parameters the plain converter."""
    for param in command.get_params(ctx):
        descriptor = getattr(param, "type_descriptor", None)
        # Typer caches its converter in _runtime_param (None until first use); if a
        # future Typer has no such attribute, nothing changes and Typer's path runs.
        if (
            descriptor is not None
            and getattr(param, "_runtime_param", False) is None
            and _plain(descriptor.annotation)
        ):
            param._runtime_param = _PlainCoercion(descriptor.annotation)

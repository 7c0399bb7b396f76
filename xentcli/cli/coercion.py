"""Parameter coercion without pydantic, for a fast start-up.

Typer coerces every parameter value through a pydantic TypeAdapter, built on
first use; importing pydantic costs more than numpy does (about 60 ms), and even
an option left at ``None`` builds its adapter. The CLI's parameters are text,
flags, numbers, Enums and paths, or lists of them, which need no pydantic:
:func:`use_plain_coercion` gives such parameters a plain converter before a
command parses its arguments, with the same checks (``min``/``max``, a path's
``exists``) and a message that names the value. Anything else keeps Typer's path.

This writes Typer's private ``_runtime_param`` slot (found through
``type_descriptor``); tests/test_typer_seam.py fails by name if Typer renames them.
"""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin

import typer

__all__ = ["use_plain_coercion"]

_SCALARS = (str, bool, int, float, Path)


class _PlainCoercion:
    """Turns a parameter's text into a str, bool, int, float, Enum or Path value,
    or a list of them for an option given several times."""

    def __init__(self, annotation: Any, info: Any) -> None:
        self.many = get_origin(annotation) is list
        self.kind = get_args(annotation)[0] if self.many else annotation
        self.info = info

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        if self.many or getattr(param, "multiple", False) or getattr(param, "nargs", 1) == -1:
            if value is None:
                return ()
            if isinstance(value, str):
                raise typer.BadParameter("Value must be an iterable.", ctx=ctx, param=param)
            return [self._one(item, param, ctx) for item in value]
        if value is None:
            return None
        return self._one(value, param, ctx)

    def _one(self, value: Any, param: Any, ctx: Any) -> Any:
        kind = self.kind
        if kind is Path or (isinstance(kind, type) and issubclass(kind, Path)):
            return self._path(value, param, ctx)
        if (isinstance(value, kind) and not isinstance(value, bool)) or (
            kind is bool and isinstance(value, bool)
        ):
            return _in_range(value, param, ctx)
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
            converted = kind(value)
        except (TypeError, ValueError):
            what = {int: "a whole number", float: "a number"}.get(kind, kind.__name__)
            raise typer.BadParameter(f"{value!r} is not {what}", ctx=ctx, param=param) from None
        return _in_range(converted, param, ctx)

    def _path(self, value: Any, param: Any, ctx: Any) -> Path:
        path = Path(value)
        info = self.info
        if value in ("-", b"-") and getattr(info, "allow_dash", False):
            return path
        label = _path_label(info)
        try:
            st = os.stat(path)
        except OSError:
            if getattr(info, "exists", False):
                raise typer.BadParameter(
                    f"{label} {str(value)!r} does not exist.", ctx=ctx, param=param
                ) from None
            return path
        import stat

        where = repr(str(value))
        if not getattr(info, "file_okay", True) and stat.S_ISREG(st.st_mode):
            raise typer.BadParameter(f"{label} {where} is a file.", ctx=ctx, param=param)
        if not getattr(info, "dir_okay", True) and stat.S_ISDIR(st.st_mode):
            raise typer.BadParameter(f"{label} {where} is a directory.", ctx=ctx, param=param)
        return path


def _path_label(info: Any) -> str:
    file_okay, dir_okay = getattr(info, "file_okay", True), getattr(info, "dir_okay", True)
    if file_okay and not dir_okay:
        return "file"
    if dir_okay and not file_okay:
        return "dir"
    return "path"


def _in_range(value: Any, param: Any, ctx: Any) -> Any:
    """The option's ``min``/``max``, checked with a message that names the value."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    low, high = getattr(param, "min", None), getattr(param, "max", None)
    if (low is None or value >= low) and (high is None or value <= high):
        return value
    if low is not None and high is not None:
        need = f"between {low} and {high}"
    elif low is not None:
        need = f"at least {low}"
    else:
        need = f"at most {high}"
    raise typer.BadParameter(f"must be {need}, not {value}", ctx=ctx, param=param)


def _flag(value: Any, ctx: Any, param: Any) -> bool:
    text = str(value).strip().lower()
    if text in ("1", "true", "t", "yes", "y", "on"):
        return True
    if text in ("0", "false", "f", "no", "n", "off"):
        return False
    raise typer.BadParameter(f"{value!r} is not true or false", ctx=ctx, param=param)


def _plain(annotation: Any) -> bool:
    if get_origin(annotation) is list:
        args = get_args(annotation)
        return len(args) == 1 and _plain(args[0])
    return annotation in _SCALARS or (
        isinstance(annotation, type) and issubclass(annotation, (Enum, Path))
    )


def use_plain_coercion(command: Any, ctx: Any) -> None:
    """Give ``command``'s plain parameters (see :func:`_plain`) the plain converter."""
    for param in command.get_params(ctx):
        descriptor = getattr(param, "type_descriptor", None)
        # Typer caches its converter in _runtime_param (None until first use); if a
        # future Typer has no such attribute, nothing changes and Typer's path runs.
        if (
            descriptor is not None
            and getattr(param, "_runtime_param", False) is None
            and getattr(descriptor, "file_annotation", None) is None
            and _plain(descriptor.annotation)
        ):
            param._runtime_param = _PlainCoercion(
                descriptor.annotation, getattr(descriptor, "parameter_info", None)
            )

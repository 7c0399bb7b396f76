"""The one place xent leans on Typer's private attributes fails loudly when they change.

``xentcli.cli.coercion`` hands plain str/bool/int/float/Enum parameters a converter
of its own (so that no command imports pydantic) by writing Typer's private
``_runtime_param`` slot, found through ``type_descriptor``. A Typer release that
renames either would quietly bring pydantic back into start-up; this test says so
by name instead.
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from xentcli.cli.app import COMMANDS, load_command
from xentcli.cli.coercion import _PlainCoercion, use_plain_coercion

SEAM = (
    "Typer no longer has the private attributes xentcli/cli/coercion.py relies on "
    "(param.type_descriptor, param._runtime_param): update the bypass or drop it"
)


def _commands(command: Any, ctx: Any) -> list[tuple[Any, Any]]:
    found = [(command, ctx)]
    if isinstance(command, TyperGroup):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            found += _commands(sub, typer.Context(sub, parent=ctx, info_name=name))
    return found


def test_every_plain_parameter_gets_the_plain_converter() -> None:
    converted = 0
    for name in COMMANDS:
        root = load_command(name)
        for command, ctx in _commands(root, typer.Context(root, info_name=name)):
            params = command.get_params(ctx)
            described = [p for p in params if hasattr(p, "type_descriptor")]
            assert described or not params, f"{SEAM} ({name}: no type_descriptor)"
            use_plain_coercion(command, ctx)
            for param in described:
                assert hasattr(param, "_runtime_param"), f"{SEAM} ({name} {param.name})"
                if isinstance(param._runtime_param, _PlainCoercion):
                    converted += 1
    assert converted >= 20, f"{SEAM}: only {converted} parameters took the plain converter"

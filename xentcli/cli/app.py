"""The root ``xent`` command and the one place where errors become exit codes.

Every command module registers itself on :data:`app`. Errors raised anywhere
below (:class:`xentcli.errors.XentError`, Typer's usage errors, Ctrl-C) are
turned into one message on stderr and an :class:`ExitStatus` by
:class:`XentGroup`, so the commands themselves never format an error. A message
fits 80 columns: a long one continues on lines indented under its text, and a
value quoted in it is cut short with '…' (an input can be a 90 KB line).
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from collections.abc import Sequence
from functools import cache
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from xentcli import __version__
from xentcli.cli.status import ExitStatus
from xentcli.errors import XentError

#: Width of every line of an error message.
WIDTH = 80
#: Longest quoted value kept whole in a message ('…' ends a longer one).
QUOTE_LIMIT = 40
#: Longest message, in characters, before its middle is left out.
MESSAGE_LIMIT = 400
# Quotes pair up from the left ('a' ... 'b' is two quoted values, never one),
# and an apostrophe inside a word (can't) opens and closes nothing.
_QUOTED = re.compile(r"""(?<!\w)'([^']*)'(?!\w)|(?<!\w)"([^"]*)"(?!\w)""")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _cut(match: re.Match[str]) -> str:
    quote = "'" if match.group(1) is not None else '"'
    value = match.group(1) if match.group(1) is not None else match.group(2)
    if len(value) <= QUOTE_LIMIT:
        return match.group(0)
    return f"{quote}{value[: QUOTE_LIMIT - 1]}…{quote}"


def _unbreakable(match: re.Match[str]) -> str:
    return match.group(0).replace(" ", "\xa0")


def shorten(message: str) -> str:
    """One line, quoted values cut at :data:`QUOTE_LIMIT`, the whole at
    :data:`MESSAGE_LIMIT` (its start and its end kept: the end often says what
    to do).

    >>> shorten("row 3 is empty: '" + "1," * 40 + "'")
    "row 3 is empty: '1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1…'"
    """
    text = _QUOTED.sub(_cut, _one_line(message))
    if len(text) > MESSAGE_LIMIT:
        tail = MESSAGE_LIMIT // 4
        text = f"{text[: MESSAGE_LIMIT - tail - 3]} … {text[-tail:]}"
    return text


def wrap_error(message: str, prefix: str = "Error: ") -> str:
    """``Error: message`` within :data:`WIDTH` columns, continuation lines
    indented under the text, ending in a newline.

    >>> print(wrap_error("a " * 45), end="")
    Error: a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a
           a a a a a a a a
    """
    import textwrap

    # A short quoted value ('xent bank check --help') stays on one line: its
    # spaces are made unbreakable while the text is wrapped.
    text = _QUOTED.sub(_unbreakable, shorten(message))
    lines = textwrap.wrap(text, WIDTH, initial_indent=prefix,
                          subsequent_indent=" " * len(prefix), break_on_hyphens=False)
    return "\n".join(lines or [prefix.rstrip()]).replace("\xa0", " ") + "\n"


def fail(message: str, status: ExitStatus = ExitStatus.USAGE) -> typer.Exit:
    """Print ``Error: message`` on stderr; return the Exit to raise."""
    sys.stderr.write(wrap_error(message))
    sys.stderr.flush()
    return typer.Exit(int(status))


class XentGroup(TyperGroup):
    """A Typer group whose ``main`` maps every failure to one line and a code.

    Both the console script and ``CliRunner`` call ``main``, so tests see the
    same messages and exit codes as users do.
    """

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        # Each command's line is its summary, known without building the command:
        # building all of them (every option of every subcommand) was most of
        # `xent --help`. The text is the same (tests/test_cli_root.py).
        import inspect

        rows = [(name, inspect.cleandoc(SUMMARIES[name]).strip())
                for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        return load_command(cmd_name) if cmd_name in COMMANDS else None

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        # Typer suggests from the commands it has built; these are built on demand,
        # so the suggestion comes from the names instead (`xent cacl` -> calc).
        name = args[0] if args else ""
        if name and not name.startswith("-") and name not in COMMANDS:
            import difflib

            close = difflib.get_close_matches(name.lower(), COMMANDS, n=1, cutoff=0.6)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            ctx.fail(f"No such command '{name}'.{hint}")
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            # Typer turns Ctrl-C inside a command into a silent exit 130; as an
            # Abort it reaches main below, which says "Interrupted." as well.
            raise typer.Abort() from None

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        # Typer would import pydantic (slower than numpy) to coerce these options.
        from xentcli.cli.coercion import use_plain_coercion

        use_plain_coercion(self, ctx)
        return super().parse_args(ctx, args)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            rv = super().main(
                args,
                prog_name or "xent",
                complete_var,
                standalone_mode=False,
                windows_expand_args=windows_expand_args,
                **extra,
            )
            status = int(rv) if isinstance(rv, int) else 0
        except XentError as exc:
            status = int(fail(str(exc)).exit_code)
        except typer.Abort:
            sys.stderr.write("\nInterrupted.\n")
            status = ExitStatus.INTERRUPTED
        except KeyboardInterrupt:
            sys.stderr.write("\nInterrupted.\n")
            status = ExitStatus.INTERRUPTED
        except typer.TyperException as exc:  # click's usage errors
            status = _usage_error(exc)
        except MemoryError:
            sys.stderr.write(wrap_error(
                "not enough memory for this input; try a smaller file or a "
                "machine with more memory."
            ))
            status = ExitStatus.ERROR
        except BrokenPipeError:
            # `xent ... | head`: the reader took what it wanted and left; that is
            # not a failure, and there is nothing more to say.
            _silence_stdout()
            status = ExitStatus.OK
        except Exception as exc:  # a bug: one line for the user, the trace on request
            if os.environ.get("XENT_DEBUG"):
                raise
            sys.stderr.write(wrap_error(
                f"internal error ({type(exc).__name__}: {shorten(str(exc))}); "
                "set XENT_DEBUG=1 to see where, and please report it."
            ))
            status = ExitStatus.ERROR
        if standalone_mode:
            sys.exit(status)
        return status


def _usage_error(exc: Exception) -> int:
    ctx = getattr(exc, "ctx", None)
    if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
        # A bare `xent` or `xent calc`: show the help, as asked for.
        sys.stdout.write(ctx.get_help() + "\n")
        return ExitStatus.OK
    message = _one_line(exc.format_message() if hasattr(exc, "format_message") else str(exc))
    # Typer's validation adds a "Value error, " prefix to some messages; it says nothing.
    message = message.replace("Value error, ", "")
    if message and message[-1] not in ".?!":
        message += "."
    hint = f" See '{ctx.command_path} --help'." if ctx is not None else ""
    sys.stderr.write(wrap_error(f"{message}{hint}"))
    return int(getattr(exc, "exit_code", ExitStatus.USAGE))


def _silence_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"xent {__version__}")
        raise typer.Exit()


app = typer.Typer(
    cls=XentGroup,
    name="xent",
    help=(
        "Cross-entropy calculator and mock-interview quiz.\n\n"
        "Try: xent calc ce 0,0,1 0.1,0.2,0.7 --explain   or   xent quiz"
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            callback=_version_callback,
            is_eager=True,
            help="Show the version and exit.",
        ),
    ] = False,
) -> None:
    """Cross-entropy calculator and mock-interview quiz."""


#: The top-level commands, in the order help lists them; each is declared by the
#: module of the same name in xentcli/cli/, through its ``register(app)``.
COMMANDS = (
    "calc", "eval", "quiz", "interview", "bank", "stats", "plan", "plot", "learn", "drill",
    "export",
)

# One line each for `xent --help` (the docstrings' first sentences get cut at 45 columns).
SUMMARIES = {
    "calc": "Entropy, cross-entropy, KL, BCE, focal loss, softmax, gradients.",
    "eval": "Accuracy, NLL, perplexity, Brier and calibration of predictions.",
    "quiz": "Practice interview questions on cross-entropy, graded on the spot.",
    "interview": "A timed mock interview with a readiness report.",
    "bank": "List and check the question banks of `xent quiz`.",
    "stats": "Your progress per topic, what is due for review, your streak.",
    "plot": "Draw the curves behind cross-entropy in the terminal.",
    "learn": "One-minute concept cards, one per quiz topic.",
    "plan": "A plan to your interview date: what to review today.",
    "export": "Export the questions and concept cards for Anki or as CSV.",
    "drill": "Coding drills: implement the losses in numpy, graded strictly.",
}


@cache
def load_command(name: str) -> Any:
    """Import one command's module and build its click command.

    Building every command (every option of every subcommand) on each run cost
    more start-up time than the calculation itself; ``xent calc ...`` now builds
    only ``calc``, and only ``--help`` and completion load them all.
    """
    module = importlib.import_module(f"xentcli.cli.{name}")
    holder = typer.Typer(rich_markup_mode=None, add_completion=False)
    holder.callback()(_no_op)  # a callback makes Typer build a group, even for one command
    module.register(holder)
    command = typer.main.get_command(holder).commands[name]  # type: ignore[attr-defined]
    command.short_help = SUMMARIES[name]
    _plain_coercion_everywhere(command)
    return command


def _plain_coercion_everywhere(command: Any) -> None:
    """The pydantic-free converter for the parameters of ``command`` and its
    subcommands (see :mod:`xentcli.cli.coercion`): pydantic alone would cost
    more start-up time than a quiz needs to show its first question."""
    from typer.core import TyperGroup

    from xentcli.cli.coercion import use_plain_coercion

    ctx = typer.Context(command)
    use_plain_coercion(command, ctx)
    # A group that builds its commands on demand (calc) converts each one as it
    # builds it; walking its mapping here would build them all.
    if isinstance(command, TyperGroup) and type(command.commands) is dict:
        for sub in command.commands.values():
            _plain_coercion_everywhere(sub)


def _no_op() -> None:
    """Placeholder callback."""

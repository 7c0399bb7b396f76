"""A Typer command class that lets negative numbers be arguments.

Click reads any word starting with ``-`` as an option, so ``xent calc softmax
-1,0,2`` would fail with "No such option: -1". :class:`NumbersCommand` sorts the
words before Click sees them: options (with their values) first, then ``--``,
then the positional words in their original order. A word counts as positional
when it is not an option and not an option's value; a word starting with ``-``
is positional when it looks like a number or a vector (``-1``, ``-0.5,0.5``,
``-inf,0``, ``-.5``, ``-1/2``). Options may still come before, between or after
the arguments, and ``--`` keeps its usual meaning.

>>> reorder(["-1,0,2", "--log", "-q"], {"--base"})
['--log', '-q', '--', '-1,0,2']
>>> reorder(["--base", "2", "-1", "0.5,0.5"], {"--base"})
['--base', '2', '--', '-1', '0.5,0.5']
"""

from __future__ import annotations

import re
from collections.abc import Iterator, MutableMapping, Sequence
from typing import Any

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

from xentcli.cli.coercion import use_plain_coercion
from xentcli.errors import InputError

__all__ = ["CalcGroup", "NumbersCommand", "looks_numeric", "reorder", "split_vector_hint"]

# A minus (ASCII or typographic) followed by a digit, a point, "inf" or "nan".
_NUMERIC = re.compile(r"[-\u2212](?:\d|\.\d|inf|nan)", re.IGNORECASE)


def looks_numeric(word: str) -> bool:
    """True for words that start like a negative number (``-1``, ``-.5``, ``-inf,0``).

    >>> [looks_numeric(w) for w in ("-1,0,2", "-q", "--log", "-", "-inf")]
    [True, False, False, False, True]
    """
    return bool(_NUMERIC.match(word))


def reorder(args: Sequence[str], takes_value: set[str]) -> list[str]:
    """Options first, then ``--`` and the positional words, each group in order.

    ``takes_value`` holds the option names that consume the next word.
    """
    options: list[str] = []
    positional: list[str] = []
    words = list(args)
    i = 0
    while i < len(words):
        word = words[i]
        if word == "--":
            positional.extend(words[i + 1 :])
            break
        if word.startswith("-") and len(word) > 1 and not looks_numeric(word):
            options.append(word)
            if word in takes_value and i + 1 < len(words):
                # The value goes with its option even when it looks like an option
                # itself (--alpha -0.5 is a value; the core then says what is wrong).
                options.append(words[i + 1])
                i += 1
        else:
            positional.append(word)
        i += 1
    if not positional:
        return options
    return [*options, "--", *positional]


def missing_value(args: Sequence[str], takes_value: set[str],
                  option_names: set[str]) -> str | None:
    """The first option that takes a value but has none: the last word, or one
    followed by another option's name (a negative number is a value).

    >>> missing_value(["0", "0.5,0.5", "--eps"], {"--eps"}, {"--eps", "-q"})
    '--eps'
    >>> missing_value(["--eps", "-q", "0", "1"], {"--eps"}, {"--eps", "-q"})
    '--eps'
    >>> missing_value(["--alpha", "-0.5", "0", "1"], {"--alpha"}, {"--alpha"}) is None
    True
    """
    for i, word in enumerate(args):
        if word == "--":
            return None
        if word in takes_value:
            following = args[i + 1] if i + 1 < len(args) else None
            if following is None or following.split("=", 1)[0] in option_names:
                return word
    return None


# One number as typed: 0.5, -1, 1/6, 2e-3, inf (a whole vector has a comma or a space).
_ONE_NUMBER = re.compile(
    r"[-+\u2212]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?:/\d+\.?\d*)?|inf)",
    re.IGNORECASE,
)


def split_vector_hint(names: Sequence[str], words: Sequence[str]) -> str | None:
    """The message for a vector typed with spaces, which the shell split into words.

    ``names`` are the command's arguments (P, or TARGET and PRED); ``words``
    the positional words given. None unless there are more words than
    arguments and every word is a single number.

    >>> split_vector_hint(["P"], ["0.5", "0.5"])
    'P is one argument: join its numbers with commas (0.5,0.5) or quotes'
    >>> split_vector_hint(["TARGET", "PRED"], ["0", "0.2", "0.8"])
    "3 numbers for TARGET PRED: join each vector's numbers with commas"
    >>> split_vector_hint(["P"], ["0.5", "x"]) is None
    True
    """
    if len(words) <= len(names) or not all(_ONE_NUMBER.fullmatch(w) for w in words):
        return None
    if len(names) > 1:
        return (f"{len(words)} numbers for {' '.join(names)}: join each vector's numbers "
                "with commas")
    example = ",".join(words)
    if len(example) > 13:  # the message stays within 80 columns
        example = ",".join(words[:2])[:9] + ",..."
    return f"{names[0]} is one argument: join its numbers with commas ({example}) or quotes"


class NumbersCommand(TyperCommand):
    """A command whose positional arguments may be negative numbers without ``--``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        use_plain_coercion(self, ctx)
        takes_value: set[str] = set()
        option_names: set[str] = set()
        arguments: list[str] = []
        for param in self.get_params(ctx):
            kind = getattr(param, "param_type_name", "")
            if kind == "option":
                option_names.update(param.opts)
                option_names.update(param.secondary_opts)
                if not (getattr(param, "is_flag", False) or getattr(param, "count", False)):
                    takes_value.update(param.opts)
                    takes_value.update(param.secondary_opts)
            elif kind == "argument":
                arguments.append(getattr(param, "metavar", None) or str(param.name).upper())
        missing = missing_value(args, takes_value, option_names)
        if missing is not None:
            # Reordered, the option would take the '--' before the numbers as its value.
            ctx.fail(f"{missing} needs a value")
        ordered = reorder(args, takes_value)
        if "--" in ordered:
            hint = split_vector_hint(arguments, ordered[ordered.index("--") + 1 :])
            if hint is not None:
                raise InputError(hint)
        return super().parse_args(ctx, ordered)


class _LazyCommands(MutableMapping[str, Any]):
    """A group's commands, each built from its declaration on first use.

    Typer turns every declared command into a Click command at start-up
    (signatures, type hints, parameters): for the calculator's nine commands
    that is a few milliseconds on every run, though one runs. Lookups by name
    build one command; iterating the mapping builds all (help, completion).
    """

    def __init__(self, declared: typer.Typer, rich_markup_mode: Any) -> None:
        self._declared = declared
        self._markup = rich_markup_mode
        self._built: dict[str, Any] = {}

    def _names(self) -> list[str]:
        return [info.name for info in self._declared.registered_commands if info.name]

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            info = next(
                (i for i in self._declared.registered_commands if i.name == name), None
            )
            if info is None:
                raise KeyError(name)
            self._built[name] = typer.main.get_command_from_info(
                info, pretty_exceptions_short=True, rich_markup_mode=self._markup
            )
        return self._built[name]

    def __contains__(self, name: object) -> bool:
        return name in self._built or name in self._names()

    def __setitem__(self, name: str, command: Any) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        del self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def described(self, name: str) -> Any:
        """The command if built, else a stand-in with only what a help line needs
        (its help, short help, hidden and deprecated marks, as Typer sets them)."""
        if name in self._built:
            return self._built[name]
        import inspect

        info = next(i for i in self._declared.registered_commands if i.name == name)
        text = (inspect.getdoc(info.callback) if info.help is None
                else inspect.cleandoc(info.help))
        return TyperCommand(name=name, help=text, short_help=info.short_help,
                            hidden=info.hidden, deprecated=info.deprecated)

    def __len__(self) -> int:
        return len(self._names())


class CalcGroup(TyperGroup):
    """The ``calc`` group: builds a command only when it is used, and parses its
    options without loading pydantic.

    Subclasses set :attr:`declared`, the Typer app on which the commands are
    declared (with ``@declared.command(...)``).
    """

    declared: typer.Typer | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.declared is not None:
            lazy = _LazyCommands(self.declared, self.rich_markup_mode)
            for name, command in self.commands.items():
                lazy[name] = command
            self.commands = lazy

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        # As TyperGroup's, but a help line needs no command built (`calc --help`
        # built all of them, every parameter of each, to print one line each).
        commands = self.commands
        if not isinstance(commands, _LazyCommands):
            super().format_commands(ctx, formatter)
            return
        shown = [(name, commands.described(name)) for name in self.list_commands(ctx)]
        shown = [(name, command) for name, command in shown if not command.hidden]
        if shown:
            limit = formatter.width - 6 - max(len(name) for name, _ in shown)
            with formatter.section("Commands"):
                formatter.write_dl([(name, command.get_short_help_str(limit))
                                    for name, command in shown])

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        use_plain_coercion(self, ctx)
        return super().parse_args(ctx, args)

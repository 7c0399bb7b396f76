"""`xent drill`: implement a loss yourself, graded the way an interviewer tests it.

The drills, the ladder and the child process live in :mod:`xentcli.drill`;
this module parses, calls, records the attempt and renders. numpy, Rich and
sqlite are imported inside the commands.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from xentcli.drill.results import CheckReport
    from xentcli.drill.tasks import Drill

drill_app = typer.Typer(
    name="drill",
    help=(
        "Coding drills: write softmax, cross-entropy and friends in numpy, and have them "
        "tested the way an interviewer would (huge logits, zeros, shapes, speed).\n\n"
        "Try: xent drill list, then xent drill start softmax"
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
)


def register(app: typer.Typer) -> None:
    """Add ``xent drill`` and its subcommands to the root app."""
    app.add_typer(drill_app, name="drill")


def _complete_name(incomplete: str) -> list[str]:
    """Drill names for shell completion: the file names, without reading them."""
    from xentcli.drill.tasks import drills_dir

    try:
        names = sorted(p.stem for p in drills_dir().glob("*.yaml"))
    except Exception:  # completion must never fail loudly
        return []
    return [n for n in names if n.startswith(incomplete)]


NameArg = Annotated[
    str, typer.Argument(metavar="NAME", help="The drill, e.g. softmax (see xent drill list).",
                        autocompletion=_complete_name, show_default=False),
]


# ----------------------------------------------------------------------------- list


@drill_app.command("list", short_help="The drills, with the ones you passed marked.")
def list_command(
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """The drills, easiest first, with the ones you have passed marked."""
    import json

    from rich.markup import escape

    from xentcli.cli.console import out_console
    from xentcli.drill.tasks import list_drills

    drills = sorted(list_drills(), key=lambda d: (d.level, d.name))
    progress = _progress()
    if json_output:
        report = {"drills": [
            {"name": d.name, "title": d.title, "level": d.level, "signature": d.signature,
             "attempts": progress[d.name].attempts if d.name in progress else 0,
             "passed": d.name in progress and progress[d.name].passed}
            for d in drills
        ]}
        sys.stdout.write(json.dumps(report, ensure_ascii=False) + "\n")
        return
    console = out_console()
    width = max(len(d.name) for d in drills)
    done = sum(1 for d in drills if d.name in progress and progress[d.name].passed)
    console.print(f"Coding drills ({done} of {len(drills)} passed):\n")
    for d in drills:
        mark = " "
        if d.name in progress:
            mark = "✓" if progress[d.name].passed else "·"
        console.print(f"{mark} {escape(d.name):<{width}}  level {d.level}  {escape(d.title)}")
    console.print("\n✓ passed   · tried, not passed yet\n"
                  "Read one: xent drill show NAME    Begin: xent drill start NAME")


def _progress() -> dict[str, Any]:
    """Each checked drill's progress; a damaged store is a note, and the list still shows."""
    from rich.markup import escape

    from xentcli.cli.console import err_console
    from xentcli.errors import StoreError
    from xentcli.quiz.store import drill_progress, open_store

    try:
        store = open_store()
        if store is None:
            return {}
        with store:
            return {p.drill: p for p in drill_progress(store)}
    except StoreError as exc:
        err_console().print(f"Note: {escape(str(exc))}", soft_wrap=True)
        return {}


# ----------------------------------------------------------------------------- show


@drill_app.command("show", short_help="The task: signature, shapes, an example.")
def show(name: NameArg) -> None:
    """The task: what to write, the signature, shapes and conventions, an example."""
    from xentcli.drill.tasks import load_drill

    drill = load_drill(name)
    _print_plain(_task_text(drill))


def _task_text(drill: Drill) -> str:
    from xentcli.drill.cases import example_cases
    from xentcli.drill.results import short
    from xentcli.drill.tasks import RUNGS

    case = example_cases(drill)[0]
    given = [f"    {k} = {short(v, width=200)}" for k, v in case.inputs.items()]
    lines = [
        f"{drill.title} (level {drill.level}): {drill.summary}",
        "",
        f"Write: def {drill.signature}",
        "",
        textwrap.dedent(drill.task).rstrip(),
        "",
        "Returns: " + " ".join(drill.returns.split()),
        "",
        "Example (computed by xent's core):",
        *given,
        *_result_lines(drill.signature, case.expected),
        "",
        "The tests, in order: " + ", ".join(RUNGS) + ".",
        f"Begin: xent drill start {drill.name}",
        f"Check: xent drill check {drill.name}.py",
    ]
    return "\n".join(lines)


def _result_lines(call: str, value: Any) -> list[str]:
    """``call = value`` at 80 columns: ten digits when they fit, else six, else a row a line."""
    from xentcli.drill.results import short

    for precision in (10, 6):
        line = f"    {call} = {short(value, precision=precision, width=200)}"
        if len(line) <= 80:
            return [line]
    rows = [short(row, precision=6, width=200) for row in value]
    pad = " " * (len(call) + 8)
    return ([f"    {call} = [{rows[0]},"] + [f"{pad}{r}," for r in rows[1:-1]]
            + [f"{pad}{rows[-1]}]"])


def _print_plain(text: str) -> None:
    """Text from the drill files, wrapped at 80 columns, with no markup read into it."""
    from rich.markup import escape

    from xentcli.cli.console import out_console

    console = out_console()
    for line in text.splitlines():
        if line.startswith(" ") or not line:
            console.print(escape(line), soft_wrap=True)
            continue
        for part in textwrap.wrap(line, 80, break_long_words=False, break_on_hyphens=False):
            console.print(escape(part), soft_wrap=True)


# ----------------------------------------------------------------------------- start


@drill_app.command("start", short_help="Write NAME.py with the signature to fill in.")
def start(
    name: NameArg,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing NAME.py.")] = False,
) -> None:
    """Write NAME.py here: the signature and the task as its docstring, to fill in."""
    import os

    from xentcli.cli.console import out_console
    from xentcli.cli.files import write_atomically
    from xentcli.drill.tasks import load_drill
    from xentcli.errors import DrillError

    drill = load_drill(name)
    target = Path(f"{drill.name}.py")
    if os.path.lexists(target) and not force:
        raise DrillError(f"{target} already exists; add --force to replace it "
                         "(your work in it would be lost)")
    write_atomically(target, lambda handle: handle.write(drill.starter()))
    out_console().print(f"Wrote {target}: write {drill.name}, then run\n"
                        f"  xent drill check {target}", soft_wrap=True)


# ----------------------------------------------------------------------------- solution


@drill_app.command("solution", short_help="A reference solution and its reasoning.")
def solution(
    name: NameArg,
    code_only: Annotated[
        bool, typer.Option("--code", help="Only the code (to save it in a file).")
    ] = False,
) -> None:
    """A reference solution, with the reasoning behind it."""
    from xentcli.drill.tasks import load_drill

    drill = load_drill(name)
    if code_only:
        sys.stdout.write(drill.solution)
        return
    text = (f"{drill.title}: a reference solution\n\n"
            + textwrap.indent(drill.solution.rstrip(), "    ")
            + "\n\nWhy it works:\n" + textwrap.fill(" ".join(drill.reasoning.split()), 80))
    _print_plain(text)


# ----------------------------------------------------------------------------- check


@drill_app.command("check", short_help="Run the graded tests on FILE.")
def check_command(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="Your Python file.",
                                         show_default=False)],
    drill_name: Annotated[
        str | None,
        typer.Option("--drill", "-d", metavar="NAME", autocompletion=_complete_name,
                     help="The drill FILE is for (default: from its name, softmax.py)."),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the results as one JSON object.")
    ] = False,
    timeout: Annotated[
        float, typer.Option("--timeout", metavar="SECONDS",
                            help="How long each group of tests may run.")
    ] = 10.0,
    no_save: Annotated[bool, typer.Option("--no-save", help="Do not record this check.")]
    = False,
) -> None:
    """Run the graded tests on FILE, in a separate Python process.

    The tests come as a ladder (the task's example, random batches against
    xent's core, shapes, extreme inputs, no warnings, float32, speed on 100000
    rows) and stop at the first failure, which is shown with its input, the
    expected and the given output, and a hint. Exit code: 0 all passed, 1 a
    test failed, 2 bad input.
    """
    import json
    import time

    from xentcli.cli.status import ExitStatus
    from xentcli.drill.ladder import check
    from xentcli.drill.tasks import load_drill

    if not timeout > 0 or timeout == float("inf"):
        raise typer.BadParameter(f"{timeout:g} is not a positive number of seconds",
                                 param_hint="'--timeout'")
    drill = load_drill(drill_name) if drill_name else _infer(file)
    started = time.monotonic()
    report = check(drill, file, shown=str(file), timeout=timeout)
    seconds = time.monotonic() - started
    warning = None if no_save else _record(report, seconds)
    if json_output:
        sys.stdout.write(json.dumps(report.to_json(), ensure_ascii=False,
                                    allow_nan=False) + "\n")
    else:
        _render(report)
    if warning:
        from rich.markup import escape

        from xentcli.cli.console import err_console

        err_console().print(f"Note: {escape(warning)}", soft_wrap=True)
    if not report.passed:
        raise typer.Exit(int(ExitStatus.ERROR))


def _infer(file: Path) -> Drill:
    from xentcli.drill.tasks import list_drills, load_drill
    from xentcli.errors import DrillError

    names = sorted((d.name for d in list_drills()), key=len, reverse=True)
    stem = file.stem
    for name in names:
        if stem == name or stem.startswith(name + "_") or stem.startswith(name + "-"):
            return load_drill(name)
    raise DrillError(f"cannot tell which drill {file} is for: name the file after the drill "
                     "(softmax.py) or add --drill NAME")


def _record(report: CheckReport, seconds: float) -> str | None:
    """Save the attempt; a store that cannot take it is a note, never the lost report."""
    from datetime import datetime, timezone

    from xentcli.errors import StoreError
    from xentcli.quiz.store import DrillAttempt, record_drill_attempt

    failed = report.failed
    attempt = DrillAttempt(
        drill=report.drill, passed=report.passed,
        failed_test=failed.name if failed else None,
        tests_passed=sum(t.passed for t in report.tests), tests_total=report.total,
        seconds=seconds, attempted_at=datetime.now(timezone.utc),
    )
    try:
        return record_drill_attempt(attempt)
    except StoreError as exc:
        return f"{exc}; this check was not saved"


_LABEL = 12


def _render(report: CheckReport) -> None:
    from rich.markup import escape

    from xentcli.cli.console import out_console

    console = out_console()
    console.print(f"Checking {escape(report.file)} (drill {escape(report.drill)}):")
    for test in report.tests:
        if test.passed:
            console.print(f"  [green]✓[/] {escape(test.name)}")
            continue
        console.print(f"  [red]✗ {escape(test.name)}[/]"
                      + (f": {escape(test.case)}" if test.case else ""), soft_wrap=True)
        for label, text in test.details:
            _field(console, label, text)
        if test.traceback:
            for line in test.traceback.splitlines():
                console.print(f"      {escape(line.rstrip())}", soft_wrap=True)
        if test.hint:
            _field(console, "hint", test.hint, style="bold")
    passed = sum(t.passed for t in report.tests)
    console.print()
    if report.passed:
        console.print(f"[green]All {report.total} tests passed[/]: {escape(report.drill)} "
                      "is done.")
    else:
        console.print(f"{passed} of {report.total} tests passed. Fix the one above and "
                      "check again.")


def _field(console: Console, label: str, text: str, style: str = "") -> None:
    from rich.markup import escape

    indent = " " * (6 + _LABEL)
    lines = textwrap.wrap(text, 80 - len(indent), break_long_words=False,
                          break_on_hyphens=False) or [""]
    head = f"      {label:<{_LABEL}}"
    body = escape(lines[0])
    console.print(head + (f"[{style}]{body}[/]" if style else body), soft_wrap=True)
    for more in lines[1:]:
        console.print(indent + (f"[{style}]{escape(more)}[/]" if style else escape(more)),
                      soft_wrap=True)

"""`xent quiz`: a mock interview from the question banks, graded by the core.

In a terminal the session is interactive (Rich, re-asks unreadable answers);
otherwise answers are read one per line from standard input, so scripts and
tests can drive it. All the logic lives in :mod:`xentcli.quiz.session`; this
module only asks, shows and summarises.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from xentcli.cli.answers import (  # noqa: F401 - the interview reads answers through these
    GARBLED,
    _Answers,
    _clean,
    _LineAnswers,
    _TerminalAnswers,
)
from xentcli.cli.completion import complete_topic
from xentcli.cli.status import ExitStatus

if TYPE_CHECKING:
    from rich.console import Console

    from xentcli.quiz.bank import Bank, Instance
    from xentcli.quiz.records import Planner, Recorder
    from xentcli.quiz.session import Outcome, Report, Session


class Kind(str, Enum):
    numeric = "numeric"
    choice = "choice"
    open = "open"


def _open_progress(no_save: bool, review: bool, seeded: bool) -> tuple[Recorder, Planner]:
    """Where answers go and who picks the questions: the progress seam.

    Answers go to the progress store as they are given; with --no-save nothing
    is opened, and where the store cannot be written a warning says so and the
    quiz runs without saving. Questions are picked by spaced repetition from
    the saved history, except that a --seed without --review ignores the
    history, so that the same seed always gives the same questions.

    Raises:
        StoreError: the progress file is damaged (it is left untouched).
    """
    from rich.markup import escape

    from xentcli.cli.console import err_console
    from xentcli.quiz.records import NullRecorder
    from xentcli.quiz.schedule import SpacedPlanner
    from xentcli.quiz.session import RandomPlanner
    from xentcli.quiz.store import SaveStatus, open_progress

    if no_save:
        return NullRecorder(), RandomPlanner()
    progress = open_progress()
    if progress.status is SaveStatus.READ_ONLY:
        # soft_wrap: a long path stays whole rather than folded at 80 columns.
        err_console().print(f"[yellow]Warning:[/] {escape(progress.warning or '')}.",
                            soft_wrap=True)
    if seeded and not review:
        return progress.recorder(), RandomPlanner()
    from xentcli.quiz.plan import states_until

    # With an interview date (`xent plan`), the waits are fitted into the days left
    # (that rule replays the answers: they are read only then).
    states = (states_until(progress.reviews, progress.exam_date)
              if progress.exam_date is not None else None)
    if states is not None and review and progress.exam_date is not None:
        from xentcli.cli.plan import plan_note

        err_console().print(plan_note(progress.exam_date))
    if states is None and progress.states is not None:  # worked out in SQL
        return progress.recorder(), SpacedPlanner(states=progress.states,
                                                  accuracy=progress.accuracy)
    return progress.recorder(), SpacedPlanner(progress.reviews, states=states)


DEFAULT_COUNT = 5


# ---------------------------------------------------------------------- showing


def _show_question(console: Console, inst: Instance, number: int, total: int,
                   title: str) -> None:
    from rich.markup import escape

    console.print()
    console.rule(f"[bold]Question {number}/{total}[/] · {escape(title)}", align="left")
    _block(console, inst.prompt)
    for letter, text in zip("ABCDEF", inst.choices, strict=False):
        _hanging(console, f"  [bold]{letter}.[/] ", 5, text)


def _block(console: Console, text: str) -> None:
    """A bank's text as written; on a console narrower than its lines, reflowed.

    Banks break their lines for 80 columns. Narrower, the prose of a paragraph
    is joined and wrapped again, and an indented line (a formula) wraps under
    its own indent, rather than every line being cut at the edge.
    """
    import textwrap

    from rich.markup import escape

    lines = text.rstrip().splitlines()
    if all(len(line) <= console.width for line in lines):
        console.print(escape("\n".join(lines)))
        return
    out: list[str] = []
    prose: list[str] = []
    width = max(console.width, 20)

    def flush() -> None:
        if prose:
            out.extend(textwrap.wrap(" ".join(prose), width, break_on_hyphens=False))
            prose.clear()

    for line in lines:
        indent = len(line) - len(line.lstrip())
        if line.strip() and not indent:
            prose.append(line.strip())
            continue
        flush()
        out.extend(textwrap.wrap(line, width, subsequent_indent=" " * (indent + 2),
                                 break_on_hyphens=False) or [""])
    flush()
    console.print(escape("\n".join(out)))


def _hanging(console: Console, lead: str, indent: int, text: str) -> None:
    """``lead`` then ``text`` wrapped to the console, its later lines under the text."""
    import textwrap

    from rich.markup import escape
    from rich.text import Text

    # The first line follows the lead, the others the indent: each gets the width left.
    shown = Text.from_markup(lead).cell_len
    width = max(console.width, shown + 20, indent + 20)
    lines = textwrap.wrap(text, width, initial_indent=" " * shown,
                          subsequent_indent=" " * indent, break_on_hyphens=False) or [""]
    console.print(lead + escape(lines[0][shown:]))
    for line in lines[1:]:
        console.print(escape(line))


def _show_solution(console: Console, inst: Instance) -> None:
    if inst.explanation.strip():
        console.print("[dim]Solution:[/]")
        _block(console, inst.explanation)


def _show_model_answer(console: Console, inst: Instance) -> None:
    console.print("[dim]A model answer:[/]")
    _block(console, str(inst.expected))
    console.print("[dim]Key points:[/]")
    for point in inst.key_points:
        _hanging(console, "  - ", 4, point)


def _show_feedback(console: Console, outcome: Outcome) -> None:
    from rich.markup import escape

    from xentcli.quiz.expr import format_value

    inst = outcome.instance
    verdict = "[green bold]Right.[/]" if outcome.correct else "[red bold]Wrong.[/]"
    if inst.kind == "open":
        if outcome.skipped:
            console.print("[yellow bold]Skipped.[/]")
            if outcome.given is None:  # else it was shown before the self-grade
                _show_model_answer(console, inst)
        else:
            console.print(f"{verdict} (your own grade)")
        return
    if outcome.skipped:
        verdict = "[yellow bold]Skipped.[/]"
    expected = inst.expected_text()
    if inst.kind == "choice":
        index = "ABCDEF".index(expected)
        text = inst.choices[index].rstrip()
        line = f"{verdict} The answer is {expected}: {escape(text)}"
        if outcome.letter and not outcome.correct:
            line += f" (you chose {outcome.letter})"
        elif text[-1:] not in ".?!":
            line += "."
    else:
        assert isinstance(inst.expected, float)
        unit = f" {inst.unit}" if inst.unit else ""
        line = f"{verdict} Expected {expected}{unit}"
        if outcome.given is not None:
            shown = escape(outcome.given)
            if outcome.value is not None and format_value(outcome.value) != outcome.given:
                shown += f" = {format_value(outcome.value)}"
            line += f"; you gave {shown}"
        line += "."
    console.print(line)
    if outcome.diagnosis and not outcome.correct:
        from rich.text import Text

        lead = f"{outcome.letter} is wrong: " if inst.kind == "choice" and outcome.letter else ""
        console.print(Text(lead + outcome.diagnosis, style="yellow"))
    _show_solution(console, inst)


def _summary(console: Console, report: Report, bank: Bank, interrupted: bool) -> None:
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    console.print()
    console.rule("[bold]Summary[/]", align="left")
    if not report.total:
        console.print("No questions answered.")
    else:
        percent = round(100 * report.score / report.total)
        console.print(f"Score: [bold]{report.score}/{report.total}[/] ({percent}%)")
        table = Table(box=box.SIMPLE, show_edge=False, pad_edge=False)
        table.add_column("Topic")
        table.add_column("Asked", justify="right")
        table.add_column("Right", justify="right")
        table.add_column("Skipped", justify="right")
        for row in report.by_topic():
            topic = bank.topics.get(row.topic)
            title = topic.title if topic else row.topic
            table.add_row(escape(title), str(row.asked), str(row.correct), str(row.skipped))
        console.print(table)
    if not report.finished:
        why = "Interrupted" if interrupted else "Ended early"
        console.print(f"{why} after {report.total} of {report.planned} questions.")
    hints = ["[bold]xent stats[/] for your progress"]
    weakest = report.weakest_topic()
    if weakest and report.score < report.total and _has_card(weakest):
        hints.append(f"[bold]xent learn {escape(weakest)}[/] to review your weakest topic")
    else:
        hints.append("[bold]xent learn[/] for the concept cards")
    hints.append("[bold]xent plot logloss[/] to see why confident mistakes cost so much")
    console.print("Next: " + ", ".join(hints) + ".")


def _has_card(topic: str) -> bool:
    """A concept card exists for this topic (a custom bank's topics may have none)."""
    from xentcli.quiz.cards import list_cards

    return any(card.topic == topic for card in list_cards())


# ---------------------------------------------------------------------- asking


def _show_hint(console: Console, session: Session, inst: Instance) -> None:
    hint = session.hint(inst)
    if hint is None:
        console.print("[dim]No hint for this question.[/]" if not inst.hints
                      else "[dim]No more hints.[/]")
        return
    count = len(inst.hints)
    _hanging(console, f"[cyan]Hint {session.hints_used}/{count}:[/] ", 2, hint)


def _ask_graded(console: Console, answers: _Answers, session: Session,
                inst: Instance) -> Outcome | None:
    from rich.markup import escape

    from xentcli.errors import QuizError, StoreError
    from xentcli.quiz.session import is_hint, is_quit, is_skip
    from xentcli.quiz.units import UnitError

    prompt = f"Answer (A-{'ABCDEF'[len(inst.choices) - 1]}):" if inst.choices else "Answer:"
    while True:
        text = answers.read(prompt)
        if text is None or is_quit(text):
            return None
        if getattr(answers, "garbled", False):
            if answers.interactive:
                console.print(f"[yellow]{GARBLED.capitalize()}.[/] Type it again, or skip.")
                continue
            console.print(f"[yellow]Could not read that: {GARBLED}.[/]")
            return session.mark_wrong(inst, text, diagnosis=GARBLED.capitalize() + ".")
        if is_hint(text):
            _show_hint(console, session, inst)
            continue
        if is_skip(text):
            return session.skip(inst)
        try:
            return session.answer(inst, text)
        except StoreError:
            # A StoreError is a QuizError too, but the answer was read: it must not be
            # shown as unreadable, nor be marked wrong (which would try to save again).
            raise
        except UnitError as exc:  # a unit word that is not the question's
            reason = str(exc)
            if answers.interactive:
                console.print(f"[yellow]{escape(reason[0].upper() + reason[1:])}.[/] "
                              "Try again, or type skip.")
                continue
            return session.mark_wrong(inst, text, diagnosis=reason[0].upper() + reason[1:] + ".")
        except QuizError as exc:  # an expression or a letter that cannot be read
            if answers.interactive:
                console.print(f"[yellow]{escape(str(exc))}.[/] Try again, or type skip.")
                continue
            console.print(f"[yellow]Could not read that: {escape(str(exc))}.[/]")
            return session.mark_wrong(inst, text)


def _read_open_answer(console: Console, answers: _Answers, session: Session,
                      inst: Instance) -> str | None:
    """The answer to an open question (hints given on the way); None to quit."""
    from xentcli.quiz.session import is_hint, is_quit

    while True:
        text = answers.read("Your answer:")
        if text is None or is_quit(text):
            return None
        if not is_hint(text):
            return text
        _show_hint(console, session, inst)


def _self_grade(console: Console, answers: _Answers, session: Session, inst: Instance,
                text: str) -> Outcome | None:
    """Show the model answer, then ask whether ``text`` covered its key points."""
    from xentcli.quiz.grading import parse_self_grade
    from xentcli.quiz.session import is_quit, is_skip

    _show_model_answer(console, inst)
    while True:
        grade = answers.read("Did your answer cover the key points? (y/n):")
        if grade is None or is_quit(grade):
            return None
        if is_skip(grade):  # as for any answer: an empty line or `skip` skips
            return session.skip(inst, given=text)
        verdict = parse_self_grade(grade)
        if verdict is not None:
            return session.self_grade(inst, text, verdict)
        if not answers.interactive:
            console.print("[yellow]Expected y or n; counted as no.[/]")
            return session.self_grade(inst, text, False)
        console.print("[yellow]Please answer y or n (or skip).[/]")


def _ask_open(console: Console, answers: _Answers, session: Session,
              inst: Instance) -> Outcome | None:
    from xentcli.quiz.session import is_skip

    text = _read_open_answer(console, answers, session, inst)
    if text is None:
        return None
    if is_skip(text):
        return session.skip(inst)
    return _self_grade(console, answers, session, inst, text)


def _run(console: Console, answers: _Answers, session: Session, bank: Bank) -> None:
    total = len(session.instances)
    warned = False
    for number, inst in enumerate(session.instances, 1):
        topic = bank.topics.get(inst.topic)
        _show_question(console, inst, number, total, topic.title if topic else inst.topic)
        session.start()
        if inst.kind == "open":
            outcome = _ask_open(console, answers, session, inst)
        else:
            outcome = _ask_graded(console, answers, session, inst)
        if outcome is None:  # quit or end of input
            return
        _show_feedback(console, outcome)
        if session.unsaved is not None and not warned:  # saving failed: a full disk
            _warn_unsaved(session.unsaved)
            warned = True


def _warn_unsaved(reason: str) -> None:
    """Saving failed (a full disk): like a read-only folder, the session goes on unsaved."""
    from rich.markup import escape

    from xentcli.cli.console import err_console

    err_console().print(f"[yellow]Warning:[/] {escape(reason)}; answers from here on "
                        "will not be saved.", soft_wrap=True)


# ---------------------------------------------------------------------- command


def quiz(
    count: Annotated[
        int | None,
        typer.Option("--count", "-n", min=1, metavar="N",
                     help="How many questions to ask (default 5).", show_default=False),
    ] = None,
    topic: Annotated[
        list[str] | None,
        typer.Option(
            "--topic", "-t", metavar="TOPIC", autocompletion=complete_topic,
            help="Only this topic (repeat for more); see `xent bank list`.",
        ),
    ] = None,
    kind: Annotated[
        list[Kind] | None,
        typer.Option(
            "--kind", metavar="numeric|choice|open",
            help="Only this kind of question (repeat for more).",
        ),
    ] = None,
    level: Annotated[
        list[int] | None,
        typer.Option("--level", min=1, max=3, metavar="1|2|3",
                     help="Only this level: 1 recall, 2 apply, 3 interview (repeat for more)."),
    ] = None,
    question: Annotated[
        list[str] | None,
        typer.Option("--question", metavar="ID",
                     help="Ask exactly this question (repeat for more, asked in order); "
                          "with --seed, the draw of that seed."),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(min=0, metavar="N", help="Same seed, same questions with the same numbers."),
    ] = None,
    bank: Annotated[
        list[Path] | None,
        typer.Option(
            "--bank", exists=True, metavar="PATH",
            help="Use this bank file or folder instead of the shipped ones (repeat for more).",
        ),
    ] = None,
    review: Annotated[
        bool, typer.Option("--review", help="Ask the questions that are due for review first.")
    ] = False,
    json_output: Annotated[
        bool,
        typer.Option("--json", help="Print a JSON report on stdout (the session goes to "
                     "stderr)."),
    ] = False,
    no_save: Annotated[
        bool, typer.Option("--no-save", help="Do not record this session's answers.")
    ] = False,
) -> None:
    """Practice interview questions on cross-entropy, graded on the spot.

    Numeric answers may be numbers, fractions or expressions such as -ln(0.7),
    log2(8)/3 or 1 - 0.3^2, in the question's unit (another unit word is
    refused). Choices take a letter or a number; open questions show a model
    answer and ask for your own grade. `hint` or `?` shows the next hint, an
    empty line or `skip` skips a question, `quit` ends the session. Without a
    terminal, answers are read one per line from standard input.
    """
    import json

    from xentcli.cli.console import err_console, out_console
    from xentcli.errors import BankError, QuizError
    from xentcli.quiz.bank import load_banks
    from xentcli.quiz.session import Session, select_questions

    if review and no_save:
        raise QuizError("--review asks what your saved progress says is due; "
                        "it cannot be used with --no-save")
    if question:
        clash = [name for name, given in (("--count", count), ("--topic", topic),
                                          ("--kind", kind), ("--level", level),
                                          ("--review", review)) if given]
        if clash:
            raise QuizError(f"--question picks the questions itself; leave out "
                            f"{' and '.join(clash)}")
    loaded = load_banks(bank or None, write_cache=not no_save)
    recorder, planner = _open_progress(no_save, review, seeded=seed is not None)
    instances = select_questions(
        loaded,
        count=count or DEFAULT_COUNT,
        topics=topic or (),
        kinds=[k.value for k in kind or ()],
        seed=seed,
        planner=planner,
        review=review,
        levels=level or (),
        question_ids=question or (),
    )
    console = err_console() if json_output else out_console()
    answers: _Answers
    if sys.stdin.isatty():
        answers = _TerminalAnswers(console)
        console.print(
            "[dim]Answer with a number or an expression such as -ln(0.7), or a letter for "
            "choices. 'hint' or '?' gives a hint; an empty line or 'skip' skips; "
            "'quit' ends.[/]"
        )
    else:
        answers = _LineAnswers(console)
    if count is not None and len(instances) < count:  # asked for more than there are
        many = "question matches" if len(instances) == 1 else "questions match"
        console.print(f"[dim]Only {len(instances)} {many}: asking all of them.[/]")
    session = Session(instances, recorder)
    interrupted = False
    failed: BankError | None = None
    try:
        _run(console, answers, session, loaded)
    except KeyboardInterrupt:
        interrupted = True
        console.print()
    except BankError as exc:  # a question that cannot be drawn (a bank's bug): the
        if not session.outcomes:  # session so far is summed up, then the problem said
            raise
        failed = exc
    report = session.report()
    _summary(console, report, loaded, interrupted)
    if json_output:
        sys.stdout.write(json.dumps(report.to_json(), ensure_ascii=False, allow_nan=False) + "\n")
        sys.stdout.flush()
    if failed is not None:
        raise failed
    if interrupted:
        raise typer.Exit(int(ExitStatus.INTERRUPTED))


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("quiz")(quiz)

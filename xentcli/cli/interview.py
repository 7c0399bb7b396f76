"""`xent interview`: a timed mock interview, its readiness report, and a retry.

The script, the clocks and the report live in :mod:`xentcli.quiz.interview`;
questions are asked and answers read as in `xent quiz` (:mod:`xentcli.cli.quiz`).
At a terminal a clock line above the prompt ticks every second and a
question's time running out interrupts the prompt (``SIGALRM``); with piped
answers the clock is read when each answer arrives.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from xentcli.cli.completion import complete_topic
from xentcli.cli.status import ExitStatus

if TYPE_CHECKING:
    from rich.console import Console

    from xentcli.quiz.bank import Bank, Instance
    from xentcli.quiz.interview import Asked, InterviewReport, InterviewSession
    from xentcli.quiz.session import Outcome

#: The interview's clock: a module attribute so that tests can run it on a fake one.
clock: Callable[[], float] = time.monotonic
#: A clock line drawn this soon before an answer came back may have landed on the
#: prompt's line (seconds).
_LATE_TICK = 0.5


# ---------------------------------------------------------------------- reading


class _TimedTerminal:
    """Answers typed at a terminal (as in the quiz), with a ticking clock line above
    the prompt.

    While a timed prompt waits, a timer redraws the clock line every second and
    raises :class:`~xentcli.quiz.interview.TimeUp` when the question's time is up.
    """

    interactive = True

    def __init__(self, console: Console, session: InterviewSession) -> None:
        from xentcli.cli.answers import _TerminalAnswers

        self.console = console
        self.session = session
        self.inner = _TerminalAnswers(console)
        self.current: Instance | None = None
        self.timed = True
        self.garbled = False  # the last line held a terminal key code
        self._drawn_at = 0.0  # when the clock line was last drawn (time.monotonic)

    def _clock_line(self) -> str:
        from xentcli.quiz.interview import time_text

        inst = self.current
        assert inst is not None
        used = time_text(self.session.elapsed())
        line = f"Clock {used} of {time_text(self.session.limit(inst))}"
        if not self.session.retrying:
            line += f" · interview {time_text(self.session.interview_left())} left"
        return line

    def read(self, prompt: str) -> str | None:
        timed = self.timed and self.current is not None
        if timed:
            self.console.print(f"[dim]{self._clock_line()}[/]")
        with self._ticking(timed):
            text = self.inner.read(prompt)
        self.garbled = self.inner.garbled
        if timed and text is not None and time.monotonic() - self._drawn_at < _LATE_TICK:
            self._repair(prompt, text)
        return text

    def _repair(self, prompt: str, text: str) -> None:
        """Write the answered prompt line again.

        A tick that lands as Enter is pressed runs once the line is read, with the
        cursor already below the prompt: it draws the clock over the prompt line.
        Rewriting that line (the same text when nothing was drawn over it) undoes it.
        """
        line = f"{prompt} {text}"
        if len(line) < self.console.width:
            self.console.file.write(f"\0337\033[1A\r{line}\033[K\0338")
            self.console.file.flush()

    @contextmanager
    def _ticking(self, on: bool) -> Iterator[None]:
        import signal

        from xentcli.quiz.interview import TimeUp

        if not on or not hasattr(signal, "setitimer"):
            yield
            return
        stream = self.console.file

        def tick(signum: int, frame: object) -> None:
            assert self.current is not None
            if self.session.question_left(self.current) <= 0:
                raise TimeUp
            # Save the cursor, rewrite the line above the prompt, come back.
            stream.write(f"\0337\033[1A\r{self._clock_line()}\033[K\0338")
            stream.flush()
            self._drawn_at = time.monotonic()

        previous = signal.signal(signal.SIGALRM, tick)
        signal.setitimer(signal.ITIMER_REAL, 1.0, 1.0)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


class _TimedLines:
    """Piped answers, one per line: the clock is read when each one arrives."""

    interactive = False

    def __init__(self, console: Console) -> None:
        from xentcli.cli.answers import _LineAnswers

        self.lines = _LineAnswers(console)
        self.current: Instance | None = None
        self.timed = True
        self.garbled = False

    def read(self, prompt: str) -> str | None:
        text = self.lines.read(prompt)
        self.garbled = self.lines.garbled
        return text


_Reader = _TimedTerminal | _TimedLines


# ---------------------------------------------------------------------- asking


def _ask_open(console: Console, answers: _Reader, session: InterviewSession,
              inst: Instance) -> Outcome | None:
    """An open question: the answer is timed, the self-grade after it is not."""
    from xentcli.cli.quiz import _read_open_answer, _self_grade
    from xentcli.quiz.session import is_skip

    text = _read_open_answer(console, answers, session, inst)
    if text is None:
        return None
    if is_skip(text):
        return session.skip(inst)
    if session.is_late(inst):
        return session.time_out(inst, text)
    session.stop_clock()
    answers.timed = False
    try:
        return _self_grade(console, answers, session, inst, text)
    finally:
        answers.timed = True


def _ask(console: Console, answers: _Reader, session: InterviewSession,
         inst: Instance) -> Outcome | None:
    from xentcli.cli.quiz import _ask_graded
    from xentcli.quiz.interview import TimeUp

    answers.current = inst
    try:
        if inst.kind == "open":
            return _ask_open(console, answers, session, inst)
        return _ask_graded(console, answers, session, inst)
    except TimeUp:
        console.print()
        return session.time_out(inst)
    finally:
        answers.current = None


# ---------------------------------------------------------------------- showing


def _header(console: Console, session: InterviewSession, inst: Instance, number: int,
            total: int, bank: Bank) -> None:
    from rich.markup import escape

    from xentcli.cli.quiz import _block, _hanging
    from xentcli.quiz.interview import LEVEL_NAMES, par_seconds, question_level, time_text

    topic = bank.topics.get(inst.topic)
    title = topic.title if topic else inst.topic
    level = LEVEL_NAMES[question_level(inst.question)]
    console.print()
    label = "Retry" if session.retrying else "Question"
    console.rule(f"[bold]{label} {number}/{total}[/] · {level} · {escape(title)}", align="left")
    line = (f"[dim]Par {time_text(par_seconds(inst.question))}, "
            f"limit {time_text(session.limit(inst))}")
    if not session.retrying:
        line += f"; interview {time_text(session.interview_left())} left"
    console.print(line + ".[/]")
    _block(console, inst.prompt)
    for letter, text in zip("ABCDEF", inst.choices, strict=False):
        _hanging(console, f"  [bold]{letter}.[/] ", 5, text)


def _after(console: Console, asked: Asked) -> None:
    from rich.markup import escape

    from xentcli.cli.quiz import _show_feedback, _show_model_answer, _show_solution
    from xentcli.quiz.interview import time_text

    outcome = asked.outcome
    inst = outcome.instance
    if not asked.timed_out:
        _show_feedback(console, outcome)
        console.print(f"[dim]Took {time_text(outcome.seconds)} "
                      f"(par {time_text(asked.par_seconds)}).[/]")
        return
    console.print(f"[red bold]Time's up[/] (limit {time_text(asked.limit_seconds)}): "
                  "counted as not answered.")
    if inst.kind == "open":
        if outcome.given is None:
            _show_model_answer(console, inst)
        return
    expected = inst.expected_text()
    if inst.kind == "choice":
        text = inst.choices["ABCDEF".index(expected)].rstrip()
        console.print(f"The answer is {expected}: {escape(text)}")
    else:
        console.print(f"Expected {expected}.")
    _show_solution(console, inst)


def _report(console: Console, report: InterviewReport, bank: Bank, interrupted: bool) -> None:
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    from xentcli.quiz.interview import LEVEL_NAMES, time_text, verdict

    console.print()
    console.rule("[bold]Readiness report[/]", align="left")
    if not report.asked:
        console.print("No questions answered.")
        return
    asked = len(report.asked)
    console.print(
        f"Readiness: [bold]{round(100 * report.readiness)}%[/] ({verdict(report.readiness)}). "
        f"{report.correct} of {asked} right, {report.timed_out} timed out, "
        f"in {time_text(report.seconds)} of {time_text(report.minutes * 60)}."
    )
    table = Table(box=box.SIMPLE, show_edge=False, pad_edge=False)
    table.add_column("Topic")
    table.add_column("Right", justify="right")
    table.add_column("Time/par", justify="right")
    table.add_column("Hints", justify="right")
    table.add_column("Ready", justify="right")
    table.add_column("")
    for row in report.by_topic():
        topic = bank.topics.get(row.topic)
        table.add_row(escape(topic.title if topic else row.topic), f"{row.right}/{row.asked}",
                      f"{row.seconds / row.par_seconds:.1f}x", str(row.hints),
                      f"{round(100 * row.readiness)}%", row.verdict)
    console.print(table)
    for row in report.by_topic():
        for mistake in row.mistakes:
            console.print(f"[dim]Mistake ({escape(row.topic)}):[/] {escape(mistake)}")
    if not report.finished:
        if interrupted:
            why = "Interrupted"
        elif report.out_of_time:
            why = "The interview's time ran out"
        else:
            why = "Ended early"
        console.print(f"{why} after {asked} of {report.planned} questions.")
    missed = report.missed
    if missed:
        console.print("[bold]Missed:[/]")
        for item in missed:
            how = ("timed out" if item.timed_out else "skipped" if item.outcome.skipped
                   else "wrong")
            console.print(f"  - {escape(item.outcome.instance.id)} "
                          f"({LEVEL_NAMES[item.level]}): {how}")


def _retry_report(console: Console, retried: tuple[Asked, ...]) -> None:
    if not retried:
        return
    right = sum(a.credit > 0 for a in retried)
    console.print()
    console.print(f"Retry: [bold]{right}/{len(retried)}[/] right with new numbers.")


# ---------------------------------------------------------------------- running


def _run(console: Console, answers: _Reader, session: InterviewSession, bank: Bank) -> bool:
    """Ask the session's questions; False when `quit` or the end of input stopped it."""
    from xentcli.cli.quiz import _warn_unsaved
    from xentcli.quiz.interview import time_text

    total = len(session.instances)
    warned = session.unsaved is not None  # said once already, before a retry
    for number, inst in enumerate(session.instances, 1):
        if session.out_of_time():
            left = total - number + 1
            console.print()
            console.print(f"[bold]The interview's {time_text(session.minutes * 60)} are "
                          f"over[/]: {left} question{'' if left == 1 else 's'} not reached.")
            return True
        _header(console, session, inst, number, total, bank)
        session.start()
        outcome = _ask(console, answers, session, inst)
        if outcome is None:
            return False
        asked = session.last()
        assert asked is not None
        _after(console, asked)
        if session.unsaved is not None and not warned:  # saving failed: a full disk
            _warn_unsaved(session.unsaved)
            warned = True
    return True


def _offer_retry(console: Console, answers: _Reader, session: InterviewSession,
                 report: InterviewReport, seed: int | None, bank: Bank) -> bool:
    """Ask whether to retry the missed questions; run the retry. False: input ended."""
    from xentcli.quiz.grading import parse_self_grade
    from xentcli.quiz.interview import redraw

    missed = report.missed
    if not missed:
        return True
    many = "question" if len(missed) == 1 else f"{len(missed)} questions"
    console.print()
    answers.timed = False
    line = answers.read(f"Retry the missed {many} with new numbers? (y/n):")
    answers.timed = True
    if line is None or parse_self_grade(line) is not True:
        return line is not None
    fresh = redraw([a.outcome.instance for a in missed],
                   None if seed is None else seed + 1)
    session.start_retry(fresh)
    _run(console, answers, session, bank)
    return True


def interview(
    minutes: Annotated[
        float,
        typer.Option("--minutes", "-m", min=1, max=240, metavar="M",
                     help="How long the interview lasts, in minutes."),
    ] = 20,
    topic: Annotated[
        list[str] | None,
        typer.Option("--topic", "-t", metavar="TOPIC", autocompletion=complete_topic,
                     help="Only this topic (repeat for more); see `xent bank list`."),
    ] = None,
    level: Annotated[
        list[int] | None,
        typer.Option("--level", min=1, max=3, metavar="1|2|3",
                     help="Only this level (repeat for more): 1 warm-up, 2 core, 3 stretch."),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(min=0, metavar="N", help="Same seed, same questions with the same numbers."),
    ] = None,
    bank: Annotated[
        list[Path] | None,
        typer.Option("--bank", exists=True, metavar="PATH",
                     help="Use this bank file or folder instead of the shipped ones "
                     "(repeat for more)."),
    ] = None,
    limit: Annotated[
        float | None,
        typer.Option("--limit", min=1, metavar="SECONDS",
                     help="Give every question this many seconds (default: twice its par)."),
    ] = None,
    json_output: Annotated[
        bool,
        typer.Option("--json", help="Print a JSON report on stdout (the interview goes to "
                     "stderr)."),
    ] = False,
    no_save: Annotated[
        bool, typer.Option("--no-save", help="Do not record this interview.")
    ] = False,
) -> None:
    """A timed mock interview: warm-up, core and stretch questions, then a readiness report.

    Each question has a par (the time a prepared candidate needs) and twice
    that to answer; past its time, the solution is shown and it counts as not
    answered. At the end: readiness per topic, the missed questions, and an
    offer to retry them with new numbers. Answers as in `xent quiz`.
    """
    import json

    from rich.markup import escape

    from xentcli.cli.console import err_console, out_console
    from xentcli.errors import BankError
    from xentcli.quiz.bank import load_banks
    from xentcli.quiz.interview import InterviewSession, build_script, time_text
    from xentcli.quiz.records import InterviewRecorder, NullInterviewRecorder
    from xentcli.quiz.store import SaveStatus, open_progress

    loaded = load_banks(bank or None, write_cache=not no_save)
    instances = build_script(loaded, minutes=minutes, topics=topic or (), levels=level or (),
                             seed=seed)
    recorder: InterviewRecorder
    if no_save:
        recorder = NullInterviewRecorder()
    else:
        progress = open_progress()
        if progress.status is SaveStatus.READ_ONLY:
            err_console().print(f"[yellow]Warning:[/] {escape(progress.warning or '')}.",
                                soft_wrap=True)
        recorder = progress.interview_recorder()
    console = err_console() if json_output else out_console()
    session = InterviewSession(instances, recorder, clock=lambda: clock(), minutes=minutes,
                               seed=seed, interview_recorder=recorder, limit_override=limit)
    answers: _Reader
    if sys.stdin.isatty():
        answers = _TimedTerminal(console, session)
    else:
        answers = _TimedLines(console)
    many = "question" if len(instances) == 1 else "questions"
    console.print(f"[bold]Mock interview[/]: {len(instances)} {many} in "
                  f"{time_text(minutes * 60)}, easiest first. Answer as in xent quiz; "
                  "'skip' skips, 'quit' ends.")
    interrupted = reported = False
    failed: BankError | None = None
    try:
        session.begin()
        went_on = _run(console, answers, session, loaded)
        session.end()
        report = session.interview_report()
        _report(console, report, loaded, interrupted=False)
        reported = True
        if went_on:  # after `quit` or the end of input, no retry is offered
            _offer_retry(console, answers, session, report, seed, loaded)
    except KeyboardInterrupt:
        interrupted = True
        console.print()
    except BankError as exc:  # a question that cannot be drawn (a bank's bug): the
        if not session.outcomes:  # interview so far is reported, then the problem said
            raise
        failed = exc
    session.end()
    final = session.interview_report()
    if (interrupted or failed) and not reported:  # stopped during the questions
        _report(console, final, loaded, interrupted=interrupted)
    if final.retry is not None:
        _retry_report(console, final.retry)
    console.print("Next: [bold]xent stats[/] for your readiness trend, "
                  "[bold]xent plan[/] for what to do today.")
    if json_output:
        sys.stdout.write(json.dumps(final.to_json(), ensure_ascii=False, allow_nan=False) + "\n")
        sys.stdout.flush()
    if failed is not None:
        raise failed
    if interrupted:
        raise typer.Exit(int(ExitStatus.INTERRUPTED))


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("interview")(interview)

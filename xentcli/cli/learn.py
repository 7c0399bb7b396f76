"""`xent learn`: one-minute concept cards, one per quiz topic.

The cards are Markdown files beside the shipped banks (see
:mod:`xentcli.quiz.cards`); their numbers are computed by the core each time a
card is shown. Rich is imported inside the command, so start-up stays fast.
"""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.markdown import Markdown


def register(app: typer.Typer) -> None:
    """Add ``xent learn`` to the root app."""
    app.command("learn")(learn)


def complete_topic(incomplete: str) -> list[str]:
    """Shell completion: the card topics that start with what was typed."""
    from xentcli.quiz.cards import list_cards

    return [c.topic for c in list_cards() if c.topic.startswith(incomplete.lower())]


def learn(
    topic: Annotated[
        str | None,
        typer.Argument(metavar="TOPIC", autocompletion=complete_topic,
                       help="A topic id, e.g. entropy or focal. Leave out to list them."),
    ] = None,
    json_output: Annotated[
        bool,
        typer.Option("--json",
                     help="One JSON object: the topics, or the card's Markdown with its numbers."),
    ] = False,
) -> None:
    """A concept card: the one-minute explanation, the formula, a worked example
    computed live, the common pitfalls, and how to practise it.

    Without TOPIC, list the topics with a one-line summary each.
    """
    import textwrap

    from rich.markup import escape

    from xentcli.cli.console import out_console, page
    from xentcli.quiz.cards import list_cards, load_card

    if json_output:
        _print_json(topic)
        return
    console = out_console()
    if topic is None:
        cards = list_cards()
        indent = max(len(card.topic) for card in cards) + 2
        console.print("Concept cards, in learning order:\n")
        for card in cards:
            # Plain lines (not a Table, which pads every cell to the column's width).
            summary = textwrap.wrap(card.summary, max(console.width - indent, 20))
            console.print(f"[bold]{escape(card.topic)}[/]" + " " * (indent - len(card.topic))
                          + escape(summary[0]))
            for more in summary[1:]:
                console.print(" " * indent + escape(more))
        console.print("\nRead one: xent learn TOPIC    Practise it: xent quiz --topic TOPIC")
        return
    card = load_card(topic)
    text = card.render() + (
        f"\n\n---\n\n**Quiz me on this:** `xent quiz --topic {card.topic}`\n"
    )
    # Rich pads every line of Markdown to the full width; the padding is dropped
    # (before any closing colour code) so piped or copied text has no trailing spaces.
    with console.capture() as captured:
        console.print(_markdown(text))
    trailing = re.compile(r" +((?:\x1b\[[0-9;]*m)*)$", re.M)
    page(trailing.sub(r"\1", captured.get()))


def _print_json(topic: str | None) -> None:
    """``{"topics": [{"topic", "title", "summary"}]}``, or one card as
    ``{"topic", "title", "summary", "text"}`` (Markdown, numbers filled in)."""
    import json

    from xentcli.quiz.cards import list_cards, load_card

    if topic is None:
        data: dict[str, Any] = {"topics": [
            {"topic": c.topic, "title": c.title, "summary": c.summary} for c in list_cards()
        ]}
    else:
        card = load_card(topic)
        data = {"topic": card.topic, "title": card.title, "summary": card.summary,
                "text": card.render()}
    sys.stdout.write(json.dumps(data, ensure_ascii=False, allow_nan=False) + "\n")


def _markdown(text: str) -> Markdown:
    """Rich Markdown with compact code blocks: a card has to fit about two screens."""
    from rich.markdown import CodeBlock, Markdown
    from rich.syntax import Syntax

    class CompactCodeBlock(CodeBlock):
        def __rich_console__(self, console: Any, options: Any) -> Any:
            # Rich pads code blocks with a blank line above and below; the
            # paragraph spacing around them is enough.
            yield Syntax(
                str(self.text).rstrip(),
                self.lexer_name,
                theme=self.theme,
                word_wrap=True,
                padding=(0, 1),
            )

    class Card(Markdown):
        elements = {**Markdown.elements, "fence": CompactCodeBlock, "code_block": CompactCodeBlock}

    return Card(text)

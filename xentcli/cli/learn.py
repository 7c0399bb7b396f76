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

from xentcli.cli.completion import complete_topic

if TYPE_CHECKING:
    from rich.markdown import Markdown


def register(app: typer.Typer) -> None:
    """Add ``xent learn`` to the root app."""
    app.command("learn")(learn)


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
    page(_drawn(console, text))


def _drawn(console: Any, text: str) -> str:
    """The card's Markdown as this console draws it, from the cache when it holds it
    (drawing loads Rich's Markdown renderer and Pygments: most of the start)."""
    from xentcli.quiz import bankcache

    key = _drawn_key(console, text)
    cached = bankcache.load_drawn_card(key)
    if cached is not None:
        return cached
    # Rich pads every line of Markdown to the full width; the padding is dropped
    # (before any closing colour code) so piped or copied text has no trailing spaces.
    with console.capture() as captured:
        console.print(_markdown(text))
    trailing = re.compile(r" +((?:\x1b\[[0-9;]*m)*)$", re.M)
    drawn = trailing.sub(r"\1", captured.get())
    bankcache.store_drawn_card(key, drawn)
    return drawn


def _drawn_key(console: Any, text: str) -> str:
    """What a drawn card depends on: its text, the console's width and colours, and
    the code that draws it (this module, xent's console, Rich's Markdown, Syntax
    and Console, Pygments)."""
    import hashlib
    import importlib.util
    from pathlib import Path

    import rich

    from xentcli import __version__

    rich_dir = Path(rich.__file__).parent
    sources = [Path(__file__), Path(__file__).with_name("console.py"),  # xent's console
               rich_dir / "markdown.py", rich_dir / "syntax.py", rich_dir / "console.py"]
    spec = importlib.util.find_spec("pygments")
    if spec is not None and spec.origin:
        sources.append(Path(spec.origin))
    digest = hashlib.sha256(f"xent-drawn-card {__version__} {console.width} "
                            f"{console.color_system} {console.no_color} "
                            f"{console.legacy_windows}".encode())
    for source in sources:
        try:
            digest.update(source.read_bytes())
        except OSError:
            digest.update(b"missing " + str(source).encode())
    digest.update(text.encode("utf-8"))
    return digest.hexdigest()


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

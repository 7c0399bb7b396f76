"""Shell completion of names (Typer calls these when the user presses Tab)."""

from __future__ import annotations

__all__ = ["complete_topic"]


def complete_topic(incomplete: str) -> list[str]:
    """The shipped topics that start with what was typed (a bank file is named after
    its topic, so no bank is parsed: completion stays instant)."""
    from xentcli.quiz.bank import shipped_bank_dir

    typed = incomplete.lower()
    return sorted(p.stem for p in shipped_bank_dir().glob("*.yaml") if p.stem.startswith(typed))

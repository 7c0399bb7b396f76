"""Exports of the question banks and concept cards for flashcard tools (never prints)."""

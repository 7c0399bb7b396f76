"""Shared test settings: hypothesis profiles, an isolated progress folder, and a
terminal of known size and colour."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# The machine is small and shared: no per-example deadline (timings belong in
# benchmarks/), and a modest number of examples by default.
settings.register_profile(
    "default",
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own XENT_HOME: nothing touches the user's real progress."""
    home = tmp_path / "xent-home"
    monkeypatch.setenv("XENT_HOME", str(home))
    yield home


@pytest.fixture(autouse=True)
def _plain_80_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Output is checked at 80 columns without colour, whatever terminal runs the tests
    (Rich reads COLUMNS; a test that needs another width sets its own)."""
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.delenv("LINES", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)

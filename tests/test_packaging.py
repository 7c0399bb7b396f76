"""The built wheel is complete and works outside the repository."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import xentcli

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("xentcli-*.whl")
    return built


def test_wheel_ships_every_bank_file_and_the_type_marker(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = [p.relative_to(ROOT / "questions") for p in (ROOT / "questions").rglob("*")
               if p.is_file()]
    assert shipped, "the repository has no question banks"
    for rel in shipped:
        assert f"xentcli/questions/{rel.as_posix()}" in names
    assert "xentcli/py.typed" in names
    assert any(n.endswith("entry_points.txt") for n in names)


def test_installed_wheel_works_from_another_folder(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    script = (
        "import importlib.resources as r, xentcli\n"
        "from xentcli.core import cross_entropy\n"
        "print(cross_entropy([1, 0, 0], [0.7, 0.2, 0.1]))\n"
        "print(xentcli.__file__)\n"
        "print(sorted(p.name for p in (r.files('xentcli') / 'questions').iterdir()))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=elsewhere, env=env,
        capture_output=True, text=True, check=True,
    )
    value, location, banks = done.stdout.splitlines()
    assert abs(float(value) - 0.35667494393873245) <= 1e-15
    assert Path(location).is_relative_to(site)  # not the repository's copy
    assert ".yaml" in banks


def test_version_has_one_source() -> None:
    text = (ROOT / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in text
    assert xentcli.__version__.count(".") == 2



def _requirement_floors(requirements: list[str]) -> dict[str, str]:
    floors = {}
    for req in requirements:
        name, _, version = req.split(";")[0].partition(">=")
        floors[name.strip().lower()] = version.strip()
    return floors


def _release(version: str) -> tuple[int, ...]:
    """0.29 and 0.29.0 name the same release."""
    parts = [int(p) for p in version.split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def test_ci_installs_exactly_the_floors_pyproject_promises() -> None:
    declared = re.search(r"^dependencies = \[(.*?)\]", (ROOT / "pyproject.toml").read_text(),
                         re.S | re.M)
    assert declared is not None
    requirements = re.findall(r'"([^"]+)"', declared.group(1))
    floors = _requirement_floors(requirements)
    pinned = {}
    for line in (ROOT / ".ci" / "floors.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            pinned[name.strip().lower()] = version.strip()
    for name, version in floors.items():
        assert name in pinned, f"{name} has a floor in pyproject.toml but none in .ci/floors.txt"
        assert _release(pinned[name]) == _release(version), name


def test_wheel_metadata_names_licence_and_pythons(wheel: Path) -> None:
    archive = zipfile.ZipFile(wheel)
    (metadata,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
    text = archive.read(metadata).decode()
    assert "License-Expression: MIT" in text
    for minor in ("3.10", "3.11", "3.12", "3.13"):
        assert f"Classifier: Programming Language :: Python :: {minor}" in text
    assert any(n.endswith("licenses/LICENSE") for n in archive.namelist())

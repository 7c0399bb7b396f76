"""Drill files are data: each shipped one is valid, and a broken one is refused
with the file name and the reason (nothing in it is ever run by xent itself)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from xentcli.cli.drill import _complete_name
from xentcli.drill.tasks import drills_dir, list_drills, read_drill
from xentcli.errors import DrillError

SOFTMAX = drills_dir() / "softmax.yaml"


def _variant(tmp_path: Path, change: dict[str, object], name: str = "softmax") -> Path:
    data = yaml.safe_load(SOFTMAX.read_text(encoding="utf-8"))
    data.update(change)
    for key in [k for k, v in change.items() if v is None]:
        del data[key]
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_every_shipped_drill_reads_and_is_named_after_its_file() -> None:
    files = sorted(drills_dir().glob("*.yaml"))
    assert [p.stem for p in files] == sorted(d.name for d in list_drills())
    for path in files:
        assert read_drill(path).name == path.stem


@pytest.mark.parametrize(("change", "reason"), [
    ({"solution": None}, "missing solution"),
    ({"colour": "red"}, "unknown key 'colour'"),
    ({"level": 4}, "level must be 1, 2 or 3"),
    ({"args": [{"name": "z", "kind": "tensor"}]},
     "arg z: kind must be one of logits, probs, target, labels, binary, scalar"),
    ({"reference": {"function": "eval", "args": ["z"]}},
     "reference function 'eval' is not in xentcli.core"),
    ({"reference": {"function": "softmax", "args": ["x"]}},
     "reference args must name the drill's args"),
    ({"example": {"x": [1.0]}}, "example must give a value for each arg: z"),
    ({"solution": "def softmax(z):\n    return (\n"},
     "solution is not valid Python (line 2: '(' was never closed)"),
    ({"solution": "def other(z):\n    return z\n"}, "solution does not define softmax"),
    ({"mistakes": []}, "mistakes must list at least two classic wrong implementations"),
    ({"summary": "x" * 73}, "the summary is 73 characters long; keep it to 72"),
    ({"hints": {"colour": "red"}}, "hints maps a kind (overflow, log-zero, nan, shape, value, "
                                   "warning, float32, slow) to one line"),
])
def test_a_broken_drill_is_refused_with_file_and_reason(
    tmp_path: Path, change: dict[str, object], reason: str
) -> None:
    with pytest.raises(DrillError) as caught:
        read_drill(_variant(tmp_path, change))
    assert str(caught.value) == f"softmax.yaml: {reason}"


def test_the_name_must_be_the_files_stem(tmp_path: Path) -> None:
    with pytest.raises(DrillError, match=r"^other.yaml: the name 'softmax' must be a Python "
                                         r"name equal to the file's stem$"):
        read_drill(_variant(tmp_path, {}, name="other"))


def test_not_yaml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "softmax.yaml"
    path.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(DrillError, match=r"^softmax.yaml: cannot read this drill: "):
        read_drill(path)


def test_shell_completion_offers_drill_names() -> None:
    assert _complete_name("cross_entropy") == [
        "cross_entropy", "cross_entropy_grad", "cross_entropy_with_logits"]
    assert _complete_name("zz") == []

"""The parsed-bank cache: same data, same lines, same problems; never trusted blindly."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from xentcli.errors import BankError
from xentcli.quiz import bank as banks
from xentcli.quiz import bankcache
from xentcli.quiz.bank import read_banks, shipped_bank_dir
from xentcli.quiz.linedata import LineDict, LineList
from xentcli.quiz.yamlload import load_yaml

FIXTURES = Path(__file__).parent / "fixtures" / "banks"


def _same(a: Any, b: Any) -> bool:
    """Equal data of equal types, with equal lines everywhere."""
    if type(a) is not type(b):
        return False
    if isinstance(a, LineDict):
        return (a.line, a.key_lines, list(a)) == (b.line, b.key_lines, list(b)) and all(
            _same(a[k], b[k]) for k in a)
    if isinstance(a, LineList):
        return (a.line, a.item_lines, len(a)) == (b.line, b.item_lines, len(b)) and all(
            _same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _entries() -> list[Path]:
    return sorted(bankcache.cache_dir().glob("bank-*.json"))


def _entry_of(path: Path) -> Path:
    key = bankcache.entry_key(path.read_bytes())
    return bankcache.cache_dir() / f"bank-{key[:32]}.json"


def test_the_cache_lives_in_xent_home() -> None:
    assert bankcache.cache_dir() == Path(os.environ["XENT_HOME"]) / "cache"


@pytest.mark.parametrize("name", sorted(p.name for p in shipped_bank_dir().glob("*.yaml")))
def test_cached_data_is_the_parsed_data_with_every_line(name: str) -> None:
    path = shipped_bank_dir() / name
    fresh = load_yaml(path.read_text(encoding="utf-8"))
    read_banks([path])  # fills the cache
    key = bankcache.entry_key(path.read_bytes())
    cached = bankcache.load_entry(key)
    assert cached is not None
    assert _same(cached, fresh)


def test_a_second_read_uses_the_cache_and_says_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    paths = [FIXTURES / "bad", FIXTURES / "good"]
    first_bank, first_problems = read_banks(paths)
    assert len(_entries()) == 4  # every file that parsed, the bad ones included
    import xentcli.quiz.yamlload as yamlload

    def no_parser(text: str) -> Any:
        raise AssertionError("the parser ran although the cache holds the file")

    monkeypatch.setattr(yamlload, "load_yaml", no_parser)
    second_bank, second_problems = read_banks(paths)
    assert second_problems == first_problems
    assert len(first_problems) == 8  # the drawing problem is bank check's, not read's
    assert second_bank.questions == first_bank.questions
    assert [q.lines for q in second_bank.questions] == [q.lines for q in first_bank.questions]


def test_an_edited_bank_is_read_again(tmp_path: Path) -> None:
    bank = tmp_path / "basics.yaml"
    shutil.copy(FIXTURES / "good" / "basics.yaml", bank)
    before = read_banks([bank])[0].questions[0]
    text = bank.read_text(encoding="utf-8")
    bank.write_text(text.replace(f"id: {before.id}", "id: renamed-one", 1), encoding="utf-8")
    after = read_banks([bank])[0].questions[0]
    assert (after.id, before.id == "renamed-one") == ("renamed-one", False)
    assert after.line == before.line
    assert len(_entries()) == 2


def test_an_entry_is_not_trusted_without_its_key(tmp_path: Path) -> None:
    bank = tmp_path / "basics.yaml"
    shutil.copy(FIXTURES / "good" / "basics.yaml", bank)
    read_banks([bank])
    entry = _entry_of(bank)
    stored = json.loads(entry.read_text(encoding="utf-8"))
    # Same file name, other key inside (a collision of the short name, or a forgery).
    stored["key"] = "0" * 64
    stored["data"]["k"][0][2] = "tampered"
    entry.write_text(json.dumps(stored), encoding="utf-8")
    loaded, problems = read_banks([bank])
    assert problems == []
    assert loaded.topics["basics"].id == "basics"
    assert json.loads(entry.read_text(encoding="utf-8"))["key"] != "0" * 64  # rewritten


@pytest.mark.parametrize("damage", [
    lambda text: text[: len(text) // 2],                        # cut short
    lambda text: "",                                            # empty
    lambda text: "\x00\xff garbage",                            # not JSON
    lambda text: text.replace('{"m":', '{"x":', 1).replace(',"k":', ',"y":', 1),  # a shape
    lambda text: text.replace('"Basics"', '"\\u001b[2JBasics"', 1),  # an escape code
    lambda text: text.replace('"s":', '"s":-', 1),             # a negative line
])
def test_a_damaged_entry_is_ignored_and_written_again(tmp_path: Path, damage: Any) -> None:
    bank = tmp_path / "basics.yaml"
    shutil.copy(FIXTURES / "good" / "basics.yaml", bank)
    expected = read_banks([bank])
    entry = _entry_of(bank)
    good = entry.read_text(encoding="utf-8")
    entry.write_text(damage(good), encoding="utf-8")
    assert bankcache.load_entry(bankcache.entry_key(bank.read_bytes())) is None
    assert read_banks([bank]) == expected
    assert entry.read_text(encoding="utf-8") == good


def test_entries_are_written_whole(tmp_path: Path) -> None:
    read_banks([FIXTURES / "good"])
    folder = bankcache.cache_dir()
    assert sorted(p.name for p in folder.iterdir()
                  if not p.name.startswith(("bank-", "index-"))) == []
    for entry in _entries():
        assert json.loads(entry.read_text(encoding="utf-8")).keys() == {"key", "data"}
    for entry in folder.glob("index-*.json"):
        assert json.loads(entry.read_text(encoding="utf-8")).keys() == {"key", "index"}


def test_a_cache_that_cannot_be_written_is_not_used(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("XENT_HOME", str(blocker))
    loaded, problems = read_banks([FIXTURES / "good"])
    assert problems == [] and set(loaded.topics) == {"basics", "units"}


def test_data_the_encoding_cannot_hold_is_not_cached(tmp_path: Path) -> None:
    bank = tmp_path / "dated.yaml"
    bank.write_text("topic: dated\ntitle: T\nsummary: S\nquestions: []\nwhen: 2024-01-02\n")
    first = read_banks([bank])[1]
    assert [p.reason for p in first] == [
        "unknown key 'when' (a bank has topic, title, summary, questions)"]
    assert _entries() == []
    assert read_banks([bank])[1] == first


def test_old_entries_are_pruned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bankcache, "MAX_ENTRIES", 3)
    folder = bankcache.cache_dir()
    folder.mkdir(parents=True)
    for number in range(5):
        old = folder / f"bank-old{number}.json"
        old.write_text("{}")
        os.utime(old, (1000 + number, 1000 + number))
    read_banks([FIXTURES / "good" / "units.yaml"])  # writes its data and its index
    kept = sorted(p.name for p in folder.glob("*-*.json"))
    assert len(kept) == 3 and "bank-old4.json" in kept and "bank-old3.json" not in kept
    assert {name.split("-")[0] for name in kept} == {"bank", "index"}


def test_the_key_covers_the_version_and_the_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    key = bankcache.entry_key(b"topic: x\n")
    assert key != bankcache.entry_key(b"topic: y\n")
    monkeypatch.setattr(bankcache, "__version__", "99.0")
    assert bankcache.entry_key(b"topic: x\n") != key
    monkeypatch.undo()
    monkeypatch.setattr(bankcache, "_PARSER_SOURCE", b"another parser")
    assert bankcache.entry_key(b"topic: x\n") != key


def _meaning(value: object) -> str:
    # Formulas hold compiled syntax trees, equal by identity only; their text is
    # in the repr beside them, so the repr without addresses compares the meaning.
    return re.sub(r" at 0x[0-9a-f]+", "", repr(value))


def test_reading_the_shipped_banks_twice_is_the_same() -> None:
    first = read_banks()
    assert len(_entries()) == len(list(shipped_bank_dir().glob("*.yaml")))
    assert _meaning(read_banks()) == _meaning(first)
    assert _meaning(banks.load_banks().questions) == _meaning(first[0].questions)


# ------------------------------------------------------------------------ cards


def _card_entry() -> Path:
    (entry,) = sorted(bankcache.cache_dir().glob("card-*.json"))
    return entry


def test_a_card_is_rendered_once_then_read_from_the_cache(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from xentcli.quiz import template
    from xentcli.quiz.cards import load_card

    card = load_card("entropy")
    text = card.render()
    assert "{" not in text and json.loads(_card_entry().read_text())["text"] == text

    def no_render(*args: Any) -> str:
        raise AssertionError("rendered again although the cache holds the card")

    monkeypatch.setattr(template, "render", no_render)
    assert card.render() == text


@pytest.mark.parametrize("damage", [
    lambda entry: {**entry, "key": "0" * 64},                    # another key
    lambda entry: {**entry, "text": entry["text"] + "\x1b[2J"},  # an escape code
    lambda entry: {"key": entry["key"]},                          # no text
])
def test_a_card_entry_that_is_not_sound_is_rendered_again(damage: Any) -> None:
    from xentcli.quiz.cards import load_card

    card = load_card("kl")
    text = card.render()
    good = json.loads(_card_entry().read_text())
    _card_entry().write_text(json.dumps(damage(good)))
    assert card.render() == text
    assert json.loads(_card_entry().read_text()) == good


def _learn(*args: str, columns: int = 80) -> str:
    from typer.testing import CliRunner

    from xentcli.cli.app import app

    result = CliRunner().invoke(app, ["learn", *args], env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_a_card_is_drawn_once_per_width_then_shown_from_the_cache(
        monkeypatch: pytest.MonkeyPatch) -> None:
    wide, narrow = _learn("entropy"), _learn("entropy", columns=60)
    assert wide != narrow and max(map(len, narrow.splitlines())) <= 60
    drawn = sorted(bankcache.cache_dir().glob("drawn-*.json"))
    assert len(drawn) == 2
    import xentcli.cli.learn as learn

    def no_drawing(text: str) -> Any:
        raise AssertionError("drawn again although the cache holds the card")

    monkeypatch.setattr(learn, "_markdown", no_drawing)
    assert (_learn("entropy"), _learn("entropy", columns=60)) == (wide, narrow)


@pytest.mark.parametrize("forged", ["\x1b[2J", "\x1b]0;pwned\x07", "\x1b]8;;http://x\x1b\\",
                                    "\x07", "\r"])
def test_a_drawn_card_with_any_code_but_colours_is_drawn_again(forged: str) -> None:
    shown = _learn("kl")
    (entry,) = sorted(bankcache.cache_dir().glob("drawn-*.json"))
    stored = json.loads(entry.read_text(encoding="utf-8"))
    stored["text"] = forged + stored["text"]
    entry.write_text(json.dumps(stored), encoding="utf-8")
    assert bankcache.load_drawn_card(stored["key"]) is None
    assert _learn("kl") == shown
    assert bankcache.load_drawn_card(stored["key"]) == shown  # written again
    colours = "\x1b[1mKL\x1b[0m divergence\n"
    bankcache.store_drawn_card("k" * 64, colours)
    assert bankcache.load_drawn_card("k" * 64) == colours


def test_the_card_key_covers_the_text_and_the_code_that_computes(
        monkeypatch: pytest.MonkeyPatch) -> None:
    key = bankcache.card_key("H = {entropy([0.5, 0.5])}")
    assert key != bankcache.card_key("H = {entropy([0.25, 0.75])}")
    monkeypatch.setattr(bankcache, "_RENDER_SOURCE", b"other code")
    assert bankcache.card_key("H = {entropy([0.5, 0.5])}") != key


# ------------------------------------------------------------- bank check


def test_bank_check_parses_the_files_themselves_and_mends_their_entries(
        tmp_path: Path) -> None:
    bank = tmp_path / "basics.yaml"
    shutil.copy(FIXTURES / "good" / "basics.yaml", bank)
    read_banks([bank])
    entry = _entry_of(bank)
    good = entry.read_text(encoding="utf-8")
    entry.write_text(good.replace('"Basics"', '"Forged"'), encoding="utf-8")
    assert read_banks([bank])[0].topics["basics"].title == "Forged"  # an edit could do that
    loaded, problems = banks.check_banks([bank])
    assert (loaded.topics["basics"].title, problems) == ("Basics", [])
    assert entry.read_text(encoding="utf-8") == good


# ------------------------------------------------------------------ the index


def _index_of(path: Path) -> Path:
    key = bankcache.entry_key(path.read_bytes())
    return bankcache.cache_dir() / f"index-{key[:32]}.json"


def test_a_quiz_chooses_from_the_index_and_reads_a_file_only_to_draw_from_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from xentcli.quiz.bankindex import DeferredQuestion

    good = FIXTURES / "good"
    checked = read_banks([good])[0]  # in full: writes each file's data and index
    opened: list[str] = []
    usual = bankcache.load_entry

    def counted(key: str) -> Any:
        opened.append(key)
        return usual(key)

    monkeypatch.setattr(bankcache, "load_entry", counted)
    indexed = banks.load_banks([good])
    assert opened == []  # the index was enough to choose
    assert all(type(q) is DeferredQuestion for q in indexed.questions)
    assert [(q.id, q.topic, q.kind, q.level, q.par_seconds, q.tags, q.file, q.line)
            for q in indexed.questions] == [
        (q.id, q.topic, q.kind, q.level, q.par_seconds, q.tags, q.file, q.line)
        for q in checked.questions]
    assert opened == []
    units = indexed.topics["units"].questions
    first = units[0].instantiate(3)
    assert len(opened) == 1  # that file's data, once for all its questions
    assert [q.instantiate(3) for q in units] == [
        q.instantiate(3) for q in checked.topics["units"].questions]
    assert first == checked.topics["units"].questions[0].instantiate(3)
    assert len(opened) == 1
    assert indexed.questions == checked.questions and checked.questions == indexed.questions
    assert len(opened) == 2  # comparing builds the other file's questions too


@pytest.mark.parametrize("forge", [
    lambda index: {**index, "questions": [[*index["questions"][0][:3], "choice",
                                           *index["questions"][0][4:]]]},
    lambda index: {**index, "questions": [["no-such-question",
                                           *index["questions"][0][1:]]]},
])
def test_a_forged_index_can_do_no_more_than_an_edited_bank(tmp_path: Path, forge: Any) -> None:
    bank = tmp_path / "basics.yaml"
    shutil.copy(FIXTURES / "good" / "basics.yaml", bank)
    read_banks([bank])
    entry = _index_of(bank)
    stored = json.loads(entry.read_text(encoding="utf-8"))
    assert stored["index"]["questions"][0][:4] == ["basics-dog", 6, 6, "numeric"]
    stored["index"] = forge(stored["index"])
    entry.write_text(json.dumps(stored), encoding="utf-8")
    (question,) = banks.load_banks([bank]).questions
    with pytest.raises(BankError, match=r"the bank cache does not match the file(?: \(kind\))?; "
                                        r"'xent bank check' reads the file again and mends it"):
        question.instantiate(0)
    assert banks.check_banks([bank])[1] == []  # bank check reads the file itself...
    mended = banks.load_banks([bank]).questions[0]  # ...and writes the index again
    assert mended.instantiate(0) == read_banks([bank])[0].questions[0].instantiate(0)


def test_an_index_that_disagrees_with_its_file_stops_the_draw(tmp_path: Path) -> None:
    bank = tmp_path / "basics.yaml"
    shutil.copy(FIXTURES / "good" / "basics.yaml", bank)
    read_banks([bank])
    entry = _index_of(bank)
    stored = json.loads(entry.read_text(encoding="utf-8"))
    stored["index"]["title"] = "Forged"
    entry.write_text(json.dumps(stored), encoding="utf-8")
    loaded = banks.load_banks([bank])
    assert loaded.topics["basics"].title == "Forged"  # as an edited bank could say
    with pytest.raises(BankError) as caught:
        loaded.questions[0].instantiate(0)
    assert str(caught.value) == (f"{bank}: the bank cache does not match the file; 'xent bank "
                                 f"check' reads the file again and mends it")


@pytest.mark.parametrize("forge, problem", [
    # Both are refused by a read of the file; the index chose the question before.
    (('"cross_entropy(2, [0.1, 0.2, 0.7], base=base)"', '"().__class__"'),
     "11: question 'basics-dog': answer: attribute access ('.') cannot be used in a formula"),
    (('and the image is a dog.', 'and the image is a dog: {answer}.'),
     "8: question 'basics-dog': prompt: unknown name 'answer'"),
])
def test_a_forged_entry_is_checked_in_full_before_its_question_is_drawn(
        tmp_path: Path, forge: tuple[str, str], problem: str) -> None:
    bank = tmp_path / "basics.yaml"
    shutil.copy(FIXTURES / "good" / "basics.yaml", bank)
    read_banks([bank])  # its data and its index
    entry = _entry_of(bank)
    good = entry.read_text(encoding="utf-8")
    assert good.count(forge[0]) == 1
    entry.write_text(good.replace(*forge), encoding="utf-8")
    (dog, *_) = banks.load_banks([bank]).questions
    with pytest.raises(BankError) as caught:
        dog.instantiate(0)
    assert str(caught.value).startswith(f"{bank}:{problem}")
    assert banks.check_banks([bank])[1] == []  # bank check reads the file, and mends...
    assert banks.load_banks([bank]).questions[0].instantiate(0) == read_banks(
        [bank])[0].questions[0].instantiate(0)


@pytest.mark.parametrize("damage", [
    lambda index: {**index, "questions": [["Bad Id", 6, 6, "numeric", 2, 60, []]]},
    lambda index: {**index, "questions": [["basics-dog", 6, 6, "numeric", 7, 60, []]]},
    lambda index: {**index, "questions": [["basics-dog", 6, 6, "numeric", 2, 0, []]]},
    lambda index: {**index, "title": "\x1b[2JBasics"},
    lambda index: {**index, "topic": "units"},
    lambda index: {**index, "extra": 1},
    lambda index: {**index, "questions": [index["questions"][0]] * 2},
    lambda index: [],
])
def test_an_index_that_is_not_sound_is_ignored(tmp_path: Path, damage: Any) -> None:
    from xentcli.quiz.bankindex import DeferredQuestion

    bank = tmp_path / "basics.yaml"
    shutil.copy(FIXTURES / "good" / "basics.yaml", bank)
    expected = read_banks([bank])[0]
    entry = _index_of(bank)
    stored = json.loads(entry.read_text(encoding="utf-8"))
    stored["index"] = damage(stored["index"])
    entry.write_text(json.dumps(stored), encoding="utf-8")
    loaded = banks.load_banks([bank])
    assert not any(isinstance(q, DeferredQuestion) for q in loaded.questions)
    assert loaded == expected


def test_an_id_two_indexed_files_share_is_still_reported(tmp_path: Path) -> None:
    first, second = tmp_path / "one.yaml", tmp_path / "two.yaml"
    text = (FIXTURES / "good" / "basics.yaml").read_text(encoding="utf-8")
    first.write_text(text.replace("topic: basics", "topic: one"), encoding="utf-8")
    second.write_text(text.replace("topic: basics", "topic: two"), encoding="utf-8")
    read_banks([first])
    read_banks([second])  # each is clean alone, and indexed
    assert _index_of(first).exists() and _index_of(second).exists()
    with pytest.raises(BankError, match=r"two.yaml:6: question 'basics-dog': duplicate id "
                                        r"\(also in .*one.yaml:6\)"):
        banks.load_banks([first, second])


def test_telling_indexed_questions_apart_builds_none_of_them(
        monkeypatch: pytest.MonkeyPatch) -> None:
    good = FIXTURES / "good"
    read_banks([good])
    questions = banks.load_banks([good]).questions
    def no_entry(key: str) -> Any:
        raise AssertionError("a question was built")

    monkeypatch.setattr(bankcache, "load_entry", no_entry)  # building reads the data
    assert questions[0] == questions[0] and questions[0] != questions[1]
    chosen = list(questions)
    chosen.remove(questions[-1])  # compares it with every question before it
    assert questions[-1] not in chosen and len(chosen) == len(questions) - 1


@pytest.mark.parametrize("command", [
    ["quiz", "--question", "entropy-two-coins", "--no-save"],
    ["quiz", "-n", "3", "--seed", "4", "--no-save"],
    ["interview", "--seed", "4", "--no-save"],
    ["quiz", "-t", "kl", "--seed", "2", "--no-save"],
])
def test_a_session_builds_only_the_banks_it_draws_from(
        command: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from xentcli.cli.app import app

    read_banks()  # the shipped banks, in full: their data and index are cached
    opened: list[str] = []
    usual = bankcache.load_entry

    def counted(key: str) -> Any:
        opened.append(key)
        return usual(key)

    monkeypatch.setattr(bankcache, "load_entry", counted)
    result = CliRunner().invoke(app, command, input="")  # the input ends at question 1
    assert result.exit_code in (0, 1), result.output
    assert "Question 1/" in result.stdout
    assert len(opened) == 1

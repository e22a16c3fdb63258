"""The bot's fund-name lookup table, generated from the funds file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.tooling import fund_lookup
from funddesk.settings import Settings
from knowledge_base.funds import Fund, display_names, read_funds


def write_funds(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "funds.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_committed_lookup_file_is_up_to_date_with_the_funds_file() -> None:
    expected = fund_lookup.render(read_funds(Settings().funds_file))
    assert fund_lookup.OUTPUT.read_text(encoding="utf-8") == expected, "run: python -m bot.tooling.fund_lookup"


def test_every_name_is_a_lookup_element_and_a_synonym_of_its_code(tmp_path: Path) -> None:
    funds = [Fund("900001", ("Demo Balanced", "演示平衡")), Fund("900002", ("Demo Bond Fund", "Demo Bond"))]
    data = yaml.safe_load(fund_lookup.render(funds))["nlu"]
    lookup = next(item for item in data if item.get("lookup") == "fund_name")
    synonyms = {item["synonym"]: item["examples"] for item in data if "synonym" in item}
    assert lookup["examples"].split("\n")[:4] == ["- Demo Bond Fund", "- Demo Balanced", "- Demo Bond", "- 演示平衡"]
    assert synonyms == {"900001": "- Demo Balanced\n- 演示平衡\n", "900002": "- Demo Bond Fund\n- Demo Bond\n"}


def test_each_name_gets_one_annotated_question_in_its_language() -> None:
    examples = fund_lookup.examples(["Demo Bond", "演示债券"])
    assert examples == ["what is the redemption fee of [Demo Bond](fund_name)?", "怎么赎回[演示债券](fund_name)"]


def test_a_name_shared_by_two_funds_is_left_out(tmp_path: Path) -> None:
    funds = [Fund("900001", ("Demo", "Demo Balanced")), Fund("900002", ("demo", "Demo Bond"))]
    table, ambiguous = fund_lookup.name_table(funds)
    assert ambiguous == ["demo"]
    assert table == {"900001": ["Demo Balanced"], "900002": ["Demo Bond"]}


def test_names_with_rasa_markup_characters_are_left_out() -> None:
    table, _ = fund_lookup.name_table([Fund("900001", ("Demo [A]", "Demo {B}", "Demo C"))])
    assert table == {"900001": ["Demo C"]}


def test_no_funds_file_means_an_empty_lookup(tmp_path: Path) -> None:
    assert read_funds(tmp_path / "missing.yml") == []
    assert yaml.safe_load(fund_lookup.render([]))["nlu"] == []


def test_a_fund_code_must_be_six_digits(tmp_path: Path) -> None:
    path = write_funds(tmp_path, 'funds:\n  - code: "12345"\n    names: [x]\n')
    with pytest.raises(ValueError, match="not 6 digits"):
        read_funds(path)


def test_generate_writes_only_when_the_content_changes(tmp_path: Path) -> None:
    funds = write_funds(tmp_path, 'funds:\n  - code: "900001"\n    names: [Demo Balanced]\n')
    out = tmp_path / "lookup.yml"
    assert fund_lookup.generate(funds, out) is True
    assert fund_lookup.generate(funds, out) is False
    assert "Demo Balanced" in out.read_text(encoding="utf-8")


def test_display_names_are_each_funds_first_name() -> None:
    funds = [Fund("900001", ("Demo Balanced Fund", "Demo Balanced")), Fund("900009", ())]
    assert display_names(funds) == {"900001": "Demo Balanced Fund"}

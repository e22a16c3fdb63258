"""Normalisation: one spelling for what investors write in many (width, script, case, synonyms)."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge_base.normalize import Normalizer, Synonyms, SynonymsError

SHIPPED_SYNONYMS = Path(__file__).resolve().parents[2] / "knowledge_base" / "synonyms.yml"


def problems(text: str) -> list[str]:
    """The ``file:line: message`` problems of a synonyms file that must not parse."""
    with pytest.raises(SynonymsError) as raised:
        Synonyms.parse(text, "synonyms.yml")
    return [str(p) for p in raised.value.problems]


# -- spelling rules --------------------------------------------------------------------------


def test_full_width_letters_digits_and_punctuation_fold_to_their_plain_forms() -> None:
    assert Normalizer()("ＱＤＩＩ基金１２３？") == "qdii基金123?"
    assert Normalizer()("，！：（）") == ",!:()"


def test_traditional_characters_become_simplified() -> None:
    assert Normalizer()("贖回") == "赎回"
    assert Normalizer()("賬戶餘額") == "账户余额"


def test_a_traditional_variant_reaches_the_faqs_character_through_the_shipped_synonyms() -> None:
    # OpenCC's t2s turns 帳 into 帐, a valid simplified variant; the shipped [账, 帐] group does the rest.
    assert Normalizer()("帳戶") == "帐户"
    assert Normalizer(Synonyms.load(SHIPPED_SYNONYMS))("帳戶") == "账户"


def test_the_shipped_synonyms_read_a_bare_改_as_修改_and_sip_as_the_plan_it_stands_for() -> None:
    read = Normalizer(Synonyms.load(SHIPPED_SYNONYMS))
    assert read("定投怎么改") == "定投怎么修改"
    assert read("修改定投") == "修改定投"  # the longer word stays whole
    assert read("How do I stop my SIP?") == "how do i stop my systematic investment plan?"
    assert read("gossip") == "gossip"  # whole words only


def test_the_shipped_synonyms_read_dt_as_定投_as_investors_abbreviate_it_and_only_as_a_word() -> None:
    read = Normalizer(Synonyms.load(SHIPPED_SYNONYMS))
    assert read("dt怎么停") == "定投怎么停"
    assert read("我的基金DT扣款失败") == "我的基金定投扣款失败"
    assert read("width") == "width"


def test_case_is_folded() -> None:
    assert Normalizer()("How Do I REDEEM?") == "how do i redeem?"
    assert Normalizer()("Straße") == "strasse"


def test_every_word_of_a_synonym_group_is_read_as_its_first_word() -> None:
    normalize = Normalizer(Synonyms.parse("- [赎回, 卖出, 卖掉]\n- [申购, 买入]\n"))
    assert normalize("卖出和卖掉") == "赎回和赎回"
    assert normalize("怎么买入") == "怎么申购"


def test_the_longest_synonym_wins_over_one_it_starts_with() -> None:
    normalize = Normalizer(Synonyms.parse("- [赎回, 卖掉, 卖掉了]\n"))
    assert normalize("我卖掉了基金") == "我赎回基金"


def test_a_groups_first_word_is_left_as_it_is_when_a_synonym_is_part_of_it() -> None:
    normalize = Normalizer(Synonyms.load(SHIPPED_SYNONYMS))
    assert normalize("红利再投资") == "红利再投资"
    assert normalize("红利再投") == normalize("红利再投资")


def test_latin_synonyms_replace_whole_words_only() -> None:
    normalize = Normalizer(Synonyms.parse("- [redeem, sell]\n"))
    assert normalize("How do I SELL?") == "how do i redeem?"
    assert normalize("the seller may resell") == "the seller may resell"
    assert normalize("我想sell基金") == "我想redeem基金"  # a Chinese neighbour is a word boundary


def test_synonyms_are_matched_after_width_script_and_case_are_folded() -> None:
    normalize = Normalizer(Synonyms.parse("- [赎回, 卖出]\n- [redeem, sell]\n"))
    assert normalize("賣出") == "赎回"
    assert normalize("ＳＥＬＬ") == "redeem"


def test_the_canonical_words_are_offered_to_the_word_segmenter() -> None:
    normalize = Normalizer(Synonyms.parse("- [赎回, 卖出]\n- [Redeem, sell]\n"))
    assert list(normalize.words()) == ["赎回", "redeem"]


# -- the synonyms file -----------------------------------------------------------------------


def test_a_group_that_is_not_a_list_is_reported_at_its_line() -> None:
    assert problems("- [赎回, 卖出]\n- 申购\n") == [
        "synonyms.yml:2: each group is a list of two or more words, like [赎回, 卖出]"
    ]


def test_a_group_of_one_word_is_reported_at_its_line() -> None:
    assert problems("# buying\n- [申购, 买入]\n- [赎回]\n") == [
        "synonyms.yml:3: each group is a list of two or more words, like [赎回, 卖出]"
    ]


def test_every_bad_group_is_reported_not_just_the_first() -> None:
    assert [p.split(": ")[0] for p in problems("- [a]\n- [b, c]\n- d\n")] == ["synonyms.yml:1", "synonyms.yml:3"]


def test_invalid_yaml_is_reported_at_the_line_it_breaks() -> None:
    (problem,) = problems("- [赎回, 卖出]\n- [申购, 买入]]\n")
    assert problem.startswith("synonyms.yml:2: invalid YAML:")


def test_a_file_that_is_not_a_list_of_groups_is_reported() -> None:
    assert problems("赎回: 卖出\n") == ["synonyms.yml:1: expected a list of word groups"]


def test_a_missing_or_empty_synonyms_file_means_no_synonyms(tmp_path: Path) -> None:
    assert Synonyms.load(tmp_path / "absent.yml") == Synonyms()
    (tmp_path / "empty.yml").write_text("# nothing yet\n", encoding="utf-8")
    assert Synonyms.load(tmp_path / "empty.yml") == Synonyms()
    assert Normalizer(Synonyms.load(tmp_path / "absent.yml"))("卖出") == "卖出"


def test_a_problem_names_the_file_it_was_loaded_from(tmp_path: Path) -> None:
    path = tmp_path / "my-synonyms.yml"
    path.write_text("- [赎回]\n", encoding="utf-8")
    with pytest.raises(SynonymsError) as raised:
        Synonyms.load(path)
    assert [(p.file, p.line) for p in raised.value.problems] == [("my-synonyms.yml", 1)]


def test_the_shipped_synonyms_file_parses() -> None:
    synonyms = Synonyms.load(SHIPPED_SYNONYMS)
    assert synonyms.groups
    assert all(len(group) >= 2 for group in synonyms.groups)
    assert Normalizer(synonyms)("我想卖掉基金") == "我想赎回基金"

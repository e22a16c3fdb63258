"""The facts every package reads the same way in an investor's text: Chinese characters, language, fund codes."""

from __future__ import annotations

import pytest

from funddesk.text import CJK, CJK_RUN, cjk_share, detect_lang, is_fund_code


def test_a_chinese_question_with_a_fund_code_is_chinese() -> None:
    assert detect_lang("900001的赎回费是多少") == "zh"


def test_an_english_question_with_a_fund_code_is_english() -> None:
    assert detect_lang("what is the redemption fee of 900001?") == "en"


def test_a_chinese_question_with_an_english_term_is_still_chinese() -> None:
    assert cjk_share("我的QDII基金") == 0.5
    assert detect_lang("我的QDII基金") == "zh"


def test_a_message_of_digits_only_takes_the_default() -> None:
    assert detect_lang("900001") == "en"
    assert detect_lang("900001", default="zh") == "zh"
    assert detect_lang("¥100,000.00 ?", default="zh") == "zh"


def test_an_id_number_does_not_outweigh_a_few_chinese_characters() -> None:
    assert detect_lang("110101199003074514 改名") == "zh"
    assert detect_lang("11010119900307451X 改名") == "zh"  # the check letter X counts as one Latin letter


def test_one_chinese_word_in_an_english_sentence_leaves_it_english() -> None:
    assert detect_lang("how do I change my 定投 plan amount") == "en"


def test_a_text_with_no_letters_has_no_chinese_share() -> None:
    assert cjk_share("") == cjk_share("900001 👍") == 0.0


@pytest.mark.parametrize("char", ["赎", "㐀", "豈"])  # unified, extension A, compatibility ideograph
def test_chinese_characters_of_every_block_investors_type_are_cjk(char: str) -> None:
    assert CJK.fullmatch(char)


@pytest.mark.parametrize("char", ["。", "，", "あ", "한", "A", "1"])
def test_punctuation_kana_hangul_latin_and_digits_are_not_cjk(char: str) -> None:
    assert not CJK.fullmatch(char)


def test_a_run_of_chinese_stops_at_the_first_other_character() -> None:
    assert CJK_RUN.findall("赎回费QDII基金，多少") == ["赎回费", "基金", "多少"]


def test_six_ascii_digits_are_a_fund_code() -> None:
    assert is_fund_code("900001")
    assert is_fund_code("012345")


@pytest.mark.parametrize("text", ["90001", "9000012", " 900001", "900001\n", "90000A", "９００００１", "", "900 001"])
def test_anything_else_is_not_a_fund_code(text: str) -> None:
    assert not is_fund_code(text)

"""Language detection: the share of Chinese characters among the letters, digits neutral."""

from __future__ import annotations

from knowledge_base.language import cjk_share, detect_lang


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

from __future__ import annotations

from knowledge_base.lexical import LexicalIndex, detect_lang, tokens


def test_chinese_text_becomes_character_unigrams_and_bigrams() -> None:
    assert tokens("赎回费") == ["赎", "回", "费", "赎回", "回费"]


def test_english_words_are_stemmed_and_stop_words_dropped() -> None:
    assert tokens("How are the redemptions charged?") == ["redemption", "charg"]


def test_fund_codes_stay_whole_between_chinese_characters() -> None:
    assert "900001" in tokens("基金900001的赎回费")


def test_language_is_detected_from_the_share_of_chinese_characters() -> None:
    assert detect_lang("900001 赎回费是多少") == "zh"
    assert detect_lang("what is the fee for 900001") == "en"


def test_documents_sharing_rare_terms_score_highest() -> None:
    index = LexicalIndex([[("赎回费怎么算", 1.0)], [("分红方式怎么改", 1.0)]])
    scores = index.scores("赎回要收多少费用")
    assert scores[0] > scores[1]

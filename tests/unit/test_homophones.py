"""Homophone slips: a bigram typed with the wrong character of the right sound reads as the one meant."""

from __future__ import annotations

import numpy as np

from knowledge_base.homophones import Homophones, readings
from knowledge_base.lexical import LexicalIndex, Tokenizer

TOKENS = Tokenizer()  # one word segmenter for the module: loading jieba's dictionary takes a second


def heard(known: dict[str, float], text: str) -> str:
    return Homophones(known.items()).heard(text, TOKENS.words, TOKENS.is_word)


def test_a_character_has_every_reading_it_may_be_typed_with_without_tones() -> None:
    assert readings("行") >= {"xing", "hang"}
    assert readings("值") & readings("直")
    assert readings("a") == frozenset()


def test_a_slip_inside_a_word_is_read_as_the_known_word_that_sounds_the_same() -> None:
    known = {"净值": 3.0, "定投": 2.0, "银行": 4.0}
    assert heard(known, "这周净直怎么跌这么多") == "这周净值怎么跌这么多"
    assert heard(known, "定头扣款失败了") == "定投扣款失败了"
    assert heard(known, "银航卡丢了") == "银行卡丢了"


def test_a_word_of_everyday_chinese_is_read_as_typed() -> None:
    assert heard({"基金": 9.0}, "公积金贷款怎么申请") == "公积金贷款怎么申请"
    assert heard({"卖房": 1.0}, "我想买房") == "我想买房"


def test_two_words_side_by_side_are_never_read_as_one_the_knowledge_base_holds() -> None:
    assert heard({"卖了": 2.0}, "我昨天买了基金") == "我昨天买了基金"


def test_a_bigram_that_keeps_neither_character_is_not_a_slip() -> None:
    assert heard({"净值": 3.0}, "近只怎么算") == "近只怎么算"


def test_when_two_known_bigrams_sound_alike_the_one_in_more_entries_wins() -> None:
    assert heard({"净值": 5.0, "净植": 1.0}, "净直怎么算") == "净值怎么算"
    assert heard({"净值": 1.0, "净植": 5.0}, "净直怎么算") == "净植怎么算"


def test_a_knowledge_base_without_chinese_reads_nothing() -> None:
    assert not Homophones(())
    assert heard({}, "净直怎么算") == "净直怎么算"


def test_a_question_with_a_slip_scores_every_entry_as_the_question_typed_right() -> None:
    index = LexicalIndex(
        [["基金净值为什么下跌", "净值怎么算"], ["定投怎么设置"], ["银行卡丢了怎么办"]], ["", "", ""], TOKENS
    )
    assert np.allclose(index.scores("这周净直为什么下跌"), index.scores("这周净值为什么下跌"))
    assert np.allclose(index.scores("定头怎么设置"), index.scores("定投怎么设置"))
    assert int(np.argmax(index.scores("银航卡丢了"))) == 2


def test_an_english_knowledge_base_is_unchanged_by_the_reading() -> None:
    index = LexicalIndex([["how are fees charged"], ["when does money arrive"]], ["", ""], TOKENS)
    assert not index.homophones

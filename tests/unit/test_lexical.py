"""The lexical channel: terms, BM25 normalised by the question's own score, containment."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from knowledge_base.lexical import K1, LexicalIndex, Tokenizer
from knowledge_base.normalize import Normalizer, Synonyms
from knowledge_base.question import clauses

TOKENS = Tokenizer()  # one word segmenter for the module: loading jieba's dictionary takes a second


def index(*phrasings: Sequence[str], answers: Sequence[str] | None = None) -> LexicalIndex:
    """One entry per argument (its phrasings); answers empty unless given."""
    return LexicalIndex(list(phrasings), list(answers) if answers is not None else [""] * len(phrasings), TOKENS)


# -- terms -----------------------------------------------------------------------------------


def test_english_inflections_share_a_stem() -> None:
    tokens = TOKENS
    assert tokens("redemptions") == tokens("redemption")
    assert tokens("redeeming") == tokens("redeemed") == tokens("redeem")
    assert tokens("fees") == tokens("fee")


def test_a_word_ending_in_e_shares_its_stem_with_its_plural_and_past_tense() -> None:
    tokens = TOKENS
    assert tokens("shares") == tokens("share")
    assert tokens("charged") == tokens("charges") == tokens("charge")


def test_english_stop_words_are_dropped() -> None:
    assert TOKENS("How are the fees for my account?") == TOKENS("fees account")
    assert TOKENS("what is it") == []


def test_a_digit_run_stays_whole() -> None:
    assert "900001" in TOKENS("fee of 900001")
    assert "900001" in TOKENS("基金900001的赎回费")
    assert "9" not in TOKENS("基金900001的赎回费")


def test_chinese_text_gives_characters_bigrams_and_prefixed_words() -> None:
    assert TOKENS("赎回费") == ["赎", "回", "费", "赎回", "回费", "w:赎回费"]


def test_single_character_words_are_not_repeated_as_words() -> None:
    assert [t for t in TOKENS("我想赎回基金") if t.startswith("w:")] == ["w:赎回", "w:基金"]


def test_a_canonical_synonym_is_kept_whole_by_the_word_segmenter() -> None:
    plain = TOKENS("风测过期了")
    with_synonyms = Tokenizer(Normalizer(Synonyms.parse("- [风险测评, 风测]\n")))("风测过期了")
    assert "w:风险测评" not in plain
    assert "w:风险测评" in with_synonyms


# -- BM25 ------------------------------------------------------------------------------------


def test_a_rare_shared_term_outweighs_a_common_one() -> None:
    # "fee" is in three entries, "penalty" in two: an entry sharing only "penalty" ranks above one sharing only "fee".
    scores = index(["penalty fee"], ["account fee"], ["transfer fee"], ["dividend penalty"]).scores("fee penalty")
    assert list(np.argsort(-scores, kind="stable")) == [0, 3, 1, 2]
    assert scores[1] == pytest.approx(scores[2])


def test_a_term_repeated_in_an_entry_saturates() -> None:
    lexical = index(["penalty alpha beta gamma"], ["penalty penalty penalty penalty"], ["alpha beta gamma delta"])
    once, four_times, _ = lexical.scores("penalty")
    assert four_times > once
    # Same length (the average), so only BM25's tf part differs: 4 * 2.2 / (4 + 1.2) against 1 * 2.2 / (1 + 1.2).
    assert four_times / once == pytest.approx(8.8 / 5.2)
    assert four_times / once < K1 + 1


def test_the_same_match_in_a_longer_entry_scores_less() -> None:
    scores = index(["penalty"], ["penalty alpha beta gamma delta"]).scores("penalty")
    assert scores[0] > scores[1] > 0.0


def test_an_exact_copy_of_a_one_phrasing_entry_scores_one_whatever_its_length() -> None:
    lexical = index(["redemption fee"], ["open an account online for my daughter who lives abroad"])
    assert lexical.scores("redemption fee")[0] == pytest.approx(1.0, abs=1e-9)
    assert lexical.scores("open an account online for my daughter who lives abroad")[1] == pytest.approx(1.0, abs=1e-9)


def test_an_exact_copy_scores_about_one_when_the_entry_has_an_answer() -> None:
    lexical = index(
        ["how is the redemption fee charged"],
        ["open an account online"],
        answers=["It depends on holding days.", "Use the app."],
    )
    scores = lexical.scores("how is the redemption fee charged")
    assert 0.85 < scores[0] <= 1.0
    assert scores[1] == 0.0


def test_an_unseen_word_lowers_the_score_more_than_a_known_word_of_another_entry() -> None:
    lexical = index(["redemption fee"], ["open account"], ["dividend method"])
    plain = lexical.scores("redemption fee")[0]
    known = lexical.scores("redemption fee account")[0]
    unseen = lexical.scores("redemption fee zebra")[0]
    assert unseen < known < plain


# A knowledge base of realistic size: with three entries no term's weight could say much.
CHINESE_KB = tuple(
    [question]
    for question in (
        "赎回的钱多久到账",
        "基金分红方式怎么修改",
        "怎么开立基金账户",
        "基金净值什么时候公布",
        "申购费怎么算",
        "定投扣款失败怎么办",
        "忘记密码怎么办",
        "怎么更换绑定的银行卡",
        "基金转换费用怎么算",
        "交易截止时间是几点",
        "申购后什么时候确认份额",
        "巨额赎回对我有什么影响",
        "七日年化收益率是什么意思",
        "风险等级超出承受能力怎么办",
        "我要投诉怎么处理",
        "基金清盘了我的钱怎么办",
        "身份证过期了怎么办",
        "未成年人可以开户吗",
        "分红后净值为什么下降",
        "货币基金会亏钱吗",
    )
)


def test_everyday_chinese_around_a_question_costs_less_than_a_rare_unknown_word() -> None:
    lexical = index(*CHINESE_KB)
    plain = lexical.scores("赎回的钱多久到账")[0]
    venting = lexical.scores("赎回的钱多久到账 又等了")[0]
    elsewhere = lexical.scores("赎回的钱多久到账 比特币")[0]  # as many characters, all rare
    assert elsewhere < venting < plain


def test_an_unseen_chinese_word_weighs_by_how_common_it_is_never_more_than_an_unknown_term() -> None:
    lexical = index(*CHINESE_KB)
    assert lexical.unseen_weight("了") < lexical.unseen_weight("w:天气") < lexical.unseen_weight("w:社保卡")
    assert lexical.unseen_weight("w:社保卡") <= lexical.unseen_idf
    assert lexical.unseen_weight("zebra") == lexical.unseen_idf  # no English in this knowledge base


ENGLISH_KB = (
    ["how long until my redemption money arrives", "when will the redeemed cash reach my bank card"],
    ["what are the purchase fees", "how much does buying a fund cost"],
)


def test_everyday_english_around_a_question_costs_less_than_a_rare_unknown_word() -> None:
    lexical = index(*ENGLISH_KB)
    plain = lexical.scores("when will my redemption money arrive")[0]
    venting = lexical.scores("when will my redemption money arrive, still waiting")[0]
    elsewhere = lexical.scores("when will my redemption money arrive, cryptocurrency arbitrage")[0]
    assert elsewhere < venting < plain


def test_an_unseen_english_word_weighs_by_how_common_it_is_and_one_no_list_knows_as_an_unknown_term() -> None:
    lexical = index(*ENGLISH_KB)
    assert lexical.unseen_weight("wait", "waiting") < lexical.unseen_weight("cryptocurr", "cryptocurrency")
    assert lexical.unseen_weight("cryptocurr", "cryptocurrency") <= lexical.unseen_idf
    assert lexical.unseen_weight("qzxv", "qzxv") == lexical.unseen_idf


def test_a_bigram_that_is_not_a_word_weighs_as_its_rarer_character() -> None:
    lexical = index(*CHINESE_KB)
    assert lexical.unseen_weight("急了") == lexical.unseen_weight("急")


def test_unseen_chinese_words_change_no_ranking_only_the_scores_size() -> None:
    lexical = index(*CHINESE_KB)
    plain, padded = lexical.scores("多久到账"), lexical.scores("多久到账 烦死啦")  # no entry holds 烦, 死 or 啦
    assert padded[0] < plain[0]
    assert np.allclose(padded / padded[0], plain / plain[0])  # every entry scaled alike: the same order


def test_a_question_of_stop_words_only_scores_zero_everywhere() -> None:
    assert list(index(["redemption fee"], ["open account"]).scores("what is it")) == [0.0, 0.0]


def test_a_chinese_question_segmented_differently_still_shares_characters() -> None:
    scores = index(["赎回费怎么算"], ["分红方式怎么改"]).scores("赎回要收多少费用")
    assert scores[0] > scores[1]


# -- leave-one-out ---------------------------------------------------------------------------


def test_scores_without_a_phrasing_equal_those_of_an_index_built_without_it() -> None:
    # The comparison keeps the collection statistics BM25 reads (every query term's document
    # frequency, and the average entry length: the removed terms are made up in another
    # entry by words the question does not use), so the held-out entry's score must match.
    answers = ["A penalty applies.", "Use the app."]
    full = index(["redemption fee charged", "sell penalty"], ["open account online"], answers=answers)
    without = index(["redemption fee charged"], ["open account online", "zebra yak"], answers=answers)
    question = "redemption penalty"
    held_out = full.scores_without(full.query(question), phrasing=1)
    assert held_out[0] == pytest.approx(without.scores(question)[0], abs=1e-9)
    assert held_out[0] < full.scores(question)[0]


def test_scores_without_a_phrasing_leave_the_other_entries_alone() -> None:
    full = index(["redemption fee", "sell penalty"], ["penalty for early redemption"], ["open account"])
    query = full.query("redemption penalty")
    np.testing.assert_allclose(full.scores_without(query, phrasing=1)[1:], full.scores(query)[1:], atol=1e-12)


def test_leaving_out_the_phrasing_a_question_copies_hands_the_first_place_to_a_rival() -> None:
    full = index(["redemption fee", "sell penalty"], ["penalty for early withdrawal"], ["open account"])
    query = full.query("sell penalty")
    assert np.argmax(full.scores(query)) == 0
    assert np.argmax(full.scores_without(query, phrasing=1)) == 1


# -- containment -----------------------------------------------------------------------------


def test_a_message_holding_a_whole_phrasing_is_fully_contained_however_long() -> None:
    lexical = index(["redemption fee charged"], ["open account online"], answers=["Holding days.", "Use the app."])
    query = lexical.query("I bought last week and my wife asks how the redemption fee is charged, it is urgent")
    assert lexical.containment(query)[0] == pytest.approx(1.0)
    assert lexical.scores(query)[0] < 0.5  # coverage falls as the message grows; containment does not


def test_a_message_holding_part_of_a_phrasing_is_partly_contained() -> None:
    lexical = index(["redemption fee charged"], ["open account online"])
    contained = lexical.containment(lexical.query("redemption fee"))
    assert 0.0 < contained[0] < 1.0
    assert contained[1] == 0.0


def test_containment_is_the_best_phrasing_of_an_entry_and_can_leave_one_out() -> None:
    lexical = index(["redemption fee charged", "sell penalty"], ["open account online"])
    query = lexical.query("is there a sell penalty")
    assert lexical.containment(query)[0] == pytest.approx(1.0)
    assert lexical.containment(query, without=1)[0] == 0.0


# -- clauses -----------------------------------------------------------------------------------


def test_a_candidate_is_judged_on_the_clause_that_asks_for_it() -> None:
    lexical = index(*CHINESE_KB)
    message = "我周一上午赎回的 今天都周四晚上了 孩子学费等着交 赎回的钱多久到账"
    coverage = lexical.scores(message)
    everyone = np.ones(len(CHINESE_KB), dtype=bool)
    judged = lexical.clause_coverage(clauses(message), coverage, everyone, np.array([0, 1, 2]))
    # The whole message covers the entry poorly; its last clause is the entry's own question.
    assert coverage[0] < 0.6
    assert judged[0] == pytest.approx(1.0)
    assert np.array_equal(np.delete(judged, 0), np.delete(coverage, 0))


def test_a_clause_vouches_only_for_an_entry_the_whole_message_ranks_best() -> None:
    lexical = index(*CHINESE_KB)
    message = "忘记密码怎么办 急死了"
    coverage = lexical.scores(message)
    everyone = np.ones(len(CHINESE_KB), dtype=bool)
    # "忘记密码怎么办" ranks the password entry (6) first, but the message's candidates are others.
    judged = lexical.clause_coverage(clauses(message), coverage, everyone, np.array([0, 1]))
    assert np.array_equal(judged, coverage)


def test_a_clause_never_vouches_for_an_entry_outside_the_questions_scope() -> None:
    lexical = index(*CHINESE_KB)
    message = "我周一上午赎回的 赎回的钱多久到账"
    coverage = lexical.scores(message)
    scope = np.ones(len(CHINESE_KB), dtype=bool)
    scope[0] = False
    judged = lexical.clause_coverage(clauses(message), coverage, scope, np.array([0, 1]))
    assert judged[0] == coverage[0]

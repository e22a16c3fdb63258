"""Who may answer (language, fund) and which of two entries saying the same thing goes first."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from knowledge_base.embedder import HashingEmbedder
from knowledge_base.entries import Entry
from knowledge_base.index import FaqIndex, Scope, Scores, Weights
from knowledge_base.lexical import Tokenizer
from knowledge_base.policy import Candidate
from knowledge_base.question import QuestionReader

EMBEDDER = HashingEmbedder()
TOKENS = Tokenizer()  # shared: loading jieba's dictionary takes a second
WEIGHTS = Weights.fixed(0.5)


def entry(
    entry_id: str, question: str, *alternatives: str, lang: str = "en", funds: Sequence[str] = (), answer: str = ""
) -> Entry:
    return Entry(
        id=entry_id,
        question=question,
        answer=answer,
        file="faq.md",
        line=1,
        alternatives=alternatives,
        lang=lang,
        funds=tuple(funds),
    )


def build(*entries: Entry) -> FaqIndex:
    return FaqIndex.build(entries, EMBEDDER, tokenizer=TOKENS)[0]


def rank(index: FaqIndex, text: str, scope: Scope, *, tie: float = 0.0) -> list[Candidate]:
    vector = EMBEDDER.encode([text])[0]
    return index.rank(vector, text, scope=scope, weights=WEIGHTS, tie=tie, limit=10)


def ids(candidates: Sequence[Candidate]) -> list[str]:
    return [c.entry.id for c in candidates]


def position(index: FaqIndex, entry_id: str) -> int:
    return next(i for i, e in enumerate(index.entries) if e.id == entry_id)


FEE = entry("fee", "What is the redemption fee?", "how much does redeeming cost")
ACCOUNT = entry("account", "How do I open an account?", "open an account online")
FEE_900001 = entry("fee-900001", "What is the redemption fee of the balanced fund?", funds=["900001"])
FEE_900002 = entry("fee-900002", "What is the redemption fee of the bond fund?", funds=["900002"])
FEE_ZH = entry("fee-zh", "赎回费是多少？", "赎回要收多少钱", lang="zh")


# -- language --------------------------------------------------------------------------------


def test_a_chinese_question_ranks_only_chinese_entries_when_there_are_some() -> None:
    index = build(FEE, ACCOUNT, FEE_ZH)
    assert ids(rank(index, "赎回费怎么收", Scope("zh"))) == ["fee-zh"]
    assert "fee-zh" not in ids(rank(index, "redemption fee", Scope("en")))


def test_a_question_in_a_language_the_knowledge_base_lacks_ranks_every_entry() -> None:
    index = build(FEE, ACCOUNT)
    assert sorted(ids(rank(index, "赎回费怎么收", Scope("zh")))) == ["account", "fee"]


# -- funds -----------------------------------------------------------------------------------


def test_a_question_naming_a_fund_never_ranks_another_funds_entry() -> None:
    index = build(FEE, ACCOUNT, FEE_900001, FEE_900002)
    ranked = ids(rank(index, "What is the redemption fee of the balanced fund?", Scope("en", "900002")))
    assert "fee-900001" not in ranked
    assert sorted(ranked) == ["account", "fee", "fee-900002"]


def test_a_question_naming_a_fund_without_entries_ranks_generic_entries_only() -> None:
    index = build(FEE, ACCOUNT, FEE_900001)
    assert sorted(ids(rank(index, "redemption fee", Scope("en", "900009")))) == ["account", "fee"]


def test_a_question_naming_no_fund_may_rank_any_funds_entry() -> None:
    index = build(FEE, ACCOUNT, FEE_900001, FEE_900002)
    assert list(index.allowed(Scope("en"))) == [True, True, True, True]


# -- twins -----------------------------------------------------------------------------------


def test_a_funds_entry_and_the_generic_entry_it_specialises_are_twins() -> None:
    index = build(FEE, ACCOUNT, FEE_900001, FEE_900002)
    fee, own, other = (position(index, i) for i in ("fee", "fee-900001", "fee-900002"))
    assert index.generic_twin == {own: fee, other: fee}
    assert index.fund_twins == {fee: {"900001": own, "900002": other}}


def test_twins_are_found_within_one_language_only() -> None:
    fee_zh_900001 = entry("fee-zh-900001", "演示平衡的赎回费是多少？", lang="zh", funds=["900001"])
    index = build(FEE, FEE_ZH, fee_zh_900001)
    assert index.generic_twin == {position(index, "fee-zh-900001"): position(index, "fee-zh")}


def test_a_generic_entry_is_the_twin_of_its_nearest_fund_entry_only() -> None:
    waiver = entry("waiver-900001", "Is the redemption fee of the balanced fund waived on holidays?", funds=["900001"])
    index = build(FEE, ACCOUNT, FEE_900001, waiver)
    # Both fund entries are nearest the generic fee entry, which is nearest the fee entry only.
    assert index.generic_twin == {position(index, "fee-900001"): position(index, "fee")}


def test_the_funds_twin_answers_when_the_fund_is_named_and_the_generic_one_goes_last() -> None:
    index = build(FEE, ACCOUNT, FEE_900001)
    question = "What is the redemption fee?"
    generic_first = rank(index, question, Scope("en"))
    assert ids(generic_first)[0] == "fee"  # the generic entry is the better match...
    ranked = rank(index, question, Scope("en", "900001"))
    assert ids(ranked) == ["fee-900001", "account", "fee"]  # ... but the fund's answers, in its place
    assert ranked[0].score == pytest.approx(generic_first[0].score)


def test_the_generic_twin_answers_on_its_own_score_when_no_fund_is_named_and_the_funds_goes_last() -> None:
    index = build(FEE, ACCOUNT, FEE_900001)
    question = "redemption fee of the balanced fund"
    assert ids(rank(index, question, Scope("en", "900001")))[0] == "fee-900001"  # the better match...
    ranked = rank(index, question, Scope("en"))
    assert ids(ranked) == ["fee", "account", "fee-900001"]  # ... is one fund's: the generic twin answers
    # The fund's phrasings are read for questions naming the fund; this one is judged on the generic's.
    own = index.fused(EMBEDDER.encode([question])[0], question, WEIGHTS.for_lang("en"), Scope("en")).confidence
    assert ranked[0].score == pytest.approx(own[position(index, "fee")])
    assert ranked[0].score < ranked[-1].score


# -- near ties between a fund's entry and a generic one ---------------------------------------

# A fund's entry that is no twin of the fee entry: it shares no word with any generic entry.
TIES = (
    entry("fee", "What is the redemption fee?"),
    entry("manager", "Who manages the fund?"),
    entry("manager-900001", "Who manages the balanced fund?", funds=["900001"]),
    entry("dividend-900001", "When does the balanced pay dividends?", funds=["900001"]),
)


def order(index: FaqIndex, scores: dict[str, float], scope: Scope, tie: float) -> list[Candidate]:
    values = np.array([scores.get(e.id, 0.0) for e in index.entries])
    return index.order(Scores(values, values.copy()), scope, tie=tie, limit=10)


def test_only_mutual_nearest_neighbours_are_twins() -> None:
    index = build(*TIES)
    assert index.generic_twin == {position(index, "manager-900001"): position(index, "manager")}


def test_a_funds_entry_within_the_tie_of_a_better_generic_one_answers_when_the_fund_is_named() -> None:
    index = build(*TIES)
    ranked = order(index, {"fee": 0.80, "dividend-900001": 0.77}, Scope("en", "900001"), tie=0.05)
    assert ids(ranked)[0] == "dividend-900001"
    assert ids(ranked)[-1] == "fee"
    assert ranked[0].score == pytest.approx(0.77)  # a rival that is no twin keeps its own score


def test_a_funds_unrelated_entry_further_than_the_tie_never_outranks_a_better_generic_one() -> None:
    index = build(*TIES)
    ranked = order(index, {"fee": 0.80, "dividend-900001": 0.77}, Scope("en", "900001"), tie=0.02)
    assert ids(ranked)[:2] == ["fee", "dividend-900001"]


def test_a_generic_entry_within_the_tie_of_a_funds_best_answers_when_no_fund_is_named() -> None:
    index = build(*TIES)
    scores = {"dividend-900001": 0.80, "fee": 0.77}
    assert ids(order(index, scores, Scope("en"), tie=0.05))[0] == "fee"
    assert ids(order(index, scores, Scope("en"), tie=0.05))[-1] == "dividend-900001"
    assert ids(order(index, scores, Scope("en"), tie=0.02))[0] == "dividend-900001"


def test_the_tie_decides_nothing_between_two_generic_entries() -> None:
    index = build(*TIES)
    ranked = order(index, {"fee": 0.80, "manager": 0.79}, Scope("en", "900001"), tie=0.05)
    assert ids(ranked)[:2] == ["fee", "manager"]


def test_naming_a_fund_adds_nothing_to_any_score() -> None:
    index = build(FEE, ACCOUNT, FEE_900001)
    question = "how do I open an account"
    named = {c.entry.id: c.score for c in rank(index, question, Scope("en", "900001"))}
    unnamed = {c.entry.id: c.score for c in rank(index, question, Scope("en"))}
    assert named == pytest.approx(unnamed)


def test_a_question_naming_a_fund_holds_the_whole_of_a_phrasing_that_names_it() -> None:
    reader = QuestionReader({"900001": ("演示平衡",)})
    risk = entry("risk-900001", "演示平衡风险大吗", lang="zh", funds=["900001"])
    index = FaqIndex.build([risk, FEE_ZH], EMBEDDER, tokenizer=TOKENS, reader=reader)[0]
    reading = reader.read("演示平衡风险大吗？")
    scores = index.fused(EMBEDDER.encode([reading.text])[0], reading.text, 1.0)
    # The fund's name left the question (it became the scope); it left the entry's phrasing too.
    assert index.texts[position(index, "risk-900001")] == ("风险大吗",)
    assert scores.confidence[position(index, "risk-900001")] == pytest.approx(1.0)


# -- fusion ----------------------------------------------------------------------------------


class OneTopicEmbedder(HashingEmbedder):
    """Embeds every text the same way: the dense channel cannot tell entries apart."""

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        return np.tile(super().encode(["the same"])[0], (len(texts), 1))


def test_the_lexical_weight_decides_how_much_each_channel_counts() -> None:
    index = FaqIndex.build([FEE, ACCOUNT], OneTopicEmbedder(), tokenizer=TOKENS)[0]
    vector = OneTopicEmbedder().encode(["x"])[0]
    lexical_only = index.fused(vector, "redemption fee", 1.0)
    dense_only = index.fused(vector, "redemption fee", 0.0)
    assert lexical_only.rank[position(index, "fee")] > lexical_only.rank[position(index, "account")]
    assert dense_only.rank[position(index, "fee")] == pytest.approx(dense_only.rank[position(index, "account")])


def test_a_long_message_holding_a_phrasing_ranks_by_coverage_but_is_judged_with_containment() -> None:
    index = build(FEE, ACCOUNT)
    text = "hello I waited all week and nobody called me back how much does redeeming cost"
    scores = index.fused(EMBEDDER.encode([text])[0], text, 1.0)
    fee = position(index, "fee")
    # The noise lowers the question's coverage; the message holds a whole phrasing of the entry.
    assert scores.confidence[fee] > scores.rank[fee]
    assert ids(index.order(scores, Scope("en"), limit=2))[0] == "fee"


def test_a_long_chinese_message_is_judged_on_the_clause_that_holds_its_question() -> None:
    arrival = entry("arrival-zh", "赎回的钱多久到账", lang="zh")
    index = build(arrival, FEE_ZH)
    text = "我周一上午赎回的 今天都周四晚上了 孩子学费等着交 钱多久到账啊"
    vector = EMBEDDER.encode([text])[0]
    judged, whole = index.fused(vector, text, 1.0, Scope("zh")), index.fused(vector, text, 1.0)
    row = position(index, "arrival-zh")
    assert judged.confidence[row] > whole.confidence[row]
    assert np.array_equal(judged.rank, whole.rank)  # clauses judge; the whole message ranks


def test_scores_are_only_a_ranking_and_a_confidence_per_entry() -> None:
    scores = Scores(np.array([0.2, 0.9]), np.array([0.5, 0.6]))
    gone = scores.without(1)
    assert gone.rank[1] == -np.inf and gone.confidence[1] == -np.inf
    assert scores.rank[1] == 0.9  # without() copies

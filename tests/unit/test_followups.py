"""Follow-up questions: which messages refer back, and how the knowledge base reads them in the
context of the entry answered before (the fast fake embedder: the lexical channel decides)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from knowledge_base.__main__ import main
from knowledge_base.entries import Entry
from knowledge_base.followups import Answered, follow_up, only_fund, refers_back
from knowledge_base.lexical import Tokenizer
from knowledge_base.policy import Thresholds
from knowledge_base.service import KnowledgeBase
from tests.conftest import WriteFaq
from tests.unit.test_knowledge_base import FUND_900001, FUND_900002

OpenKb = Callable[..., KnowledgeBase]
WORDS = Tokenizer().words

CONVERSION = """
---
team: trading-desk
---
# Conversion

## How do I switch between funds? {#conversion-how}
- move money from one fund to another
- swap funds without selling

Open the fund you hold and tap **Convert**.

## What does switching between funds cost? {#conversion-fees}
- fee for switching funds
- is switching funds free

The difference between the two funds' purchase fees.
"""

FEES = """
---
team: trading-desk
---
# Fees

## What is the purchase fee? {#purchase-fees}
- how much does buying a fund cost
- buying fee

Usually 1.5%, a tenth of that in the app.

## What is the redemption fee? {#redemption-fees}
- how much does selling cost
- selling fee

It depends on how long you held the shares.
"""

LOOSE = Thresholds(answer=0.3, margin=0.05)


@pytest.fixture
def kb(write_faq: WriteFaq, open_kb: OpenKb) -> KnowledgeBase:
    write_faq("conversion.md", CONVERSION)
    write_faq("fees.md", FEES)
    write_faq("funds/900001.md", FUND_900001)
    write_faq("funds/900002.md", FUND_900002)
    return open_kb(thresholds=LOOSE)


def answered(kb: KnowledgeBase, text: str, *, fund: str | None = None, after: str | None = None) -> str | None:
    """The entry answered to ``text`` after the entry ``after`` was answered in the same fund."""
    decision = kb.ask(text, fund=fund, after=Answered(after, fund) if after else None).decision
    return decision.best.entry.id if decision.kind == "answer" and decision.best else None


@pytest.mark.parametrize(
    "question",
    ["is there a fee for that", "how long does it take", "and for redemption", "what about selling", "same for bonds"],
)
def test_an_english_question_with_a_pronoun_or_an_elliptical_opening_refers_back(question: str) -> None:
    assert refers_back(question, "en", WORDS)


@pytest.mark.parametrize(
    "question",
    ["how do I open an account", "there's a redemption that i never made", "what is the cut-off time for orders"],
)
def test_a_whole_english_question_does_not_refer_back(question: str) -> None:
    assert not refers_back(question, "en", WORDS)


@pytest.mark.parametrize(
    "question",
    ["这个收费吗", "那它分红吗", "赎回呢", "那手续费多少", "卖的时候呢？", "那钱几天能到卡上"],
)
def test_a_chinese_question_with_a_demonstrative_a_leading_na_or_a_closing_ne_refers_back(question: str) -> None:
    assert refers_back(question, "zh", WORDS)


@pytest.mark.parametrize(
    "question",
    ["这个月的定投扣款失败了怎么办", "基金怎么赎回", "赎回费怎么收", "那天买的基金还没确认", "赎回要收手续费吗"],
)
def test_a_whole_chinese_question_does_not_refer_back(question: str) -> None:
    assert not refers_back(question, "zh", WORDS)


def test_it_in_a_message_that_names_a_fund_stands_for_that_fund() -> None:
    question = "how does pay out its income"  # "how does Demo Money Market pay out its income", read
    assert refers_back(question, "en", WORDS)
    assert not refers_back(question, "en", WORDS, names_fund=True)
    assert not refers_back("它的收益怎么算", "zh", WORDS, names_fund=True)
    assert refers_back("这个收益怎么算", "zh", WORDS, names_fund=True)


@pytest.mark.parametrize(("question", "only"), [("and", True), ("what about", True), ("那 呢", True), ("的呢", True),
                                                ("and if i switch into it what does that cost", False),
                                                ("要是不卖 转成 呢 收多少", False)])  # fmt: skip
def test_a_message_that_names_a_fund_may_ask_nothing_else(question: str, only: bool) -> None:
    assert only_fund(question) is only


def test_a_question_in_another_language_than_the_previous_answer_is_read_alone() -> None:
    previous = Entry("conversion-how", "How do I switch between funds?", "…", "conversion.md", 7, lang="en")
    assert follow_up("这个收费吗", "zh", previous, "how do i switch between funds", new_fund=False, words=WORDS) is None
    read = follow_up("is that free", "en", previous, "how do i switch between funds", new_fund=False, words=WORDS)
    assert read is not None and read.text == "how do i switch between funds. is that free"


def test_a_vague_fee_question_after_a_conversion_answer_gets_the_conversion_fee(kb: KnowledgeBase) -> None:
    assert answered(kb, "is there a fee for that", after="conversion-how") == "conversion-fees"
    assert answered(kb, "is there a fee for that") != "conversion-fees"


def test_a_follow_up_never_gets_the_answer_the_investor_has_just_read(kb: KnowledgeBase) -> None:
    match = kb.ask("and is that free?", after=Answered("conversion-fees"))
    assert "conversion-fees" not in [c.entry.id for c in match.ranked]
    assert match.follows is not None and match.follows.previous == "conversion-fees"


def test_naming_another_fund_asks_the_same_question_about_that_fund(kb: KnowledgeBase) -> None:
    after = Answered("redemption-fee-900001", "900001")
    match = kb.ask("and 900002?", fund="900001", after=after)
    assert match.decision.best is not None and match.decision.best.entry.id == "redemption-fee-900002"
    # The bot's slot already holds the fund the message names: the answer's fund tells them apart.
    assert kb.ask("and 900002?", fund="900002", after=after).decision.best == match.decision.best


def test_naming_only_a_fund_after_a_generic_answer_asks_it_about_that_fund(kb: KnowledgeBase) -> None:
    assert answered(kb, "900001?", after="redemption-fees") == "redemption-fee-900001"


def test_a_whole_question_is_read_alone_whatever_was_answered_before(kb: KnowledgeBase) -> None:
    match = kb.ask("how much does buying a fund cost", after=Answered("conversion-how"))
    assert match.follows is None
    assert answered(kb, "how much does buying a fund cost", after="conversion-how") == "purchase-fees"


def test_a_follow_up_of_an_entry_edited_away_since_is_read_alone(kb: KnowledgeBase) -> None:
    assert kb.ask("is there a fee for that", after=Answered("no-longer-there")).follows is None


def test_what_is_logged_of_a_follow_up_is_the_message_not_the_context(kb: KnowledgeBase) -> None:
    match = kb.ask("is there a fee for that? my phone is 13812345678", after=Answered("conversion-how"))
    assert "switch" not in match.loggable and "13812345678" not in match.loggable
    assert "switch" in match.question


def test_search_after_an_entry_shows_the_follow_up_reading(
    write_faq: WriteFaq,
    faq_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("FUNDDESK_EMBEDDING_MODEL", "hashing")
    monkeypatch.setenv("FUNDDESK_DATA_DIR", str(tmp_path / "var"))
    write_faq("conversion.md", CONVERSION)
    write_faq("fees.md", FEES)
    assert main(["search", "--kb", str(faq_dir), "is there a fee for that", "--after", "conversion-how"]) == 0
    out = capsys.readouterr().out
    assert (
        "read as a follow-up of conversion-how: how do i switch between funds. is there a fee for that"
        in out.casefold()
    )

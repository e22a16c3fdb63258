"""The live knowledge base with the fast fake embedder: matching, fund scoping, hot reload."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from knowledge_base.embedder import HashingEmbedder
from knowledge_base.policy import Thresholds
from knowledge_base.service import KnowledgeBase, find_fund
from tests.conftest import WriteFaq

OpenKb = Callable[..., KnowledgeBase]

REDEMPTION = """
---
team: trading-desk
tags: [redemption]
---
# Redemption

## How long until redemption money reaches my bank card? {#redemption-arrival}
- When will I receive the money after I redeem?
- redemption proceeds arrival time

Usually one to four trading days after confirmation.

## What is the redemption fee? {#redemption-fee}
- how much does selling cost

It depends on how long you held the shares.
"""

FUND_900001 = """
---
funds: ["900001"]
team: investor-relations
---
## What is the redemption fee? {#redemption-fee-900001}
- how much does selling cost

For the demo balanced fund: 1.5% under 7 days, 0.5% under a year, then nothing.
"""

FUND_900002 = FUND_900001.replace("900001", "900002").replace("balanced", "bond")


class CountingEmbedder(HashingEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.encoded: list[str] = []

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        self.encoded.extend(texts)
        return super().encode(texts)


def best_id(kb: KnowledgeBase, text: str, fund: str | None = None) -> str | None:
    best = kb.ask(text, fund=fund).decision.best
    return best.entry.id if best else None


def test_a_question_is_answered_from_the_entry_it_paraphrases(write_faq: WriteFaq, open_kb: OpenKb) -> None:
    write_faq("redemption.md", REDEMPTION)
    match = open_kb(thresholds=Thresholds(answer=0.3, margin=0.05)).ask("when will I receive my redemption money?")
    assert match.decision.kind == "answer"
    assert match.decision.candidates[0].entry.id == "redemption-arrival"
    assert match.lang == "en"
    assert match.embedding.shape == (256,)


def test_a_fund_code_is_found_even_between_chinese_characters() -> None:
    assert find_fund("基金900001的赎回费") == "900001"
    assert find_fund("account 1234567 and 12345") is None


def test_a_question_naming_a_fund_prefers_that_funds_own_entry(write_faq: WriteFaq, open_kb: OpenKb) -> None:
    write_faq("redemption.md", REDEMPTION)
    write_faq("funds/900001.md", FUND_900001)
    assert best_id(open_kb(), "what is the redemption fee of 900001?") == "redemption-fee-900001"


def test_a_question_naming_another_fund_never_gets_a_scoped_entry(write_faq: WriteFaq, open_kb: OpenKb) -> None:
    write_faq("redemption.md", REDEMPTION)
    write_faq("funds/900001.md", FUND_900001)
    write_faq("funds/900002.md", FUND_900002)
    ids = [c.entry.id for c in open_kb().rank("what is the redemption fee of 900002?", fund="900002", limit=10)[1]]
    assert "redemption-fee-900001" not in ids
    assert ids[0] == "redemption-fee-900002"


def test_a_fund_known_from_the_conversation_scopes_a_follow_up(write_faq: WriteFaq, open_kb: OpenKb) -> None:
    write_faq("redemption.md", REDEMPTION)
    write_faq("funds/900001.md", FUND_900001)
    match = open_kb().ask("and the redemption fee?", fund="900001")
    assert match.fund == "900001"
    assert match.decision.best is not None and match.decision.best.entry.id == "redemption-fee-900001"


def test_an_edit_goes_live_on_reload_and_embeds_only_the_changed_text(write_faq: WriteFaq, open_kb: OpenKb) -> None:
    path = write_faq("redemption.md", REDEMPTION)
    embedder = CountingEmbedder()
    kb = open_kb(embedder)
    embedder.encoded.clear()
    path.write_text(path.read_text().replace("- how much does selling cost", "- what do you charge to sell"))
    report = kb.reload()
    assert report.changed
    assert embedder.encoded == ["what do you charge to sell"]
    assert kb.entry("redemption-fee") is not None
    assert "what do you charge to sell" in kb.entry("redemption-fee").alternatives  # type: ignore[union-attr]


def test_a_saved_edit_is_picked_up_by_the_watcher(write_faq: WriteFaq, open_kb: OpenKb) -> None:
    path = write_faq("redemption.md", REDEMPTION)
    kb = open_kb(watch=True, reload_interval=0.05)
    path.write_text(path.read_text().replace("one to four trading days", "two trading days"))
    deadline = time.monotonic() + 3
    while "two trading days" not in kb.entry("redemption-arrival").answer:  # type: ignore[union-attr]
        assert time.monotonic() < deadline, "edit not live within 3 seconds"
        time.sleep(0.02)


def test_a_broken_edit_keeps_the_last_good_answers_and_reports_where(write_faq: WriteFaq, open_kb: OpenKb) -> None:
    path = write_faq("redemption.md", REDEMPTION)
    kb = open_kb()
    path.write_text(path.read_text().replace("team: trading-desk", "teem: trading-desk"))
    report = kb.reload()
    assert report.rejected == ("redemption.md",)
    assert kb.entry("redemption-arrival") is not None
    assert [str(p).split(": ")[0] for p in kb.problems if p.severity == "error"] == ["redemption.md:2"]


def test_a_broken_file_is_still_served_from_the_saved_index_after_a_restart(
    write_faq: WriteFaq, faq_dir: Path, tmp_path: Path
) -> None:
    path = write_faq("redemption.md", REDEMPTION)
    first = KnowledgeBase(faq_dir, HashingEmbedder(), index_dir=tmp_path / "index")
    first.start(watch=False)
    first.close()
    path.write_text(path.read_text().replace("team: trading-desk", "lang: fr"))
    second = KnowledgeBase(faq_dir, HashingEmbedder(), index_dir=tmp_path / "index")
    second.start(watch=False)
    assert second.entry("redemption-fee") is not None
    assert any(p.severity == "error" for p in second.problems)
    second.close()


def test_a_new_file_reusing_an_id_is_rejected_and_the_old_file_keeps_serving(
    write_faq: WriteFaq, open_kb: OpenKb
) -> None:
    write_faq("redemption.md", REDEMPTION)
    kb = open_kb()
    write_faq("a-new.md", "## Another question {#redemption-fee}\n\nAnother answer.\n")
    report = kb.reload()
    assert report.rejected == ("a-new.md",)
    assert kb.entry("redemption-fee").answer.startswith("It depends")  # type: ignore[union-attr]


def test_a_deleted_file_takes_its_entries_with_it(write_faq: WriteFaq, open_kb: OpenKb) -> None:
    write_faq("redemption.md", REDEMPTION)
    extra = write_faq("funds/900001.md", FUND_900001)
    kb = open_kb()
    extra.unlink()
    kb.reload()
    assert kb.entry("redemption-fee-900001") is None
    assert len(kb.index) == 2


def test_an_unchanged_tree_is_not_rebuilt(write_faq: WriteFaq, open_kb: OpenKb) -> None:
    write_faq("redemption.md", REDEMPTION)
    kb = open_kb()
    assert not kb.reload().changed

"""The live knowledge base with the fast fake embedder: matching, fund scoping, hot reload."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

from knowledge_base.embedder import HashingEmbedder
from knowledge_base.index import FaqIndex
from knowledge_base.policy import Thresholds
from knowledge_base.question import QuestionReader, find_fund
from knowledge_base.service import KnowledgeBase
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


def top_id(kb: KnowledgeBase, text: str) -> str:
    return kb.rank(text)[1][0].entry.id


def edit(path: Path, *replacements: tuple[str, str], encoding: str = "utf-8") -> None:
    """Apply each (old, new) replacement to the file; every ``old`` must be there."""
    text = path.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    path.write_bytes(text.encode(encoding))


def errors(kb: KnowledgeBase) -> list[str]:
    return [str(p) for p in kb.problems if p.severity == "error"]


# A good edit to the neighbour of the entry that breaks (REDEMPTION's redemption-fee, at line 13).
NEIGHBOUR_EDIT = ("one to four trading days", "two trading days")


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


def test_a_new_entry_reusing_an_id_is_rejected_and_the_rest_of_its_file_serves(
    write_faq: WriteFaq, open_kb: OpenKb
) -> None:
    write_faq("redemption.md", REDEMPTION)
    kb = open_kb()
    write_faq(
        "a-new.md",
        "## Another question {#redemption-fee}\n\nAnother answer.\n\n## A new question {#new}\n\nA new answer.\n",
    )
    report = kb.reload()
    assert report.rejected == ("a-new.md",)
    assert kb.entry("redemption-fee").answer.startswith("It depends")  # type: ignore[union-attr]
    assert kb.entry("new") is not None
    assert errors(kb) == ["a-new.md:1: duplicate id 'redemption-fee' (first defined at redemption.md:13)"]


# -- entry-level isolation ----------------------------------------------------------------

ENTRY_ERRORS = [
    pytest.param(("{#redemption-fee}", "{#Redemption-Fee}"), 13, id="invalid id"),
    pytest.param(("It depends on how long you held the shares.\n", ""), 13, id="empty answer"),
    pytest.param(
        ("## What is the redemption fee? {#redemption-fee}", "## {#redemption-fee}"), 13, id="heading without question"
    ),
    pytest.param(
        ("- how much does selling cost\n", "- how much does selling cost\n-\n"), 15, id="empty alternative phrasing"
    ),
]


@pytest.mark.parametrize(("breakage", "line"), ENTRY_ERRORS)
def test_an_entry_error_keeps_that_entrys_last_good_version_and_the_rest_of_the_file_goes_live(
    write_faq: WriteFaq, open_kb: OpenKb, breakage: tuple[str, str], line: int
) -> None:
    path = write_faq("redemption.md", REDEMPTION)
    kb = open_kb()
    before = kb.entry("redemption-fee")
    edit(path, breakage, NEIGHBOUR_EDIT)
    report = kb.reload()
    assert report.rejected == ("redemption.md",)
    assert "two trading days" in kb.entry("redemption-arrival").answer  # type: ignore[union-attr]
    assert kb.entry("redemption-fee") == before
    assert top_id(kb, "how much does selling cost") == "redemption-fee"
    assert [(p.file, p.line, p.scope) for p in kb.problems if p.severity == "error"] == [
        ("redemption.md", line, "entry")
    ]


FILE_ERRORS = [
    pytest.param(("team: trading-desk", "teem: trading-desk"), "utf-8", id="unknown front-matter key"),
    pytest.param(("team: trading-desk", "team: Trading Desk"), "utf-8", id="bad front-matter value"),
    pytest.param(("tags: [redemption]", "tags: [redemption"), "utf-8", id="invalid YAML"),
    pytest.param(("tags: [redemption]\n---\n", "tags: [redemption]\n"), "utf-8", id="front matter never closed"),
    pytest.param(("It depends", "```\nIt depends"), "utf-8", id="code fence never closed"),
    pytest.param(("It depends", "Café: it depends"), "latin-1", id="not UTF-8"),
]


@pytest.mark.parametrize(("breakage", "encoding"), FILE_ERRORS)
def test_a_file_level_error_keeps_the_whole_files_last_good_version(
    write_faq: WriteFaq, open_kb: OpenKb, breakage: tuple[str, str], encoding: str
) -> None:
    path = write_faq("redemption.md", REDEMPTION)
    kb = open_kb()
    before = kb.index.entries
    edit(path, breakage, NEIGHBOUR_EDIT, encoding=encoding)
    report = kb.reload()
    assert report.rejected == ("redemption.md",)
    assert kb.index.entries == before  # the neighbour's edit waits for the file to be fixed
    assert [p.scope for p in kb.problems if p.severity == "error"] == ["file"]


def test_a_broken_entry_is_served_from_the_saved_index_after_a_restart(
    write_faq: WriteFaq, faq_dir: Path, tmp_path: Path
) -> None:
    path = write_faq("redemption.md", REDEMPTION)
    first = KnowledgeBase(faq_dir, HashingEmbedder(), index_dir=tmp_path / "index")
    first.start(watch=False)
    before = first.entry("redemption-fee")
    first.close()
    edit(path, ("{#redemption-fee}", "{#Redemption-Fee}"), NEIGHBOUR_EDIT)
    second = KnowledgeBase(faq_dir, HashingEmbedder(), index_dir=tmp_path / "index")
    second.start(watch=False)
    assert second.entry("redemption-fee") == before
    assert "two trading days" in second.entry("redemption-arrival").answer  # type: ignore[union-attr]
    assert [e.split(": ")[0] for e in errors(second)] == ["redemption.md:13"]
    second.close()


def test_a_last_good_version_kept_while_running_is_still_served_after_a_restart(
    write_faq: WriteFaq, faq_dir: Path, tmp_path: Path
) -> None:
    path = write_faq("redemption.md", REDEMPTION)
    first = KnowledgeBase(faq_dir, HashingEmbedder(), index_dir=tmp_path / "index")
    first.start(watch=False)
    before = first.entry("redemption-fee")
    edit(path, ("It depends on how long you held the shares.\n", ""), NEIGHBOUR_EDIT)
    first.reload()
    first.close()
    saved = FaqIndex.load(tmp_path / "index", HashingEmbedder().name)
    assert saved is not None
    assert [e.answer for e in saved[0].entries] == [
        "Usually two trading days after confirmation.",
        "It depends on how long you held the shares.",
    ]
    second = KnowledgeBase(faq_dir, HashingEmbedder(), index_dir=tmp_path / "index")
    second.start(watch=False)
    assert second.entry("redemption-fee") == before  # the file on disk no longer has it: only the index does
    assert [e.split(" (")[0] for e in errors(second)] == ["redemption.md:13: empty answer"]
    second.close()


def test_a_saved_index_read_with_other_fund_names_is_stale(write_faq: WriteFaq, faq_dir: Path, tmp_path: Path) -> None:
    write_faq("redemption.md", REDEMPTION)
    kb = KnowledgeBase(faq_dir, HashingEmbedder(), index_dir=tmp_path / "index", fund_names={"900001": ("Demo",)})
    kb.start(watch=False)
    kb.close()
    # A fund entry's phrasings are matched without its fund's names: other names, other texts.
    assert FaqIndex.load(tmp_path / "index", HashingEmbedder().name, reader=QuestionReader({"900001": ("Demo",)}))
    assert FaqIndex.load(tmp_path / "index", HashingEmbedder().name, reader=QuestionReader()) is None


def test_a_repeated_phrasing_is_a_warning_and_the_entry_serves_it_once(write_faq: WriteFaq, open_kb: OpenKb) -> None:
    write_faq("redemption.md", REDEMPTION.replace("cost\n", "cost\n- How much does selling cost?\n"))
    kb = open_kb()
    assert kb.entry("redemption-fee").alternatives == ("how much does selling cost",)  # type: ignore[union-attr]
    assert [(p.severity, p.line) for p in kb.problems] == [("warning", 15)]


def test_an_entry_deleted_from_a_file_with_another_broken_entry_is_gone(write_faq: WriteFaq, open_kb: OpenKb) -> None:
    path = write_faq("redemption.md", REDEMPTION)
    kb = open_kb()
    text = path.read_text()
    deleted = text[text.index("## How long") : text.index("## What is the redemption fee")]
    edit(path, (deleted, ""), ("{#redemption-fee}", "{#Redemption-Fee}"))
    kb.reload()
    assert kb.entry("redemption-arrival") is None
    assert [e.id for e in kb.index.entries] == ["redemption-fee"]


def test_a_new_entry_with_an_error_is_not_served(write_faq: WriteFaq, open_kb: OpenKb) -> None:
    path = write_faq("redemption.md", REDEMPTION)
    kb = open_kb()
    path.write_text(path.read_text() + "\n## A new question? {#New}\n\nA new answer.\n")
    kb.reload()
    assert [e.id for e in kb.index.entries] == ["redemption-arrival", "redemption-fee"]
    assert [e.split(": ")[0] for e in errors(kb)] == ["redemption.md:18"]


def test_a_second_section_with_an_id_already_in_its_file_is_rejected_and_the_first_serves(
    write_faq: WriteFaq, open_kb: OpenKb
) -> None:
    path = write_faq("redemption.md", REDEMPTION)
    kb = open_kb()
    path.write_text(path.read_text() + "\n## Copied question {#redemption-fee}\n\nCopied answer.\n")
    kb.reload()
    assert kb.entry("redemption-fee").answer.startswith("It depends")  # type: ignore[union-attr]
    assert errors(kb) == ["redemption.md:18: duplicate id 'redemption-fee' (first defined at redemption.md:13)"]


def test_an_id_stays_with_the_entry_serving_it_when_its_file_is_edited_after_a_clash(
    write_faq: WriteFaq, open_kb: OpenKb
) -> None:
    path = write_faq("redemption.md", REDEMPTION)
    kb = open_kb()
    write_faq("a-new.md", "## Another question {#redemption-fee}\n\nAnother answer.\n")
    kb.reload()
    edit(path, NEIGHBOUR_EDIT)  # now the serving file changed and the refused one did not
    kb.reload()
    assert kb.entry("redemption-fee").answer.startswith("It depends")  # type: ignore[union-attr]
    assert errors(kb) == ["a-new.md:1: duplicate id 'redemption-fee' (first defined at redemption.md:13)"]


def test_an_id_given_up_by_its_entry_goes_to_the_entry_refused_it_before(write_faq: WriteFaq, open_kb: OpenKb) -> None:
    path = write_faq("redemption.md", REDEMPTION)
    kb = open_kb()
    write_faq("a-new.md", "## Another question {#redemption-fee}\n\nAnother answer.\n")
    kb.reload()
    text = path.read_text()
    edit(path, (text[text.index("## What is the redemption fee") :], ""))
    kb.reload()
    assert kb.entry("redemption-fee").answer == "Another answer."  # type: ignore[union-attr]
    assert kb.problems == ()


def test_warnings_of_an_unchanged_file_stay_reported_after_another_file_changes(
    write_faq: WriteFaq, open_kb: OpenKb
) -> None:
    write_faq("chinese.md", "## 如何赎回？\n答。\n")
    path = write_faq("redemption.md", REDEMPTION)
    kb = open_kb()
    assert [(p.file, p.severity) for p in kb.problems] == [("chinese.md", "warning")]
    edit(path, NEIGHBOUR_EDIT)
    assert kb.reload().changed
    assert [(p.file, p.severity) for p in kb.problems] == [("chinese.md", "warning")]


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

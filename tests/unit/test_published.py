"""Answers published from the running service: kept under the data folder, served and hot-reloaded like the FAQ."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from escalation.analytics import drafts, published_gaps
from escalation.spikes import incident_faq
from funddesk.settings import PROJECT_ROOT, Settings
from knowledge_base.__main__ import main
from knowledge_base.embedder import HashingEmbedder
from knowledge_base.published import PREFIX, published_dir, write_entry_file
from knowledge_base.service import KnowledgeBase
from tests.conftest import WriteFaq
from tests.unit.test_eval_command import write_csv
from tests.unit.test_knowledge_base import REDEMPTION

INCIDENT = 990417  # no real incident has it: nothing in the repository may name its file


def answer(incident_id: int, text: str = "The NAV fell with the index; your holding is unchanged.") -> str:
    return incident_faq.render(
        incident_id,
        "Why did fund 900001 drop today?",
        text,
        ["why did 900001 fall today"],
        team="investor-relations",
        fund_code=None,
    )


@pytest.fixture
def settings(faq_dir: Path, tmp_path: Path) -> Settings:
    return Settings(kb_dir=faq_dir, data_dir=tmp_path / "var", funds_file=tmp_path / "none.yml")


@pytest.fixture
def open_kb(settings: Settings) -> Iterator[Callable[..., KnowledgeBase]]:
    opened: list[KnowledgeBase] = []

    def open_(**changes: object) -> KnowledgeBase:
        kb = KnowledgeBase.open(settings, HashingEmbedder(), **changes)  # type: ignore[arg-type]
        opened.append(kb)
        return kb

    yield open_
    for kb in opened:
        kb.close()


def test_the_published_folder_is_in_the_data_folder_unless_set(tmp_path: Path) -> None:
    assert published_dir(Settings(data_dir=tmp_path / "var")) == tmp_path / "var" / "published"
    assert published_dir(Settings(published_dir=tmp_path / "elsewhere")) == tmp_path / "elsewhere"


def test_an_incident_answer_is_written_under_the_data_folder_and_nothing_under_knowledge_base(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var")  # the shipped FAQ folder, as a real deployment has it
    written = incident_faq.publish(settings, INCIDENT, answer(INCIDENT))
    assert written == tmp_path / "var" / "published" / "incidents" / f"incident-{INCIDENT}.md"
    assert list((PROJECT_ROOT / "knowledge_base").rglob(f"incident-{INCIDENT}.md")) == []
    assert [p.name for p in written.parent.iterdir()] == [written.name]  # no temporary file left behind


def test_a_published_answer_is_served_after_a_reload_and_gone_once_retired(
    write_faq: WriteFaq, settings: Settings, open_kb: Callable[..., KnowledgeBase]
) -> None:
    write_faq("redemption.md", REDEMPTION)
    kb = open_kb(watch=False)
    incident_faq.publish(settings, 7, answer(7))
    assert kb.reload().changed
    entry = kb.entry("incident-7")
    assert entry is not None and entry.file == f"{PREFIX}incidents/incident-7.md"
    assert kb.ask("why did fund 900001 drop today").ranked[0].entry.id == "incident-7"
    assert kb.entry("redemption-fee") is not None  # the FAQ folder still serves beside it
    assert incident_faq.retire(settings, 7)
    assert kb.reload().changed and kb.entry("incident-7") is None


def test_the_watcher_makes_a_published_answer_live_without_a_reload_call(
    write_faq: WriteFaq, settings: Settings, open_kb: Callable[..., KnowledgeBase]
) -> None:
    write_faq("redemption.md", REDEMPTION)
    kb = open_kb(watch=True)
    incident_faq.publish(settings, 8, answer(8))
    deadline = time.monotonic() + 20
    while kb.entry("incident-8") is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert kb.entry("incident-8") is not None


def test_a_broken_edit_of_a_published_file_keeps_its_last_good_version(
    write_faq: WriteFaq, settings: Settings, open_kb: Callable[..., KnowledgeBase]
) -> None:
    write_faq("redemption.md", REDEMPTION)
    write_entry_file(settings, "incidents/incident-9.md", answer(9, "First answer."))
    kb = open_kb(watch=False)
    write_entry_file(settings, "incidents/incident-9.md", "---\nteam: [unclosed\n---\n## Q {#incident-9}\n\nA.\n")
    kb.reload()
    served = kb.entry("incident-9")
    assert served is not None and served.answer == "First answer."
    assert [p.file for p in kb.problems if p.severity == "error"] == [f"{PREFIX}incidents/incident-9.md"]


def test_the_fund_teams_file_keeps_an_id_a_published_file_also_defines(
    write_faq: WriteFaq, settings: Settings, open_kb: Callable[..., KnowledgeBase]
) -> None:
    write_faq("redemption.md", REDEMPTION)
    write_entry_file(settings, "clash.md", "## Another fee question {#redemption-fee}\n\nAnother answer.\n")
    kb = open_kb(watch=False)
    served = kb.entry("redemption-fee")
    assert served is not None and served.file == "redemption.md"
    assert [p.file for p in kb.problems] == [f"{PREFIX}clash.md"]


def test_a_published_file_cannot_be_written_outside_the_published_folder(settings: Settings) -> None:
    with pytest.raises(ValueError):
        write_entry_file(settings, "../faq/escape.md", "## Q\n\nA.\n")


def test_lint_checks_the_published_answers_too(
    write_faq: WriteFaq, settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FUNDDESK_KB_DIR", str(settings.kb_dir))
    monkeypatch.setenv("FUNDDESK_DATA_DIR", str(settings.data_dir))
    write_faq("redemption.md", REDEMPTION)
    write_entry_file(settings, "clash.md", "## Another fee question {#redemption-fee}\n\nAnother answer.\n")
    assert main(["lint"]) == 1
    assert capsys.readouterr().out.startswith(f"{PREFIX}clash.md:1: duplicate id 'redemption-fee'")
    assert main(["lint", "--kb", str(settings.kb_dir)]) == 0  # a folder named on the command line: that folder only


def test_eval_scores_the_faq_folder_alone(
    write_faq: WriteFaq,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("FUNDDESK_EMBEDDING_MODEL", "hashing")
    monkeypatch.setenv("FUNDDESK_DATA_DIR", str(settings.data_dir))
    write_faq("redemption.md", REDEMPTION)
    write_entry_file(settings, "incidents/incident-7.md", answer(7))
    questions = write_csv(tmp_path / "q.csv", [("how much does selling cost", "redemption-fee")])
    assert main(["eval", "--kb", str(settings.kb_dir), "--questions", str(questions)]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (result["entries"], result["lint_errors"], result["lint_warnings"]) == (2, 0, 0)


def test_a_gap_entry_taken_back_stops_serving_at_the_next_reload_and_is_no_longer_listed(
    write_faq: WriteFaq, settings: Settings, open_kb: Callable[..., KnowledgeBase]
) -> None:
    write_faq("redemption.md", REDEMPTION)
    kb = open_kb(watch=False)
    markdown = "---\nteam: service-desk\n---\n## Can I hold funds in a pension account? {#gap-c9}\n\nYes.\n"
    drafts.publish(settings, "gap-c9", markdown)
    assert kb.reload().changed and kb.entry("gap-c9") is not None
    assert [gap.entries for gap in published_gaps.published_gaps(settings)] == [["gap-c9"]]
    published_gaps.unpublish(settings, "gap-c9")
    assert kb.reload().changed and kb.entry("gap-c9") is None
    assert kb.entry("redemption-fee") is not None and published_gaps.published_gaps(settings) == []


def test_a_gap_entry_taken_back_keeps_the_teams_written_answer_as_the_gaps_draft(settings: Settings) -> None:
    markdown = "---\nteam: service-desk\n---\n## Can I hold funds in a pension account? {#gap-c9}\n\nYes.\n"
    drafts.publish(settings, "gap-c9", markdown)
    assert not drafts.draft_path(settings, "gap-c9").exists()  # publishing dropped the draft
    restored, teams = published_gaps.unpublish(settings, "gap-c9")
    assert teams == ["service-desk"]
    assert restored == drafts.draft_path(settings, "gap-c9") and restored.read_text(encoding="utf-8") == markdown
    assert not (published_dir(settings) / "gaps" / "gap-c9.md").exists()
    _, [again] = drafts.publish(settings, "gap-c9", restored.read_text(encoding="utf-8"))  # republished as it was
    assert again.id == "gap-c9" and [gap.teams for gap in published_gaps.published_gaps(settings)] == [["service-desk"]]


def test_a_gap_taken_back_while_the_list_is_read_is_left_out_of_it_rather_than_failing_it(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for entry in ("gap-c1", "gap-c2"):
        drafts.publish(settings, entry, f"---\nteam: service-desk\n---\n## Question {entry}? {{#{entry}}}\n\nYes.\n")
    listed = sorted((published_dir(settings) / "gaps").glob("*.md"))

    def taken_back_after_listing(folder: Path, pattern: str) -> list[Path]:
        published_gaps.unpublish(settings, "gap-c2")  # another lead's request, between the listing and the reading
        return listed

    monkeypatch.setattr(Path, "glob", taken_back_after_listing)
    assert [gap.entry_id for gap in published_gaps.published_gaps(settings)] == ["gap-c1"]

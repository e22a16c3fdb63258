"""``knowledge_base lint`` judges the FAQ folder as the running service does: an id that two files define stays with
the file that serves it (the persisted index remembers which), not the first in path order, so the fund team is
pointed at the new entry, not at the long-standing one."""

from __future__ import annotations

from pathlib import Path

import pytest

from funddesk.settings import Settings
from knowledge_base.__main__ import main
from knowledge_base.embedder import HashingEmbedder
from knowledge_base.faq_files import saved_sources
from knowledge_base.service import KnowledgeBase
from tests.conftest import WriteFaq

FEES = "## What is the redemption fee? {#redemption-fees}\n\nUp to 1.5%.\n"
CLASH = "## Do I pay tax on dividends? {#redemption-fees}\n\nNo.\n"


def test_lint_and_the_service_name_the_same_entry_as_the_duplicate(
    write_faq: WriteFaq,
    faq_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = Settings(kb_dir=faq_dir, data_dir=tmp_path / "var", funds_file=tmp_path / "none.yml")
    write_faq("en/redemption.md", FEES)
    kb = KnowledgeBase.open(settings, HashingEmbedder(), watch=False)  # serves redemption-fees, and saves that
    write_faq("en/dividends.md", CLASH)  # earlier in path order
    kb.reload()
    [served] = [str(p) for p in kb.problems]
    kb.close()
    assert served.startswith("en/dividends.md:1: duplicate id 'redemption-fees'")
    monkeypatch.setenv("FUNDDESK_KB_DIR", str(faq_dir))
    monkeypatch.setenv("FUNDDESK_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("FUNDDESK_FUNDS_FILE", str(settings.funds_file))
    assert main(["lint"]) == 1
    assert capsys.readouterr().out.splitlines()[0] == served


def test_without_a_saved_index_lint_keeps_the_first_in_path_order(
    write_faq: WriteFaq,
    faq_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_faq("en/redemption.md", FEES)
    write_faq("en/dividends.md", CLASH)
    monkeypatch.setenv("FUNDDESK_KB_DIR", str(faq_dir))
    monkeypatch.setenv("FUNDDESK_DATA_DIR", str(tmp_path / "var"))
    assert saved_sources(tmp_path / "var" / "index") is None
    assert main(["lint"]) == 1
    assert capsys.readouterr().out.startswith("en/redemption.md:1: duplicate id 'redemption-fees'")

"""The synonyms file is the fund team's, like the FAQ: an edit is live at the next reload with no restart, and a
broken edit is reported as ``file:line`` while the last good groups serve on (knowledge_base/synonyms_file.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from knowledge_base.__main__ import main
from knowledge_base.service import KnowledgeBase
from tests.conftest import WriteFaq

OpenKb = Callable[..., KnowledgeBase]
FAQ = (
    "---\nlang: zh\n---\n"
    "## 怎么赎回基金？ {#zh-redeem}\n\n在交易页面点赎回。\n\n"
    "## 怎么开户？ {#zh-open}\n\n下载应用开户。\n"
)


def best(kb: KnowledgeBase, question: str) -> tuple[str, float]:
    first = kb.ask(question).ranked[0]
    return first.entry.id, first.score


def test_a_synonym_added_while_serving_is_live_at_the_next_reload(
    write_faq: WriteFaq, open_kb: OpenKb, tmp_path: Path
) -> None:
    write_faq("zh.md", FAQ)
    synonyms = tmp_path / "synonyms.yml"
    synonyms.write_text("- [开户, 注册账号]\n", encoding="utf-8")
    kb = open_kb(synonyms_file=synonyms)
    before = best(kb, "怎么套现基金")
    synonyms.write_text("- [开户, 注册账号]\n- [赎回, 套现]\n", encoding="utf-8")
    kb.reload()
    after = best(kb, "怎么套现基金")
    assert after[0] == "zh-redeem" and after[1] > before[1]
    assert kb.problems == () and kb.health is not None and kb.health.problems == ()


def test_a_broken_synonyms_edit_keeps_the_last_good_groups_and_is_reported_at_its_line(
    write_faq: WriteFaq, open_kb: OpenKb, tmp_path: Path
) -> None:
    write_faq("zh.md", FAQ)
    synonyms = tmp_path / "synonyms.yml"
    synonyms.write_text("- [赎回, 套现]\n", encoding="utf-8")
    kb = open_kb(synonyms_file=synonyms)
    served = best(kb, "怎么套现基金")
    synonyms.write_text("- [赎回, 套现]\n- just one word\n", encoding="utf-8")
    assert kb.reload().outcome == "rejected"  # as the metrics count it
    assert best(kb, "怎么套现基金") == served  # the last good groups serve on
    assert [str(p) for p in kb.problems] == [
        "synonyms.yml:2: each group is a list of two or more words, like [赎回, 卖出]"
    ]
    assert kb.health is not None
    [report] = kb.health.problems
    assert (report.file, report.line, report.scope, report.serving) == ("synonyms.yml", 2, "file", "last_good")
    synonyms.write_text("- [赎回, 套现]\n", encoding="utf-8")
    kb.reload()
    assert kb.problems == ()


def test_a_synonyms_file_broken_at_the_start_serves_the_faq_without_synonyms_and_says_so(
    write_faq: WriteFaq, open_kb: OpenKb, tmp_path: Path
) -> None:
    write_faq("zh.md", FAQ)
    synonyms = tmp_path / "synonyms.yml"
    synonyms.write_text("[赎回, 套现\n", encoding="utf-8")  # not YAML
    kb = open_kb(synonyms_file=synonyms)
    assert best(kb, "怎么赎回基金")[0] == "zh-redeem"
    assert kb.health is not None
    [report] = kb.health.problems
    assert (report.file, report.serving) == ("synonyms.yml", "nothing")
    assert "invalid YAML" in report.message


def test_the_watcher_follows_the_synonyms_file_too(write_faq: WriteFaq, open_kb: OpenKb, tmp_path: Path) -> None:
    write_faq("zh.md", FAQ)
    synonyms = tmp_path / "synonyms.yml"
    synonyms.write_text("- [开户, 注册账号]\n", encoding="utf-8")
    kb = open_kb(synonyms_file=synonyms, watch=True, reload_interval=0.05)
    synonyms.write_text("- [开户, 注册账号]\n- [赎回, 套现]\n", encoding="utf-8")
    deadline = time.monotonic() + 10
    while kb.index.tokenizer.normalizer.synonyms.groups != (("开户", "注册账号"), ("赎回", "套现")):
        assert time.monotonic() < deadline, "the edit never went live"
        time.sleep(0.05)


def test_lint_checks_the_synonyms_file_too(
    write_faq: WriteFaq,
    faq_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_faq("zh.md", FAQ)
    synonyms = tmp_path / "synonyms.yml"
    synonyms.write_text("- [赎回]\n", encoding="utf-8")
    monkeypatch.setenv("FUNDDESK_KB_DIR", str(faq_dir))
    monkeypatch.setenv("FUNDDESK_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("FUNDDESK_SYNONYMS_FILE", str(synonyms))
    assert main(["lint"]) == 1
    assert capsys.readouterr().out.startswith("synonyms.yml:1: each group is a list of two or more words")
    synonyms.write_text("- [赎回, 套现]\n", encoding="utf-8")
    assert main(["lint"]) == 0

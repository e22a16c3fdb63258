"""Linting a whole knowledge base: discovery, ids across files, sorting and the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge_base.entries import Rejected
from knowledge_base.lint import check_ids_across, discover, lint, main, parse_tree
from knowledge_base.parser import parse_text


def write(root: Path, relative: str, text: str) -> Path:
    file = root / relative
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(text, encoding="utf-8")
    return file


def test_discover_finds_markdown_at_any_depth_sorted_by_path(tmp_path: Path) -> None:
    for name in ("faq/b.md", "faq/a.md", "faq/zh/c.md", "top.md"):
        write(tmp_path, name, "## Q?\nA.\n")
    found = [p.relative_to(tmp_path).as_posix() for p in discover(tmp_path)]
    assert found == ["faq/a.md", "faq/b.md", "faq/zh/c.md", "top.md"]


def test_discover_skips_hidden_and_underscored_files_and_folders_and_readmes(
    tmp_path: Path,
) -> None:
    for name in (
        "faq/.#a.md",
        "faq/_draft.md",
        "faq/.hidden/b.md",
        "_drafts/c.md",
        "faq/README.md",
        "faq/notes.txt",
        "faq/a.md~",
        "faq/kept.md",
    ):
        write(tmp_path, name, "## Q?\nA.\n")
    assert discover(tmp_path) == [tmp_path / "faq" / "kept.md"]


def test_entry_files_are_relative_to_the_root_with_slashes(tmp_path: Path) -> None:
    write(tmp_path, "faq/zh/redeem.md", "---\nlang: zh\n---\n## 如何赎回？\n答。\n")
    (parsed,) = parse_tree(tmp_path)
    assert parsed.path == "faq/zh/redeem.md"
    assert parsed.entries[0].file == "faq/zh/redeem.md"


def test_duplicate_id_across_files_rejects_only_the_later_entry(tmp_path: Path) -> None:
    write(tmp_path, "faq/a.md", "## One?\nA.\n\n## Fees? {#fees}\nB.\n")
    write(tmp_path, "faq/b.md", "## Costs? {#fees}\nC.\n\n## Other?\nD.\n")
    first, second = parse_tree(tmp_path)
    assert first.clean
    assert second.ok and not second.clean
    assert [str(p) for p in second.problems] == ["faq/b.md:1: duplicate id 'fees' (first defined at faq/a.md:4)"]
    assert second.problems[0].entry_line == 1
    assert [e.id for e in second.entries] == ["other"]
    assert second.rejected == (Rejected(1, "fees", "Costs?"),)


def test_a_file_with_a_file_level_error_claims_no_id(tmp_path: Path) -> None:
    write(tmp_path, "faq/a.md", "---\nlang: fr\n---\n## Fees? {#fees}\nB.\n")
    write(tmp_path, "faq/b.md", "## Costs? {#fees}\nC.\n")
    assert [str(p) for p in lint(tmp_path)] == ["faq/a.md:2: lang must be 'en' or 'zh', not 'fr'"]


def test_check_ids_across_lets_the_first_listed_file_keep_the_id() -> None:
    served = parse_text("## Costs? {#fees}\nC.\n", "faq/b.md")
    edited = parse_text("## Fees? {#fees}\nB.\n", "faq/a.md")
    kept, rejected = check_ids_across([served, edited])
    assert kept is served
    assert [str(p) for p in rejected.problems] == ["faq/a.md:1: duplicate id 'fees' (first defined at faq/b.md:1)"]


def test_check_ids_across_lets_a_kept_id_stay_with_its_file_whatever_the_order() -> None:
    newcomer = parse_text("## Fees? {#fees}\nB.\n", "faq/a.md")
    serving = parse_text("## Costs? {#fees}\nC.\n", "faq/b.md")
    rejected, kept = check_ids_across([newcomer, serving], keep={"fees": "faq/b.md"})
    assert kept is serving
    assert [str(p) for p in rejected.problems] == ["faq/a.md:1: duplicate id 'fees' (first defined at faq/b.md:1)"]


def test_a_kept_id_its_file_no_longer_defines_goes_to_the_first_listed_file() -> None:
    first = parse_text("## Fees? {#fees}\nB.\n", "faq/a.md")
    second = parse_text("## Costs? {#fees}\nC.\n", "faq/b.md")
    kept, rejected = check_ids_across([first, second], keep={"fees": "faq/gone.md"})
    assert kept is first
    assert rejected.entries == ()


def test_check_ids_across_twice_does_not_repeat_problems() -> None:
    files = [
        parse_text("## Fees? {#fees}\nB.\n", "faq/a.md"),
        parse_text("## Costs? {#fees}\nC.\n", "faq/b.md"),
    ]
    once = check_ids_across(files)
    assert check_ids_across(once) == once


def test_two_versions_of_the_same_file_do_not_clash() -> None:
    last_good = parse_text("## Fees? {#fees}\nB.\n", "faq/a.md")
    fresh = parse_text("## Fees? {#fees}\nNew answer.\n", "faq/a.md")
    assert all(f.ok for f in check_ids_across([last_good, fresh]))


def test_lint_returns_every_problem_sorted_by_file_and_line(tmp_path: Path) -> None:
    write(tmp_path, "faq/b.md", "## Q? {#q}\nA.\n\n## \nB.\n")
    write(tmp_path, "faq/a.md", "---\nlang: zh\n---\n## 问? {#q}\n\n## 其他?\nC.\n\n## 再问? {#q2}\nD.\n")
    write(tmp_path, "faq/c.md", "## Q2? {#q2}\nE.\n")
    assert [str(p) for p in lint(tmp_path)] == [
        "faq/a.md:4: empty answer",
        "faq/b.md:4: heading has no question text",
        "faq/c.md:1: duplicate id 'q2' (first defined at faq/a.md:9)",
    ]


def test_lint_of_a_clean_tree_is_empty(tmp_path: Path) -> None:
    write(tmp_path, "faq/a.md", "## Q?\nA.\n")
    assert lint(tmp_path) == []


def test_main_prints_problems_and_exits_1_on_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "faq/a.md", "## Q?\n\n## 如何赎回？\n答。\n")
    assert main([str(tmp_path)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "faq/a.md:1: empty answer",
        "faq/a.md:3: warning: question looks Chinese but lang is 'en' (missing 'lang: zh' in the front matter?)",
    ]


def test_main_exits_0_when_there_are_only_warnings(tmp_path: Path) -> None:
    write(tmp_path, "faq/a.md", "# Title\n")
    assert main([str(tmp_path)]) == 0


def test_main_exits_2_when_the_root_is_not_a_directory(tmp_path: Path) -> None:
    assert main([str(tmp_path / "missing")]) == 2

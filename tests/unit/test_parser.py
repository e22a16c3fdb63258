"""The FAQ markdown format: what parses into entries, and what an error keeps from serving (the problems
themselves, one by one: test_parser_problems.py)."""

from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path

import pytest

from knowledge_base.entries import ParsedFile, Rejected
from knowledge_base.parser import make_id, parse_file, parse_text

REDEMPTION = """\
---
team: redemption-desk
lang: en
funds: ["110022"]
tags: [redemption, payout]
escalate: false
---
# Redemption

## How long until redemption money reaches my bank card? {#redemption-arrival}
- When will I receive the money after I redeem?
- redemption proceeds arrival time

Redemption proceeds normally arrive **T+2** working days after confirmation:

1. the fund confirms on T+1;
2. the bank credits your card on T+2.

```text
## this is not a heading
```

### Delays
Public holidays push this back.

## Can I cancel a redemption?
You can cancel before 15:00 on the day you placed it.
"""


def parse(text: str, path: str = "faq/a.md") -> ParsedFile:
    return parse_text(textwrap.dedent(text).lstrip("\n"), path)


def messages(parsed: ParsedFile) -> list[str]:
    return [str(problem) for problem in parsed.problems]


def errors(parsed: ParsedFile) -> list[str]:
    return [str(p) for p in parsed.problems if p.severity == "error"]


def warnings(parsed: ParsedFile) -> list[str]:
    return [str(p) for p in parsed.problems if p.severity == "warning"]


# -- happy path ---------------------------------------------------------------------------


def test_a_full_file_parses_into_entries_without_problems() -> None:
    parsed = parse_text(REDEMPTION, "faq/redemption.md")
    assert parsed.ok
    assert parsed.problems == ()
    assert [e.id for e in parsed.entries] == ["redemption-arrival", "can-i-cancel-a-redemption"]


def test_heading_text_is_the_question_and_the_bullets_are_alternatives() -> None:
    entry = parse_text(REDEMPTION, "faq/redemption.md").entries[0]
    assert entry.question == "How long until redemption money reaches my bank card?"
    assert entry.alternatives == (
        "When will I receive the money after I redeem?",
        "redemption proceeds arrival time",
    )
    assert entry.phrasings[0] == entry.question


def test_answer_keeps_lists_bold_code_fences_and_subheadings_verbatim() -> None:
    answer = parse_text(REDEMPTION, "faq/redemption.md").entries[0].answer
    assert answer.startswith("Redemption proceeds normally arrive **T+2** working days")
    assert "1. the fund confirms on T+1;\n2. the bank credits" in answer
    assert "```text\n## this is not a heading\n```" in answer
    assert answer.endswith("### Delays\nPublic holidays push this back.")


def test_entry_line_is_the_heading_line_and_file_is_the_given_path() -> None:
    entries = parse_text(REDEMPTION, "faq/redemption.md").entries
    assert [(e.file, e.line) for e in entries] == [
        ("faq/redemption.md", 10),
        ("faq/redemption.md", 26),
    ]


def test_front_matter_and_title_apply_to_every_entry() -> None:
    for entry in parse_text(REDEMPTION, "faq/redemption.md").entries:
        assert entry.team == "redemption-desk"
        assert entry.lang == "en"
        assert entry.funds == ("110022",)
        assert entry.tags == ("redemption", "payout")
        assert entry.escalate is False
        assert entry.title == "Redemption"


def test_without_front_matter_lang_is_en_and_nothing_is_scoped() -> None:
    entry = parse("## What is a fund?\nA pooled investment.\n").entries[0]
    assert (entry.lang, entry.team, entry.funds, entry.tags, entry.escalate, entry.title) == (
        "en",
        None,
        (),
        (),
        False,
        None,
    )


def test_escalate_and_zh_are_taken_from_the_front_matter() -> None:
    parsed = parse("""
        ---
        lang: zh
        escalate: true
        ---
        ## 我要投诉
        正在为您转接人工客服。
    """)
    assert parsed.ok, messages(parsed)
    assert (parsed.entries[0].lang, parsed.entries[0].escalate) == ("zh", True)


def test_unquoted_fund_numbers_keep_their_digits_and_are_padded_to_six() -> None:
    parsed = parse("""
        ---
        funds: [110022, 1234, 012345, "000001"]
        ---
        ## Q?
        A.
    """)
    assert parsed.ok, messages(parsed)
    assert parsed.entries[0].funds == ("110022", "001234", "012345", "000001")


def test_empty_front_matter_is_allowed() -> None:
    parsed = parse("---\n---\n## Q?\nA.\n")
    assert parsed.ok and parsed.entries[0].line == 3


def test_blank_lines_between_heading_and_alternatives_are_allowed() -> None:
    entry = parse("## Q?\n\n\n- other way\n\n- third way\n\nThe answer.\n").entries[0]
    assert entry.alternatives == ("other way", "third way")
    assert entry.answer == "The answer."


def test_star_and_plus_bullets_are_alternatives_too() -> None:
    entry = parse("## Q?\n* one\n+ two\n- three\nAnswer.\n").entries[0]
    assert entry.alternatives == ("one", "two", "three")
    assert entry.answer == "Answer."


def test_a_wrapped_alternative_continues_on_an_indented_line() -> None:
    entry = parse("## Q?\n- a long way\n  of asking\n\nAnswer.\n").entries[0]
    assert entry.alternatives == ("a long way of asking",)


def test_a_list_after_a_paragraph_belongs_to_the_answer() -> None:
    entry = parse("## Q?\nYou need:\n\n- an ID card\n- a bank card\n").entries[0]
    assert entry.alternatives == ()
    assert entry.answer == "You need:\n\n- an ID card\n- a bank card"


def test_bold_text_under_the_heading_is_not_a_bullet() -> None:
    entry = parse("## Q?\n**Note:** fees apply.\n").entries[0]
    assert entry.answer == "**Note:** fees apply."


def test_answer_runs_to_the_next_entry_without_surrounding_blank_lines() -> None:
    entries = parse("## One?\n\n\nFirst.\n\n\n## Two?\nSecond.\n\n").entries
    assert [e.answer for e in entries] == ["First.", "Second."]


def test_tilde_fences_hide_headings_too() -> None:
    entries = parse("## Q?\n~~~\n## inside\n```\n~~~\n## Next?\nA.\n").entries
    assert [e.question for e in entries] == ["Q?", "Next?"]
    assert entries[0].answer == "~~~\n## inside\n```\n~~~"


def test_closing_hashes_are_not_part_of_the_question() -> None:
    entry = parse("## What is C#? ##\nA language.\n").entries[0]
    assert entry.question == "What is C#?"


def test_explicit_id_wins_over_the_slug() -> None:
    assert parse("## Why? {#why_2}\nBecause.\n").entries[0].id == "why_2"


def test_slug_is_lowercase_ascii_words_joined_with_dashes() -> None:
    assert make_id("What's the T+1 rule for QDII funds?") == "whats-the-t-1-rule-for-qdii-funds"
    assert make_id("Café fees — are they refunded?") == "cafe-fees-are-they-refunded"


def test_chinese_question_gets_a_stable_hashed_id() -> None:
    expected = "zh-" + hashlib.sha1("如何赎回？".encode()).hexdigest()[:8]
    assert make_id("如何赎回？") == expected
    assert make_id("QDII基金如何赎回？").startswith("zh-")


def test_question_without_letters_or_chinese_gets_a_q_prefixed_hashed_id() -> None:
    assert make_id("¿?").startswith("q-")
    assert len(make_id("¿?")) == len("q-") + 8


def test_generated_chinese_id_is_used_for_entries() -> None:
    parsed = parse("---\nlang: zh\n---\n## 如何赎回？\n在APP中点击赎回。\n")
    assert parsed.entries[0].id == make_id("如何赎回？")


def test_crlf_line_endings_parse_like_lf() -> None:
    crlf = parse_text(REDEMPTION.replace("\n", "\r\n"), "faq/redemption.md")
    lf = parse_text(REDEMPTION, "faq/redemption.md")
    assert crlf == lf


def test_byte_order_mark_is_ignored() -> None:
    parsed = parse_text("\ufeff" + REDEMPTION, "faq/redemption.md")
    assert parsed.ok and parsed.entries[0].team == "redemption-desk"


def test_parse_file_reads_utf8_and_names_the_file_relative_to_the_root(tmp_path: Path) -> None:
    (tmp_path / "faq").mkdir()
    file = tmp_path / "faq" / "redemption.md"
    file.write_text(REDEMPTION, encoding="utf-8")
    parsed = parse_file(file, tmp_path)
    assert parsed.path == "faq/redemption.md"
    assert parsed.entries[0].file == "faq/redemption.md"


def test_an_entry_with_an_error_is_rejected_and_the_rest_of_the_file_serves() -> None:
    parsed = parse("## Good?\nYes.\n\n## Bad?\n\n## Also good?\nYes.\n")
    assert parsed.ok and not parsed.clean
    assert [e.id for e in parsed.entries] == ["good", "also-good"]
    assert parsed.rejected == (Rejected(4, "bad", "Bad?"),)


GOOD_NEIGHBOURS = "## Before?\nFirst.\n\n{broken}\n## After?\nLast.\n"


@pytest.mark.parametrize(
    ("broken", "rejected", "message"),
    [
        ("## {#fees}\nA.\n", Rejected(4, "fees", None), "heading has no question text"),
        ("## \nA.\n", Rejected(4, None, None), "heading has no question text"),
        ("## Fees? {#Fees}\nA.\n", Rejected(4, None, "Fees?"), "invalid id 'Fees'"),
        ("## Again? {#before}\nA.\n", Rejected(4, "before", "Again?"), "duplicate id 'before'"),
        ("## Fees?\n\n", Rejected(4, "fees", "Fees?"), "empty answer"),
        ("## Fees?\n- fee\n-\n\nA.\n", Rejected(4, "fees", "Fees?"), "empty alternative phrasing"),
    ],
)
def test_each_entry_level_error_rejects_only_its_entry(broken: str, rejected: Rejected, message: str) -> None:
    parsed = parse(GOOD_NEIGHBOURS.format(broken=broken))
    assert parsed.ok and not parsed.clean
    assert [e.id for e in parsed.entries] == ["before", "after"]
    assert parsed.rejected == (rejected,)
    (error,) = [p for p in parsed.problems if p.severity == "error"]
    assert message in error.message
    assert (error.scope, error.entry_line) == ("entry", 4)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("---\nteam: a\n## Q?\nA.\n", "front matter is never closed"),
        ("---\ntags: [x\n---\n## Q?\nA.\n", "invalid YAML in front matter"),
        ("---\n- team\n---\n## Q?\nA.\n", "front matter must be a mapping"),
        ("---\nteem: a\n---\n## Q?\nA.\n", "unknown front-matter key 'teem'"),
        ("---\ntags: [a]\ntags: [b]\n---\n## Q?\nA.\n", "duplicate front-matter key 'tags'"),
        ("---\nlang: fr\n---\n## Q?\nA.\n", "lang must be 'en' or 'zh'"),
        ('---\nfunds: ["12"]\n---\n## Q?\nA.\n', "fund code '12' is not 6 digits"),
        ("## Q?\nA.\n```\ncode\n## Swallowed?\nB.\n", "code fence '```' is never closed"),
    ],
)
def test_each_file_level_error_leaves_no_entry_of_the_file_serving(text: str, message: str) -> None:
    parsed = parse(text)
    assert not parsed.ok
    assert parsed.entries == ()
    (error,) = [p for p in parsed.problems if p.severity == "error"]
    assert message in error.message
    assert (error.scope, error.entry_line) == ("file", None)


def test_entry_problems_of_a_file_with_a_file_level_error_are_still_reported() -> None:
    parsed = parse("---\nlang: fr\n---\n## Q?\n\n## R?\nB.\n")
    assert messages(parsed) == ["faq/a.md:2: lang must be 'en' or 'zh', not 'fr'", "faq/a.md:4: empty answer"]
    assert parsed.entries == ()


def test_the_first_section_with_an_id_owns_it_even_when_it_is_broken() -> None:
    parsed = parse("## One? {#x}\n\n## Two? {#x}\nB.\n")
    assert messages(parsed) == [
        "faq/a.md:1: empty answer",
        "faq/a.md:3: duplicate id 'x' (first defined at faq/a.md:1)",
    ]
    assert parsed.entries == ()
    assert [r.line for r in parsed.rejected] == [1, 3]

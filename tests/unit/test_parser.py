"""The FAQ markdown format: what parses into entries, and every problem it reports."""

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


# -- front matter problems ----------------------------------------------------------------


def test_invalid_yaml_is_reported_at_its_line_in_the_file() -> None:
    parsed = parse("---\nteam: a\ntags: [x\n---\n## Q?\nA.\n")
    assert messages(parsed) == ["faq/a.md:3: invalid YAML in front matter: expected ',' or ']', but got '<stream end>'"]


def test_yaml_error_in_the_middle_of_front_matter_points_at_that_line() -> None:
    parsed = parse("---\nteam: a\nlang: en: zh\nfunds: []\n---\n## Q?\nA.\n")
    assert messages(parsed) == ["faq/a.md:3: invalid YAML in front matter: mapping values are not allowed here"]


def test_front_matter_that_is_not_a_mapping_is_an_error() -> None:
    parsed = parse("---\n- team\n- lang\n---\n## Q?\nA.\n")
    assert messages(parsed) == ["faq/a.md:2: front matter must be a mapping of keys to values, not a list"]


def test_unterminated_front_matter_is_an_error() -> None:
    parsed = parse("---\nteam: a\n## Q?\nA.\n")
    assert messages(parsed) == ["faq/a.md:1: front matter is never closed: add a '---' line after it"]
    assert parsed.entries == ()


def test_unknown_front_matter_key_suggests_the_closest_key() -> None:
    parsed = parse("---\nteam: a\nlanguage: zh\n---\n## 问?\n答。\n")
    assert errors(parsed) == ["faq/a.md:3: unknown front-matter key 'language' (did you mean 'lang'?)"]


def test_unknown_front_matter_key_without_a_close_match_lists_the_allowed_keys() -> None:
    parsed = parse("---\nowner: bob\n---\n## Q?\nA.\n")
    assert messages(parsed) == [
        "faq/a.md:2: unknown front-matter key 'owner' (allowed: escalate, funds, lang, tags, team)"
    ]


def test_duplicate_front_matter_key_names_the_first_line() -> None:
    parsed = parse("---\ntags: [a]\nteam: x\ntags: [b]\n---\n## Q?\nA.\n")
    assert messages(parsed) == ["faq/a.md:4: duplicate front-matter key 'tags' (first at line 2)"]


def test_lang_other_than_en_or_zh_is_an_error() -> None:
    parsed = parse("---\nlang: fr\n---\n## Q?\nA.\n")
    assert messages(parsed) == ["faq/a.md:2: lang must be 'en' or 'zh', not 'fr'"]


def test_team_must_be_lowercase_letters_digits_and_dashes() -> None:
    parsed = parse("---\nteam: Redemption Desk\n---\n## Q?\nA.\n")
    assert messages(parsed) == [
        "faq/a.md:2: team must be lowercase letters, digits and '-', like 'redemption-desk', not 'Redemption Desk'"
    ]


def test_team_must_not_be_empty_or_a_list() -> None:
    assert errors(parse("---\nteam:\n---\n## Q?\nA.\n"))[0].endswith("not an empty value")
    assert errors(parse("---\nteam: [a]\n---\n## Q?\nA.\n"))[0].endswith("not a list")


def test_funds_must_be_a_list() -> None:
    parsed = parse('---\nfunds: "110022"\n---\n## Q?\nA.\n')
    assert messages(parsed) == [
        "faq/a.md:2: funds must be a list of 6-digit fund codes like [\"110022\"], not '110022'"
    ]


def test_fund_code_that_is_not_six_digits_is_reported_at_its_line() -> None:
    parsed = parse('---\nfunds:\n  - "110022"\n  - "11002A"\n  - 1234567\n---\n## Q?\nA.\n')
    assert messages(parsed) == [
        "faq/a.md:4: fund code '11002A' is not 6 digits",
        "faq/a.md:5: fund code '1234567' is not 6 digits",
    ]


def test_fund_code_must_be_a_string_or_a_number() -> None:
    parsed = parse("---\nfunds: [true, 1.5]\n---\n## Q?\nA.\n")
    assert messages(parsed) == [
        "faq/a.md:2: fund code must be a string of 6 digits, not true",
        "faq/a.md:2: fund code must be a string of 6 digits, not 1.5",
    ]


def test_tags_must_be_a_list_of_strings() -> None:
    assert messages(parse("---\ntags: redemption\n---\n## Q?\nA.\n")) == [
        "faq/a.md:2: tags must be a list of strings, not 'redemption'"
    ]
    assert messages(parse("---\ntags: [ok, 5, '']\n---\n## Q?\nA.\n")) == [
        "faq/a.md:2: each tag must be a non-empty string, not 5",
        "faq/a.md:2: each tag must be a non-empty string, not ''",
    ]


def test_escalate_must_be_true_or_false() -> None:
    parsed = parse("---\nescalate: sometimes\n---\n## Q?\nA.\n")
    assert messages(parsed) == ["faq/a.md:2: escalate must be true or false, not 'sometimes'"]


# -- entry problems -----------------------------------------------------------------------


def test_heading_without_question_text_is_an_error() -> None:
    parsed = parse("## \nA.\n\n## {#only-id}\nB.\n")
    assert messages(parsed) == [
        "faq/a.md:1: heading has no question text",
        "faq/a.md:4: heading has no question text",
    ]
    assert parsed.entries == ()


def test_bad_id_syntax_is_an_error() -> None:
    parsed = parse("## Q? {#Bad Id}\nA.\n")
    assert messages(parsed) == [
        "faq/a.md:1: invalid id 'Bad Id': use lowercase letters, digits, '-' and '_', starting with a letter or digit"
    ]


def test_duplicate_id_within_a_file_names_where_it_was_first_defined() -> None:
    parsed = parse("## One? {#x}\nA.\n\n## Two? {#x}\nB.\n\n## One?\nC.\n\n## One?\nD.\n")
    assert messages(parsed) == [
        "faq/a.md:4: duplicate id 'x' (first defined at faq/a.md:1)",
        "faq/a.md:10: duplicate id 'one' (first defined at faq/a.md:7)",
    ]
    assert [e.line for e in parsed.entries] == [1, 7]


def test_empty_answer_is_an_error() -> None:
    parsed = parse("## Q?\n\n\n## Next?\nA.\n")
    assert messages(parsed) == ["faq/a.md:1: empty answer"]


def test_empty_answer_after_a_list_explains_that_the_list_holds_phrasings() -> None:
    parsed = parse("## What documents do I need?\n- ID card\n- bank card\n")
    assert messages(parsed) == [
        "faq/a.md:1: empty answer (the list under the heading holds alternative phrasings; write the answer after it)"
    ]


def test_a_repeated_phrasing_is_a_warning_and_only_its_first_occurrence_serves() -> None:
    parsed = parse("## How do I redeem?\n- how do i redeem\n- Selling shares\n- selling  shares.\nA.\n")
    assert warnings(parsed) == [
        "faq/a.md:2: duplicate phrasing 'how do i redeem' (same as line 1); only the first is kept",
        "faq/a.md:4: duplicate phrasing 'selling  shares.' (same as line 3); only the first is kept",
    ]
    assert parsed.clean
    assert parsed.entries[0].phrasings == ("How do I redeem?", "Selling shares")


def test_full_width_punctuation_does_not_make_chinese_phrasings_different() -> None:
    parsed = parse("---\nlang: zh\n---\n## 如何赎回？\n- 如何赎回?\n答。\n")
    assert warnings(parsed) == ["faq/a.md:5: duplicate phrasing '如何赎回?' (same as line 4); only the first is kept"]
    assert parsed.entries[0].alternatives == ()


def test_empty_alternative_bullet_is_an_error_of_its_entry() -> None:
    parsed = parse("## Q?\n- one\n-\n- \nA.\n")
    assert messages(parsed) == [
        "faq/a.md:3: empty alternative phrasing",
        "faq/a.md:4: empty alternative phrasing",
    ]
    assert [p.entry_line for p in parsed.problems] == [1, 1]
    assert parsed.entries == ()


def test_unclosed_code_fence_is_an_error_of_the_whole_file_at_the_fence() -> None:
    parsed = parse("## Q?\nA.\n```\ncode\n## Swallowed?\nB.\n")
    assert messages(parsed) == ["faq/a.md:3: code fence '```' is never closed, so everything after it is answer text"]
    assert not parsed.ok and parsed.entries == ()


def test_a_title_after_the_first_entry_is_a_warning_and_is_ignored() -> None:
    parsed = parse("## Q?\nA.\n# Title\n")
    assert warnings(parsed) == ["faq/a.md:3: a '#' title must come before the first '##' entry; this one is ignored"]
    assert parsed.clean
    assert (parsed.entries[0].answer, parsed.entries[0].title) == ("A.", None)


def test_a_second_title_is_a_warning_and_the_first_one_applies() -> None:
    parsed = parse("# One\n# Two\n## Q?\nA.\n")
    assert warnings(parsed) == [
        "faq/a.md:2: only one '#' title is allowed (the first is at line 1); this one is ignored"
    ]
    assert parsed.clean
    assert parsed.entries[0].title == "One"


# -- file problems and warnings -----------------------------------------------------------


def test_non_utf8_file_is_an_error_at_the_line_of_the_bad_byte(tmp_path: Path) -> None:
    file = tmp_path / "latin.md"
    file.write_bytes(b"## Fees?\nCaf\xe9 fees apply.\n")
    parsed = parse_file(file, tmp_path)
    assert messages(parsed) == ["latin.md:2: file is not valid UTF-8 (byte 0xe9); save it as UTF-8"]
    assert not parsed.ok and parsed.entries == ()
    assert parsed.problems[0].scope == "file"


def test_gbk_file_is_recognised_as_gbk(tmp_path: Path) -> None:
    file = tmp_path / "gbk.md"
    file.write_bytes("---\nlang: zh\n---\n## 如何赎回？\n答。\n".encode("gbk"))
    assert messages(parse_file(file, tmp_path)) == [
        "gbk.md:4: file is not valid UTF-8 (byte 0xc8; it looks like GBK/GB18030); save it as UTF-8"
    ]


def test_file_without_entries_is_only_a_warning() -> None:
    parsed = parse("---\nteam: a\n---\n# Just a title\n")
    assert warnings(parsed) == ["faq/a.md:1: no entries: a FAQ file needs at least one '## question' heading"]
    assert parsed.ok


def test_text_between_the_title_and_the_first_entry_is_a_warning() -> None:
    parsed = parse("# Redemption\n\nIntro text.\nMore intro.\n\n## Q?\nA.\n")
    assert warnings(parsed) == ["faq/a.md:3: text before the first '##' entry is ignored"]
    assert parsed.ok


def test_hashes_without_a_space_are_a_warning() -> None:
    parsed = parse("## Q?\nA.\n\n##Forgot the space?\nB.\n")
    assert warnings(parsed) == ["faq/a.md:4: '##' needs a space after it to start an entry"]


def test_answer_over_1500_characters_is_a_warning() -> None:
    parsed = parse("## Q?\n" + "x" * 1501 + "\n")
    assert warnings(parsed) == ["faq/a.md:1: answer is 1,501 characters; keep it under 1,500"]
    assert parsed.ok
    assert parse("## Q?\n" + "x" * 1500 + "\n").problems == ()


def test_chinese_question_in_an_en_file_is_a_warning() -> None:
    parsed = parse("## 如何赎回？\n答。\n")
    assert warnings(parsed) == [
        "faq/a.md:1: question looks Chinese but lang is 'en' (missing 'lang: zh' in the front matter?)"
    ]


def test_english_question_in_a_zh_file_is_a_warning() -> None:
    parsed = parse("---\nlang: zh\n---\n## How do I redeem?\nA.\n")
    assert warnings(parsed) == [
        "faq/a.md:4: question does not look Chinese but lang is 'zh' (wrong 'lang' in the front matter?)"
    ]


def test_a_chinese_fund_name_or_a_latin_acronym_does_not_trigger_the_lang_warning() -> None:
    assert parse("## How do I buy 易方达蓝筹?\nA.\n").problems == ()
    assert parse("---\nlang: zh\n---\n## QDII基金如何赎回？\nA.\n").problems == ()


def test_problems_come_sorted_by_line() -> None:
    parsed = parse("---\nlang: zh\nbad: 1\n---\n## \n\n## Q? {#Bad}\nA.\n")
    assert [p.line for p in parsed.problems] == [3, 5, 5, 7]

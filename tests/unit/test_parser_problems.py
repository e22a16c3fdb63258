"""Every problem the FAQ parser reports: in front matter, in an entry, in a whole file, and the warnings."""

from __future__ import annotations

from pathlib import Path

from knowledge_base.parser import parse_file
from tests.unit.test_parser import errors, messages, parse, warnings

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

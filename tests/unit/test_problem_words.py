"""Every FAQ problem says the same thing in English and Chinese: lint prints the English it always printed, and the
console's Knowledge base page can say it in Chinese from the code and values an action server stored."""

from __future__ import annotations

import string
import textwrap

from knowledge_base.health import health
from knowledge_base.parser import parse_text
from knowledge_base.problem_words import LANGS, WORDS, say, translations


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_problem_has_words_in_both_languages_with_the_same_values() -> None:
    for code, words in WORDS.items():
        assert set(words) == set(LANGS), code
        assert fields(words["en"]) == fields(words["zh"]), code
        assert words["zh"] != words["en"], code


def test_a_problem_keeps_its_code_and_values_and_prints_the_english_it_always_printed() -> None:
    text = textwrap.dedent("""
        ---
        lang: zh
        tema: funds
        ---
        ## 怎么赎回？ {#Bad_Id}
        - 怎么卖出
        - 怎么卖出

        在 App 里点“卖出”。
        """).lstrip()
    problems = {p.code: p for p in parse_text(text, "faq/redemption.md").problems}
    assert set(problems) == {"fm_unknown_key_close", "bad_id", "duplicate_phrasing"}
    bad_id = problems["bad_id"]
    assert bad_id.labelled() == (
        "faq/redemption.md:5: invalid id 'Bad_Id': use lowercase letters, digits, '-' and '_', "
        "starting with a letter or digit"
    )
    assert dict(bad_id.params) == {"id": "Bad_Id"}
    in_chinese = "id“Bad_Id”无效：只能用小写字母、数字、“-”和“_”，并以字母或数字开头"
    assert say("bad_id", dict(bad_id.params), "zh") == in_chinese
    assert problems["fm_unknown_key_close"].message == "unknown front-matter key 'tema' (did you mean 'team'?)"
    assert dict(problems["duplicate_phrasing"].params) == {"text": "怎么卖出", "first": "6"}


def test_the_health_report_carries_the_code_and_values_to_the_console() -> None:
    parsed = parse_text("## Fees? {#fees}\n\n" + "x" * 5000 + "\n", "fees.md")
    checked = health([parsed], {"fees.md": parsed.entries})
    [report] = checked.problems
    assert (report.code, report.params) == ("long_answer", {"length": "5,000", "limit": "1,500"})
    [stored] = checked.problems_as_dicts()  # what an action server writes to kb_status
    assert (stored["code"], stored["params"]) == ("long_answer", {"length": "5,000", "limit": "1,500"})
    assert translations(report.code, report.params)["zh"] == "答案有 5,000 个字符；请控制在 1,500 个字符以内"


def test_a_code_or_values_this_release_does_not_know_leave_only_the_stored_english() -> None:
    assert translations("from_a_newer_release", {}) == {}
    assert translations("bad_id", {"identifier": "x"}) == {}

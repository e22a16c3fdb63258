"""The FAQ parser under hypothesis: whatever the text or bytes, it returns a ParsedFile whose problems
name a line of the file, never raises, and a valid entry in another file (or before a hostile
section) still serves."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knowledge_base.entries import ParsedFile
from knowledge_base.lint import check_ids_across
from knowledge_base.parser import parse_file, parse_text

VALID = "## How long until redemption money arrives? {#redemption-arrival}\n- when is my money paid\n\nT+1 to T+4.\n"

# Lines a FAQ file is made of, and the hostile ones it may hold: the parser meets them in any order.
PIECES = st.sampled_from(
    [
        "---",
        "lang: zh",
        "lang: [en",
        "team: trading-desk",
        "funds: [012345, '110022', 1e3]",
        "tags: !!python/object/apply:os.system ['echo pwned']",
        "a: &a [x, x, x, x, x, x, x, x, x]",
        "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]",
        "*b : boom",
        "? [complex, key]\n: value",
        "escalate: yes",
        "!!binary aGVsbG8=",
        "%YAML 1.1",
        "# Title",
        "## Question? {#q}",
        "## Question? {#q}",  # twice: duplicate ids
        "## {#Bad Id}",
        "##no-space",
        "- phrasing",
        "-",
        "```",
        "~~~",
        "Answer text **bold** <script>alert(1)</script>",
        "\ufeff",
        "\x00\x01\x1b[31m",
        "\ud800",
        "   ",
        "\t",
        "\r",
        "赎回多久到账？ 🙂",
        "x" * 2000,
    ]
)
FAQ_LIKE = st.lists(st.one_of(PIECES, st.text(max_size=40)), max_size=40).map("\n".join)


def _check(parsed: ParsedFile, text: str) -> None:
    lines = text.count("\n") + text.count("\r") + 2
    assert isinstance(parsed, ParsedFile)
    assert all(1 <= p.line <= lines and p.message for p in parsed.problems), parsed.problems
    assert all(str(p).startswith(f"{parsed.path}:{p.line}: ") for p in parsed.problems)
    if any(p.severity == "error" and p.entry_line is None for p in parsed.problems):
        assert parsed.entries == ()  # a file-level error serves nothing of the file


@settings(max_examples=300, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=3000))
def test_any_text_parses_into_entries_and_problems_without_raising(text: str) -> None:
    _check(parse_text(text, "faq/any.md"), text)


@settings(max_examples=400, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(FAQ_LIKE)
def test_any_mix_of_faq_lines_and_hostile_ones_parses_without_raising(text: str) -> None:
    _check(parse_text(text, "faq/mixed.md"), text)


@settings(max_examples=200, database=None, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=4000))
def test_any_bytes_in_a_file_parse_without_raising(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "garbage.md"
    path.write_bytes(data)
    parsed = parse_file(path, tmp_path)
    assert isinstance(parsed, ParsedFile) and parsed.path == "garbage.md"
    assert all(p.line >= 1 for p in parsed.problems)


@settings(max_examples=300, database=None, deadline=None)
@given(FAQ_LIKE)
def test_a_valid_entry_in_another_file_survives_next_to_a_hostile_one(hostile: str) -> None:
    good, bad = parse_text(VALID, "faq/a-good.md"), parse_text(hostile, "faq/b-hostile.md")
    checked_good, _ = check_ids_across([good, bad])
    assert [e.id for e in checked_good.entries] == ["redemption-arrival"]


@settings(max_examples=300, database=None, deadline=None)
@given(st.lists(st.one_of(PIECES.filter(lambda line: "`" not in line and "~" not in line), st.just("")), max_size=20))
def test_a_valid_entry_survives_a_hostile_section_after_it_in_the_same_file(after: list[str]) -> None:
    text = VALID + "\n" + "\n".join(line for line in after if line.strip() != "---")
    parsed = parse_text(text, "faq/mixed.md")
    assert "redemption-arrival" in [e.id for e in parsed.entries], parsed.problems

"""Hostile FAQ files dropped into a live knowledge base: a YAML bomb, a 50 MB file, duplicate ids,
binary garbage. None takes serving down: each is reported as ``file:line``, the file's last good
version keeps serving, and every other file serves as before."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from knowledge_base.parser import MAX_FILE_BYTES
from knowledge_base.service import KnowledgeBase
from tests.conftest import WriteFaq

OpenKb = Callable[..., KnowledgeBase]

GOOD = """
## How long until redemption money reaches my bank card? {#redemption-arrival}
- When will I receive the money after I redeem?

Usually one to four trading days after confirmation.
"""
VICTIM = """
## What is the redemption fee? {#redemption-fee}
- how much does selling cost

It depends on how long you held the shares.
"""
LAUGHS = "\n".join(
    [
        "---",
        'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
        *(f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]" for a, b in zip("abcdefgh", "bcdefghi", strict=True)),
        "tags: *i",
        "*i : boom",
        "---",
        "## What is the redemption fee? {#redemption-fee}",
        "",
        "Free, says the bomb.",
        "",
    ]
)


def _gigantic(path: Path) -> None:
    block = ("## Is this a FAQ? {#spam-%d}\n\n" + "Spam. " * 150 + "\n\n").encode()
    with path.open("wb") as out:
        for i in range(50 * 1024 * 1024 // len(block) + 1):
            out.write(block.replace(b"%d", str(i).encode()))


def _binary(path: Path) -> None:
    path.write_bytes(os.urandom(64 * 1024))


def _nul_text(path: Path) -> None:
    path.write_text("---\nlang: en\x00\n---\n## Q? {#q}\nA.\n" + "\x00\x1b" * 1000, encoding="utf-8")


def _duplicates(path: Path) -> None:
    path.write_text(GOOD + "\n" + VICTIM.replace("It depends", "Duplicate"), encoding="utf-8")


def _bomb(path: Path) -> None:
    path.write_text(LAUGHS, encoding="utf-8")


HOSTILE = {"bomb": _bomb, "gigantic": _gigantic, "binary": _binary, "nul": _nul_text}


def _errors(kb: KnowledgeBase, file: str) -> list[str]:
    return [str(p) for p in kb.problems if p.severity == "error" and p.file == file]


def _answers(kb: KnowledgeBase, question: str) -> str:
    best = kb.ask(question).decision.best
    return best.entry.id if best else ""


@pytest.mark.parametrize("make", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_file_is_reported_and_its_last_good_version_and_the_others_keep_serving(
    write_faq: WriteFaq, open_kb: OpenKb, make: Callable[[Path], None]
) -> None:
    write_faq("good.md", GOOD)
    victim = write_faq("victim.md", VICTIM)
    kb = open_kb()
    before = kb.entry("redemption-fee")
    make(victim)
    report = kb.reload()
    assert report.rejected == ("victim.md",)
    assert kb.entry("redemption-fee") == before  # the last good version, whole
    assert kb.entry("redemption-arrival") is not None
    [error] = _errors(kb, "victim.md")
    assert error.startswith("victim.md:") and error.split(":")[1].isdigit()
    assert _answers(kb, "When will I receive the money after I redeem?") == "redemption-arrival"


def test_the_yaml_bomb_is_refused_at_its_first_anchor_without_expanding_it(
    write_faq: WriteFaq, open_kb: OpenKb
) -> None:
    write_faq("bomb.md", LAUGHS)
    kb = open_kb()
    assert _errors(kb, "bomb.md") == [
        "bomb.md:2: anchors and aliases (&name, *name) are not allowed in front matter: write values out"
    ]
    assert kb.entry("redemption-fee") is None


def test_a_gigantic_file_is_refused_unread_naming_its_size(write_faq: WriteFaq, open_kb: OpenKb, faq_dir: Path) -> None:
    write_faq("good.md", GOOD)
    _gigantic(faq_dir / "huge.md")
    kb = open_kb()
    [error] = _errors(kb, "huge.md")
    assert error.startswith("huge.md:1: file is 52,") and f"{MAX_FILE_BYTES:,}" in error
    assert [e.id for e in kb.index.entries] == ["redemption-arrival"]


def test_a_file_reusing_every_id_loses_them_to_the_file_that_had_them_first(
    write_faq: WriteFaq, open_kb: OpenKb, faq_dir: Path
) -> None:
    write_faq("good.md", GOOD)
    write_faq("victim.md", VICTIM)
    kb = open_kb()
    _duplicates(faq_dir / "copycat.md")
    kb.reload()
    assert kb.entry("redemption-fee").answer.startswith("It depends")  # type: ignore[union-attr]
    assert sorted(e.split(": ")[0] for e in _errors(kb, "copycat.md")) == ["copycat.md:2", "copycat.md:8"]
    assert _answers(kb, "how much does selling cost") == "redemption-fee"


def test_fixing_the_hostile_file_serves_the_new_version(write_faq: WriteFaq, open_kb: OpenKb) -> None:
    write_faq("good.md", GOOD)
    victim = write_faq("victim.md", VICTIM)
    kb = open_kb()
    _bomb(victim)
    kb.reload()
    write_faq("victim.md", VICTIM.replace("It depends", "Nothing after a year; before, it depends"))
    kb.reload()
    assert _errors(kb, "victim.md") == []
    assert kb.entry("redemption-fee").answer.startswith("Nothing after a year")  # type: ignore[union-attr]

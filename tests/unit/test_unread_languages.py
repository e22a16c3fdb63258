"""The action server says so when spike clustering runs on a model that does not read a knowledge-base language."""

from __future__ import annotations

from dataclasses import dataclass, field

from actions.__main__ import unread_languages


@dataclass
class Entry:
    lang: str


@dataclass
class Index:
    entries: list[Entry] = field(default_factory=list)


@dataclass
class Embedder:
    languages: frozenset[str] | None


@dataclass
class KnowledgeBase:
    embedder: Embedder
    index: Index


def test_an_english_only_model_over_a_bilingual_faq_leaves_chinese_unread() -> None:
    kb = KnowledgeBase(Embedder(frozenset({"en"})), Index([Entry("en"), Entry("zh"), Entry("zh")]))
    assert unread_languages(kb) == ["zh"]


def test_a_model_that_reads_every_language_of_the_faq_leaves_none_unread() -> None:
    kb = KnowledgeBase(Embedder(frozenset({"en", "zh"})), Index([Entry("en"), Entry("zh")]))
    assert unread_languages(kb) == []


def test_a_model_whose_card_declares_no_language_is_taken_at_its_word() -> None:
    assert unread_languages(KnowledgeBase(Embedder(None), Index([Entry("zh")]))) == []

"""A small-talk intent must share a word with its own training examples (bot/vocabulary.py)."""

from __future__ import annotations

import pytest

from bot.vocabulary import knows, unfounded, vocabulary
from knowledge_base.typos import one_edit

VOCAB = {
    intent: frozenset(words)
    for intent, words in vocabulary(
        [
            ("thanks", ["thanks", "!"]),
            ("thanks", ["thank", "you"]),
            ("thanks", ["谢谢"]),
            ("affirm", ["ok"]),
            ("affirm", ["好", "的"]),
            ("ask_question", ["how", "do", "i", "redeem"]),
        ]
    ).items()
}


def test_the_vocabulary_keeps_the_words_of_small_talk_intents_only() -> None:
    assert {"thanks": {"thanks", "thank", "you", "谢谢"}, "affirm": {"ok", "好", "的"}} == VOCAB


@pytest.mark.parametrize(
    ("intent", "tokens"), [("thanks", ["qwerty", "zxcv"]), ("affirm", ["asdfgh"]), ("thanks", ["哈哈"])]
)
def test_small_talk_without_a_word_of_its_examples_is_unfounded(intent: str, tokens: list[str]) -> None:
    assert unfounded(intent, tokens, VOCAB)


@pytest.mark.parametrize(
    ("intent", "tokens"),
    [
        ("thanks", ["Thanks"]),  # case does not matter
        ("thanks", ["thnks"]),  # one slip from a known word
        ("thanks", ["many", "thanks"]),  # one known word is enough
        ("affirm", ["👍"]),  # no word at all: the classifier's verdict stands
        ("affirm", ["1234"]),
        ("ask_question", ["qwerty"]),  # goes to the knowledge base anyway
        ("choose_faq", ["zzz"]),
    ],
)
def test_a_message_with_a_known_word_or_no_word_keeps_its_intent(intent: str, tokens: list[str]) -> None:
    assert not unfounded(intent, tokens, VOCAB)


def test_short_words_are_not_read_as_slips() -> None:
    assert not knows("okk", frozenset({"ok"}))
    assert not knows("bah", frozenset({"bye"}))
    assert knows("thnaks", frozenset({"thanks"}))


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("thanks", "thanks", False),
        ("thnks", "thanks", True),
        ("thankss", "thanks", True),
        ("thanls", "thanks", True),
        ("htanks", "thanks", True),
        ("thakns", "thanks", True),
        ("thnaks", "thanks", True),
        ("tanhks", "thanks", False),  # two substitutions, not a swap of neighbours
        ("thx", "thanks", False),
    ],
)
def test_a_slip_is_one_insertion_deletion_substitution_or_swap(a: str, b: str, expected: bool) -> None:
    assert (b in one_edit(a)) is expected
    assert (a in one_edit(b)) is expected

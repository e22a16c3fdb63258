"""Which words an intent was trained on, and whether a message shares any of them.

DIET's confidence means something only on messages like its training examples. On a message
none of whose words it has seen ("qwerty zxcv", "asdfgh", "blah blah") its character n-grams
still point somewhere, often with confidence 0.8-0.9, and a small-talk reply goes out:
"You're welcome!" to gibberish. So a small-talk prediction (greet, thanks, affirm, ...) must share
a word with that intent's own training examples. Where it shares none, the message is treated as
Rasa's ``nlu_fallback`` and goes to the knowledge base, which asks the investor to rephrase.

A word is known if an example of the intent holds it, or, for a word of four letters or more,
one typing slip away from one of three or more (a letter dropped, added, changed, or two
swapped, as the knowledge base reads typos: :func:`knowledge_base.typos.one_edit`): "thnks" is
"thanks". Words without letters (numbers, emoji, punctuation) say
nothing either way: a message of only those keeps the classifier's verdict, so "👍" can still be a
yes. Plain Python, no Rasa: the Rasa component (:mod:`bot.known_words`) stores and applies it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from knowledge_base.typos import MIN_LETTERS, one_edit

# Intents whose prediction leads to a canned reply, not to the knowledge base. ask_question and
# nlu_fallback already go to the knowledge base; choose_faq and back_to_bot come as button payloads.
GUARDED = frozenset({"greet", "goodbye", "thanks", "affirm", "deny", "bot_challenge", "request_human", "out_of_scope"})
FORMAT = 1  # what :func:`vocabulary` keeps; raise it when that changes
MIN_KNOWN_LETTERS = 3


def has_letters(word: str) -> bool:
    return any(c.isalpha() for c in word)


def words_of(tokens: Iterable[str]) -> list[str]:
    """The tokens that are words (hold a letter of any script), case-folded."""
    return [t.casefold() for t in tokens if has_letters(t)]


def vocabulary(examples: Iterable[tuple[str, Iterable[str]]]) -> dict[str, list[str]]:
    """``intent -> sorted words`` from (intent, tokens) training examples, for the guarded intents."""
    found: dict[str, set[str]] = {}
    for intent, tokens in examples:
        if intent in GUARDED:
            found.setdefault(intent, set()).update(words_of(tokens))
    return {intent: sorted(words) for intent, words in sorted(found.items())}


def knows(word: str, known: frozenset[str]) -> bool:
    if word in known:
        return True
    if len(word) < MIN_LETTERS or not word.isascii():
        return False
    return any(len(k) >= MIN_KNOWN_LETTERS for k in one_edit(word) & known)


def unfounded(intent: str | None, tokens: Iterable[str], vocab: Mapping[str, frozenset[str]]) -> bool:
    """True when ``intent`` is a guarded small-talk intent and the message's words include none of
    its training words (and the message has words at all)."""
    if intent not in GUARDED or intent not in vocab:
        return False
    words = words_of(tokens)
    return bool(words) and not any(knows(w, vocab[intent]) for w in words)

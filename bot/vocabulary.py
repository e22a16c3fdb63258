"""Which words an intent was trained on, and whether a message shares any of them.

DIET's confidence means something only on messages like its training examples. On a message
none of whose words it has seen ("qwerty zxcv", "asdfgh", "blah blah") its character n-grams
still point somewhere, often with confidence 0.8-0.9, and a small-talk reply goes out:
"You're welcome!" to gibberish. So a small-talk prediction (greet, thanks, affirm, ...) must share
a word with that intent's own training examples. Where it shares none, the message is treated as
Rasa's ``nlu_fallback`` and goes to the knowledge base, which asks the investor to rephrase.

A word is known if an example of the intent holds it, or, for a word of four letters or more,
one typing slip away from one of three or more (a letter dropped, added, changed, or two
swapped): "thnks" is "thanks". Words without letters (numbers, emoji, punctuation) say
nothing either way: a message of only those keeps the classifier's verdict, so "👍" can still be a
yes. Plain Python, no Rasa: the Rasa component (:mod:`bot.known_words`) stores and applies it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

# Intents whose prediction leads to a canned reply, not to the knowledge base. ask_question and
# nlu_fallback already go to the knowledge base; choose_faq and back_to_bot come as button payloads.
GUARDED = frozenset({"greet", "goodbye", "thanks", "affirm", "deny", "bot_challenge", "request_human", "out_of_scope"})
FORMAT = 1  # what :func:`vocabulary` keeps; raise it when that changes
MIN_SLIP_LETTERS = 4  # a shorter word one edit from a known one is as often another word ("bah", "bye")
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


def one_slip(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by one insertion, deletion, substitution or swap of neighbours."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diffs) == 1:
            return True
        i = diffs[0]
        return len(diffs) == 2 and diffs[1] == i + 1 and a[i] == b[i + 1] and a[i + 1] == b[i]
    short, long = (a, b) if len(a) < len(b) else (b, a)
    i = next((k for k, (x, y) in enumerate(zip(short, long, strict=False)) if x != y), len(short))
    return short[i:] == long[i + 1 :]


def knows(word: str, known: frozenset[str]) -> bool:
    if word in known:
        return True
    if len(word) < MIN_SLIP_LETTERS or not word.isascii():
        return False
    return any(len(k) >= MIN_KNOWN_LETTERS and one_slip(word, k) for k in known)


def unfounded(intent: str | None, tokens: Iterable[str], vocab: Mapping[str, frozenset[str]]) -> bool:
    """True when ``intent`` is a guarded small-talk intent and the message's words include none of
    its training words (and the message has words at all)."""
    if intent not in GUARDED or intent not in vocab:
        return False
    words = words_of(tokens)
    return bool(words) and not any(knows(w, vocab[intent]) for w in words)

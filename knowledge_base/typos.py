"""English typos: a word the knowledge base never holds, one keystroke from one it holds, read as that word.

Investors type on phones: "redemtion", "acount", "dividnd". A typo is a word no entry holds, so the
lexical channel counts it against the match (an unknown word is evidence the question asks about
something else) instead of for it. Measured on the shipped FAQ's English dev questions with one
keystroke slip each, answered right fell by 13–16 points.

So before a question is scored, an English word whose stem no entry holds, and which is not a word
of everyday English (pyspellchecker's frequency list, 160,000 words), is read as a word one edit
away (a letter dropped, added, changed, or two swapped: Damerau's four) that an entry holds.
A real word is what the investor meant: "feed" is never read as "fee". Words under four letters
are left alone: one edit is a third of a three-letter word, and in an investor's message a short
word the dictionary lacks is mostly a code (usd, cny, lof), not a slip ("usd" is not "use"). The
part of a word before an apostrophe is not a word to read a typo as ("didnt" stays "didnt", not
the "didn" of "didn't").
When several words fit, an everyday word beats a term of the trade, then the one in the most
entries wins, then the first in alphabetical order. Nothing is fitted.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable

MIN_LETTERS = 4  # shorter: codes (usd, cny, lof) more often than slips, and one edit is a third of the word
_LETTERS = re.compile(r"[A-Za-z]+")


def one_edit(word: str) -> set[str]:
    """Every string one deletion, transposition, substitution or insertion from ``word`` (lowercase letters)."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = [a + b[1:] for a, b in splits if b]
    swaps = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    changes = [a + c + b[1:] for a, b in splits if b for c in string.ascii_lowercase]
    inserts = [a + c + b for a, b in splits for c in string.ascii_lowercase]
    return set(deletes + swaps + changes + inserts) - {word}


class Typos:
    """The knowledge base's English words, each with the number of entries that hold it."""

    def __init__(self, words: Iterable[tuple[str, float]], known: Callable[[str], bool]) -> None:
        """``words``: every word of the knowledge base's text; ``known``: whether a word's term is one an entry
        holds (in another form, or through a synonym: "redeems", "redemption")."""
        self.words = dict(words)
        self.known = known

    def __bool__(self) -> bool:
        return bool(self.words)

    def respell(self, text: str, is_word: Callable[[str], bool]) -> str:
        """``text`` as the investor wrote it, with only its typos replaced (lowercase).

        ``is_word`` says whether a word is one of everyday English, which is what the investor meant."""
        if not self.words:
            return text

        def fixed(m: re.Match[str]) -> str:
            word = m.group()
            meant = self._word(word.lower(), is_word)
            return word if meant == word.lower() else meant

        return _LETTERS.sub(fixed, text)

    def _word(self, word: str, is_word: Callable[[str], bool]) -> str:
        if len(word) < MIN_LETTERS or word in self.words or is_word(word) or self.known(word):
            return word
        fits = one_edit(word) & self.words.keys()
        if not fits:
            return word
        return min(fits, key=lambda v: (not is_word(v), -self.words[v], v))

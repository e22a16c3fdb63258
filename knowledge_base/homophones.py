"""Homophone slips: Chinese typed with a pinyin input method, read as the investor meant it.

A pinyin input method lists the characters that share the typed sound, and a hurried investor
takes the wrong one: 净直 for 净值, 定投 becomes 定头, 银行卡 becomes 银航卡. The characters no longer
match the knowledge base; the sound still does. Measured on the shipped FAQ's Chinese dev
questions with one such slip each (``bench/typing_slips.py``), answered right fell by 8–20 points.

So before a question is scored, a character bigram the knowledge base has never seen is read as a
bigram it has seen that keeps one of the two characters in place while the other shares a reading
with the one typed (toneless pinyin, as the input method is typed; a character with several
readings, 行 as xing or hang, may have been typed by any). Only inside one of jieba's segments
that is not a word of everyday Chinese (jieba's dictionary): a slip breaks a word, and jieba then
glues its characters into an unknown segment (周净直, 银航卡). A real word is what the investor meant
(公积金, the housing fund, is never read as 公基金 however many entries say 基金), and two words side
by side stay apart ("买/了" is never read as "卖了"). When several known bigrams fit, the one in the
most entries wins, then the first in character order. Nothing is fitted.

Readings come from pypinyin's character table alone: its phrase table (57 MB in memory) would only
pick one reading per character in context, and every reading counts here.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable

from funddesk.text import CJK_RUN


@functools.lru_cache(maxsize=65536)
def readings(char: str) -> frozenset[str]:
    """Every toneless pinyin reading of a Chinese character (empty for anything else)."""
    os.environ.setdefault("PYPINYIN_NO_PHRASES", "true")  # read before pypinyin's first import: no phrase table
    from pypinyin import Style, pinyin

    found = pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore")
    return frozenset(r for group in found for r in group if r and r != char)


class Homophones:
    """The knowledge base's Chinese character bigrams, by the character kept and the other's reading."""

    def __init__(self, bigrams: Iterable[tuple[str, float]]) -> None:
        """``bigrams``: every known Chinese character bigram with the number of entries that hold it."""
        self.known: dict[str, float] = {}
        self._by_kept: dict[tuple[int, str, str], list[str]] = {}
        for bigram, entries in bigrams:
            self.known[bigram] = entries
            for reading in readings(bigram[1]):
                self._by_kept.setdefault((0, bigram[0], reading), []).append(bigram)
            for reading in readings(bigram[0]):
                self._by_kept.setdefault((1, bigram[1], reading), []).append(bigram)

    def __bool__(self) -> bool:
        return bool(self.known)

    def heard(self, normal: str, words: Callable[[str], list[str]], is_word: Callable[[str], bool]) -> str:
        """``normal`` (normalised text) with every slip replaced by the bigram it sounds like.

        ``words`` segments a run of Chinese characters; ``is_word`` says whether a segment is a word
        of everyday Chinese, which is what the investor meant (公积金 stays 公积金)."""
        if not self.known:
            return normal
        return CJK_RUN.sub(
            lambda m: "".join(w if len(w) < 2 or is_word(w) else self._word(w) for w in words(m.group())), normal
        )

    def meant(self, typed: str) -> str | None:
        """The known bigram an unknown bigram sounds like, keeping one of its characters; None if there is none."""
        if typed in self.known:
            return None
        fits = {b for r in readings(typed[1]) for b in self._by_kept.get((0, typed[0], r), ())}
        fits.update(b for r in readings(typed[0]) for b in self._by_kept.get((1, typed[1], r), ()))
        return min(fits, key=lambda b: (-self.known[b], b)) if fits else None

    def _word(self, word: str) -> str:
        chars = list(word)
        for j in range(len(chars) - 1):
            bigram = self.meant(chars[j] + chars[j + 1])
            if bigram is not None:
                chars[j : j + 2] = bigram
        return "".join(chars)


def chinese_bigrams(vocabulary: dict[str, int]) -> list[tuple[str, int]]:
    """The vocabulary's terms that are Chinese character bigrams, with their columns."""
    return [(term, col) for term, col in vocabulary.items() if len(term) == 2 and CJK_RUN.fullmatch(term)]

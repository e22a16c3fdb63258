"""Homophone slips: Chinese typed with a pinyin input method, read as the investor meant it.

A pinyin input method lists the characters that share the typed sound, and a hurried investor
takes the wrong one: 净直 for 净值, 定投 becomes 定头, 银行卡 becomes 银航卡. The characters no longer
match the knowledge base; the sound still does. Measured on the shipped FAQ's Chinese dev
questions with one such slip each (``bench/experiments/homophone_typos.py``), answered right fell
by 8–20 points.

So before a question is scored, a character bigram the knowledge base has never seen is read as a
bigram it has seen, when both are said the same (toneless pinyin, as the input method is typed)
and they share one of their two characters in the same place. Only inside one of jieba's segments
that is not a word of everyday Chinese (jieba's dictionary): a slip breaks a word, and jieba then
glues its characters into an unknown segment (周净直, 银航卡). A real word is what the investor meant
(公积金, the housing fund, is never read as 公基金 however many entries say 基金), and two words side
by side stay apart ("买/了" is never read as "卖了"). When several known bigrams fit, the one in the
most entries wins. Nothing is fitted.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

from funddesk.text import CJK_RUN


@functools.lru_cache(maxsize=65536)
def sound(text: str) -> str:
    """Toneless pinyin, syllables separated by spaces (pypinyin reads common words in context: 银行 is yin hang)."""
    from pypinyin import lazy_pinyin

    return " ".join(lazy_pinyin(text))


class Homophones:
    """The knowledge base's Chinese character bigrams by sound."""

    def __init__(self, bigrams: Iterable[tuple[str, float]]) -> None:
        """``bigrams``: every known Chinese character bigram with the number of entries that hold it."""
        self.known: dict[str, float] = {}
        self._by_sound: dict[str, list[str]] = {}
        for bigram, entries in bigrams:
            self.known[bigram] = entries
            self._by_sound.setdefault(sound(bigram), []).append(bigram)
        for group in self._by_sound.values():
            group.sort(key=lambda b: (-self.known[b], b))

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

    def _word(self, word: str) -> str:
        chars = list(word)
        for j in range(len(chars) - 1):
            typed = chars[j] + chars[j + 1]
            if typed in self.known:
                continue
            for bigram in self._by_sound.get(sound(typed), ()):
                if (bigram[0] == typed[0]) != (bigram[1] == typed[1]):  # exactly one character kept
                    chars[j : j + 2] = bigram
                    break
        return "".join(chars)


def chinese_bigrams(vocabulary: dict[str, int]) -> list[tuple[str, int]]:
    """The vocabulary's terms that are Chinese character bigrams, with their columns."""
    return [(term, col) for term, col in vocabulary.items() if len(term) == 2 and CJK_RUN.fullmatch(term)]

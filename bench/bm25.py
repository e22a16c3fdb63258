"""Plain BM25 over Chinese character unigrams + bigrams: the bar FundDesk's Chinese matching must clear."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

from funddesk.text import CJK, CJK_RUN

_RUN = re.compile(r"[a-z]+|\d+|" + CJK_RUN.pattern)


def tokens(text: str) -> list[str]:
    """The bar's own plain terms, independent of FundDesk's: lowercase words, digit runs, and
    Chinese character unigrams + bigrams. No normalisation, no segmentation, no synonyms."""
    out: list[str] = []
    for run in _RUN.findall(text.lower()):
        if CJK.match(run):
            out.extend(run)
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
        else:
            out.append(run)
    return out


class Bm25:
    def __init__(self, documents: Sequence[str], k1: float = 1.5, b: float = 0.75) -> None:
        self._docs = [Counter(tokens(d)) for d in documents]
        self._lengths = [sum(d.values()) for d in self._docs]
        self._avg = sum(self._lengths) / max(1, len(self._docs))
        df: Counter[str] = Counter(t for d in self._docs for t in d)
        n = len(self._docs)
        self._idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self._k1, self._b = k1, b

    def scores(self, query: str) -> list[float]:
        terms = [t for t in tokens(query) if t in self._idf]
        out = []
        for doc, length in zip(self._docs, self._lengths, strict=False):
            norm = self._k1 * (1 - self._b + self._b * length / self._avg)
            out.append(sum(self._idf[t] * doc[t] * (self._k1 + 1) / (doc[t] + norm) for t in terms if t in doc))
        return out


def top1_accuracy(phrasings: Sequence[tuple[str, str]], questions: Sequence[tuple[str, str]]) -> float:
    """``phrasings``: (entry id, text); best phrasing's entry must be the question's expected id."""
    index = Bm25([text for _, text in phrasings])
    hits = 0
    for question, expected in questions:
        scores = index.scores(question)
        best = max(range(len(scores)), key=scores.__getitem__)
        hits += phrasings[best][0] == expected
    return hits / max(1, len(questions))

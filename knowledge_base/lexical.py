"""The lexical channel: TF-IDF cosine over English word stems and Chinese character n-grams.

The packaged embedding model is English-only, so for Chinese this channel carries the match;
for English it rescues rare exact terms (fund codes, product words) that embeddings blur.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence

import numpy as np
from scipy import sparse

_TOKEN = re.compile(r"[a-z]+|\d+|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_STOP = frozenset(
    "a an the is are was were be been am do does did i me my we our you your it its of to in on "
    "for at by with and or if can could would should will how what when where which who why this "
    "that there please any some have has had get got so as".split()
)
_SUFFIXES = ("ing", "ed", "es", "s")


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def tokens(text: str) -> list[str]:
    """Word stems for Latin text, digit runs whole, and unigrams + bigrams for CJK runs."""
    out: list[str] = []
    for run in _TOKEN.findall(text.lower()):
        if _CJK.match(run):
            out.extend(run)
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
        elif run not in _STOP:
            out.append(_stem(run))
    return out


def cjk_share(text: str) -> float:
    """Share of CJK characters among the non-space characters of ``text``."""
    visible = [c for c in text if not c.isspace()]
    return sum(1 for c in visible if _CJK.match(c)) / len(visible) if visible else 0.0


def detect_lang(text: str) -> str:
    return "zh" if cjk_share(text) >= 0.2 else "en"


class LexicalIndex:
    """One sparse document per entry, built from its phrasings (and, lightly, its answer)."""

    def __init__(self, documents: Sequence[Sequence[tuple[str, float]]]) -> None:
        counts: list[dict[str, float]] = []
        for parts in documents:
            doc: dict[str, float] = defaultdict(float)
            for text, weight in parts:
                for tok in tokens(text):
                    doc[tok] += weight
            counts.append(doc)
        self._vocab: dict[str, int] = {}
        for doc in counts:
            for tok in doc:
                self._vocab.setdefault(tok, len(self._vocab))
        df = np.zeros(len(self._vocab), dtype=np.float64)
        for doc in counts:
            for tok in doc:
                df[self._vocab[tok]] += 1
        n_docs = max(1, len(counts))
        self._idf = np.log((n_docs + 1) / (df + 1)) + 1.0
        self._matrix = self._weigh(counts)

    def _weigh(self, counts: Sequence[Mapping[str, float]]) -> sparse.csr_matrix:
        rows, cols, vals = [], [], []
        for row, doc in enumerate(counts):
            for tok, tf in doc.items():
                col = self._vocab.get(tok)
                if col is not None and tf > 0:
                    rows.append(row)
                    cols.append(col)
                    vals.append((1.0 + math.log(tf) if tf >= 1 else tf) * self._idf[col])
        matrix = sparse.csr_matrix((vals, (rows, cols)), shape=(len(counts), len(self._vocab)))
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
        return sparse.csr_matrix(sparse.diags(1.0 / np.maximum(norms, 1e-12)) @ matrix)

    def scores(self, text: str) -> np.ndarray:
        """Cosine similarity of ``text`` with every document, in document order."""
        query = self._weigh([Counter(tokens(text))])
        return np.asarray((self._matrix @ query.T).todense()).ravel()

"""The lexical channel: BM25 over English word stems and Chinese words plus character n-grams.

The packaged embedding model reads English only, so for Chinese this channel carries the match on
its own; for English it rescues rare exact terms that embeddings blur.

Each entry is one document: its phrasings, plus its answer at :data:`ANSWER_WEIGHT` (BM25F's
field weighting: the answer carries the entry's vocabulary but is not a question). Chinese text
gives three kinds of terms at once: jieba's words (``w:赎回费``), single characters and
character bigrams, so a word jieba segments differently, or a typo, still shares characters.

Counting is scikit-learn's ``CountVectorizer``; the BM25 weighting (Lucene's formula with its
defaults ``k1=1.2, b=0.75``) is done here because self-calibration needs two things ``bm25s``
does not offer: a question's score against an entry with one phrasing left out, and the
question's score against itself. A score is divided by the latter, so it lies in about [0, 1]
and means the same for a short question and a long one. A term the knowledge base has never
seen counts in that self-score too: an unknown word is evidence that the question is about
something else. How much evidence depends on the word. "比特币" or "社保卡" say the question is
about something the knowledge base does not cover; "急死了" or "等了三天" say nothing about what is
asked. So an unseen Chinese term weighs what its IDF would be if the knowledge base's documents
were everyday Chinese of the same length, from jieba's own word frequencies (its dictionary, a
general-language corpus shipped with it), never more than a term no document holds. A character
bigram, or a word jieba's dictionary does not list, is taken to occur as often as its rarest
character: it cannot occur more often. An unseen English word weighs the same way, by pyspellchecker's word
frequencies against the knowledge base's English documents; a word that list lacks weighs as a term no document
holds. Unseen terms take no part in ranking (no entry holds them), only in how sure the match is.

That score ranks well but falls as a message grows: a question inside a long message full of
dates and complaints scores low. So the score the decision sees is the mean of two views:

- *coverage*, judged clause by clause for the entries the message ranks best
  (:meth:`LexicalIndex.clause_coverage`): "我周一赎回的，今天周四了还没到账，孩子学费等着交" is judged on
  "今天周四了还没到账" for the redemption-arrival entry;
- *containment*: the largest share of one of the entry's phrasings (its terms, weighted by IDF)
  that the question holds. A message that holds a phrasing scores like the phrasing itself,
  while a short question that matches a phrasing only in part still scores low.
"""

from __future__ import annotations

import functools
import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import snowballstemmer
from scipy import sparse

from funddesk.text import CJK_RUN
from knowledge_base.homophones import Homophones, chinese_bigrams
from knowledge_base.normalize import Normalizer
from knowledge_base.typos import Typos

if TYPE_CHECKING:
    import jieba
    from spellchecker.spellchecker import WordFrequency

K1 = 1.2  # Lucene's defaults: term-frequency saturation ...
B = 0.75  # ... and document-length normalisation
ANSWER_WEIGHT = 0.3  # an answer word counts a third of a phrasing word: evidence, but not a question

_RUN = re.compile(r"[a-z]+|\d+|" + CJK_RUN.pattern)
_LOWER_WORD = re.compile(r"[a-z]+")
_WHOLE_WORD = re.compile(r"(?<![a-z'’])[a-z]+(?![a-z'’])")  # not the "didn" of "didn't"
_STEMMER = snowballstemmer.stemmer("english")
_STOP = frozenset(
    "a an the is are was were be been am do does did i me my we our you your it its of to in on "
    "for at by with and or if can could would should will how what when where which who why this "
    "that there please any some have has had get got so as".split()
)


@functools.lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    """Snowball's English (Porter2) stemmer: shares/share, charged/charges/charge agree."""
    return str(_STEMMER.stemWord(word))


class Tokenizer:
    """Normalised text → terms: English stems and digit runs; Chinese words, characters, bigrams."""

    def __init__(self, normalizer: Normalizer | None = None) -> None:
        self.normalizer = normalizer or Normalizer()
        self._jieba: jieba.Tokenizer | None = None

    def _segmenter(self) -> jieba.Tokenizer:
        if self._jieba is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            segmenter = jieba.Tokenizer()
            segmenter.initialize()
            for word in self.normalizer.words():
                if CJK_RUN.fullmatch(word):
                    segmenter.add_word(word)
            self._jieba = segmenter
        return self._jieba

    def __call__(self, text: str) -> list[str]:
        return self.terms(self.normalizer(text))

    def words(self, run: str) -> list[str]:
        """jieba's words of a run of Chinese characters."""
        return list(self._segmenter().lcut(run))

    @functools.cached_property
    def everyday_english(self) -> WordFrequency:
        """The words of everyday English: pyspellchecker's frequency list (160,000 words, loaded once)."""
        from spellchecker import SpellChecker

        return SpellChecker(language="en", distance=1).word_frequency

    def is_english_word(self, word: str) -> bool:
        return word in self.everyday_english

    def english_share(self, word: str) -> float | None:
        """How often an English word occurs in everyday text, per word token; None for a word the list lacks."""
        table = self.everyday_english
        count = table[word]  # 0 for a word the list lacks
        return count / table.total_words if count and table.total_words else None

    def is_word(self, segment: str) -> bool:
        """Whether jieba's dictionary lists ``segment`` as a word (a prefix entry of count 0 is not one)."""
        return bool(self._segmenter().FREQ.get(segment))

    def terms(self, normal: str) -> list[str]:
        """The terms of text already normalised."""
        terms: list[str] = []
        for run in _RUN.findall(normal):
            if CJK_RUN.match(run):
                terms.extend(run)
                terms.extend(run[i : i + 2] for i in range(len(run) - 1))
                terms.extend(f"w:{w}" for w in self.words(run) if len(w) > 1)
            elif run not in _STOP:
                terms.append(_stem(run))
        return terms

    def everyday_share(self, term: str) -> float | None:
        """How often a Chinese term occurs in everyday text, per word token (jieba's frequencies).

        None for a term the frequency table does not know, and for terms that are not Chinese.
        """
        body = term[2:] if term.startswith("w:") else term
        if not CJK_RUN.fullmatch(body):
            return None
        segmenter = self._segmenter()
        share = _share(segmenter, body)
        if share is None and len(body) > 1:  # not a word jieba knows: no more common than its rarest character
            shares = [_share(segmenter, ch) for ch in body]
            share = min(x for x in shares if x is not None) if None not in shares else None
        return share

    @functools.cached_property
    def everyday_word_length(self) -> float:
        """Characters per word token in everyday Chinese, by jieba's frequencies."""
        segmenter = self._segmenter()
        return sum(len(w) * f for w, f in segmenter.FREQ.items()) / segmenter.total if segmenter.total else 1.0


def _share(segmenter: jieba.Tokenizer, word: str) -> float | None:
    count = segmenter.FREQ.get(word)  # 0 marks a prefix of a longer word, not a word
    return count / segmenter.total if count else None


def _english_text(texts: Sequence[str], owner: np.ndarray, n_entries: int) -> tuple[int, float]:
    """How many entries hold English, and their mean number of English words (stop words included, as the
    everyday word list counts them); ``texts`` are the phrasings (of ``owner``'s entries) then the answers."""
    words = np.zeros(n_entries)
    for i, text in enumerate(texts):
        entry = int(owner[i]) if i < len(owner) else i - len(owner)
        words[entry] += len(_LOWER_WORD.findall(text.lower()))
    held = words[words > 0]
    return len(held), float(held.mean()) if len(held) else 0.0


def _chinese_text(counts: sparse.csr_matrix, vocabulary: dict[str, int]) -> tuple[int, float]:
    """How many entries hold Chinese, and their mean number of Chinese characters."""
    single = [col for term, col in vocabulary.items() if len(term) == 1 and CJK_RUN.match(term)]
    chars = np.asarray(counts[:, single].sum(axis=1)).ravel() if single else np.zeros(0)
    held = chars[chars > 0]
    return len(held), float(held.mean()) if len(held) else 0.0


@dataclass(frozen=True)
class Query:
    """A question's terms: the known ones (columns), and its score against itself."""

    columns: np.ndarray
    self_score: float


class LexicalIndex:
    """BM25 with one document per entry, scores normalised by the question's own score."""

    def __init__(
        self, phrasings: Sequence[Sequence[str]], answers: Sequence[str], tokenizer: Tokenizer | None = None
    ) -> None:
        from sklearn.feature_extraction.text import CountVectorizer

        self.tokenizer = tokenizer or Tokenizer()
        flat = [p for group in phrasings for p in group]
        self.owner = np.array([i for i, group in enumerate(phrasings) for _ in group], dtype=np.int64)
        vectorizer = CountVectorizer(analyzer=self.tokenizer, lowercase=False)
        counts = vectorizer.fit_transform([*flat, *answers]) if flat or answers else None
        n_entries = len(phrasings)
        if counts is None or counts.shape[1] == 0:
            self.vocabulary: dict[str, int] = {}
            self._phrasing_counts = sparse.csr_matrix((len(flat), 0))
            self._tf = sparse.csr_matrix((n_entries, 0))
            self._chinese_docs, self._chinese_chars = 0, 0.0
        else:
            self.vocabulary = dict(vectorizer.vocabulary_)
            self._phrasing_counts = sparse.csr_matrix(counts[: len(flat)], dtype=np.float64)
            answer_counts = sparse.csr_matrix(counts[len(flat) :], dtype=np.float64)
            group = sparse.csr_matrix(
                (np.ones(len(flat)), (self.owner, np.arange(len(flat)))), shape=(n_entries, len(flat))
            )
            self._tf = sparse.csr_matrix(group @ self._phrasing_counts + ANSWER_WEIGHT * answer_counts)
            whole = sparse.csr_matrix(group @ self._phrasing_counts + answer_counts)  # every word counted once
            self._chinese_docs, self._chinese_chars = _chinese_text(whole, self.vocabulary)
        self._lengths = np.asarray(self._tf.sum(axis=1)).ravel()
        self._avgdl = float(self._lengths.mean()) if n_entries and self._lengths.sum() else 1.0
        df = np.bincount(self._tf.indices, minlength=len(self.vocabulary)).astype(np.float64)
        self.idf = np.log1p((n_entries - df + 0.5) / (df + 0.5))
        self.unseen_idf = float(np.log1p((n_entries + 0.5) / 0.5))
        bigrams = chinese_bigrams(self.vocabulary) if self._chinese_docs else []
        self.homophones = Homophones((term, float(df[col])) for term, col in bigrams)
        self._english_docs, self._english_tokens = _english_text([*flat, *answers], self.owner, n_entries)
        self.typos = Typos(self._english_words([*flat, *answers], df), self._knows)
        if self.typos:
            _ = self.tokenizer.everyday_english  # once per tokenizer, at build time, not in a question
        if self._chinese_docs:
            _ = self.tokenizer.everyday_word_length  # once per tokenizer, at build time, not in a question
        self._weights = self._bm25(self._tf, self._lengths).tocsc()
        # Containment: the share of a phrasing's information (its distinct terms, by IDF) the
        # question holds. It stays high when a long message holds one of the phrasings.
        present = sparse.csr_matrix((self._phrasing_counts > 0).astype(np.float64) @ sparse.diags(self.idf))
        totals = np.asarray(present.sum(axis=1)).ravel()
        self._contain = sparse.csr_matrix(sparse.diags(1.0 / np.maximum(totals, 1e-12)) @ present)
        # Phrasings come entry by entry, so an entry's best share is a max over one contiguous run.
        self._starts = np.flatnonzero(np.r_[True, self.owner[1:] != self.owner[:-1]]) if len(self.owner) else self.owner

    def _english_words(self, texts: Sequence[str], df: np.ndarray) -> list[tuple[str, float]]:
        """Every English word of the knowledge base's text, as written and as normalised, with the number of
        entries that hold its term (a synonym's term included: "redemption" is read as "redeem")."""
        words: set[str] = set()
        for text in texts:
            for source in (text.lower(), self.tokenizer.normalizer(text)):
                words.update(w for w in _WHOLE_WORD.findall(source) if w not in _STOP)
        known = ((word, self._known_terms(word)) for word in sorted(words))
        return [(word, float(max(df[self.vocabulary[t]] for t in terms))) for word, terms in known if terms]

    def _known_terms(self, word: str) -> list[str]:
        """The word's terms if an entry holds every one of them, else none."""
        terms = self.tokenizer(word)
        return terms if all(t in self.vocabulary for t in terms) else []

    def _knows(self, word: str) -> bool:
        return bool(self._known_terms(word))

    def unseen_weight(self, term: str, word: str | None = None) -> float:
        """The IDF of a term no entry holds, from how common it is in everyday text (module docstring).

        ``word``: the English word the term (a stem) was read from, as written. Not cached: it costs a few
        dictionary lookups, and a cache would grow with every new word investors type."""
        if word is not None and self._english_docs:
            share = self.tokenizer.english_share(word)
            docs, tokens = self._english_docs, self._english_tokens
        else:
            share = self.tokenizer.everyday_share(term) if self._chinese_docs else None
            docs, tokens = self._chinese_docs, self._chinese_chars / self.tokenizer.everyday_word_length
        if share is None:
            return self.unseen_idf
        df = docs * -np.expm1(-share * tokens)  # P(in a document) = 1 - e^(-share * tokens)
        n = len(self._lengths)
        return min(self.unseen_idf, float(np.log1p((n - df + 0.5) / (df + 0.5))))

    def _bm25(self, tf: sparse.csr_matrix, lengths: np.ndarray) -> sparse.csr_matrix:
        coo = tf.tocoo()
        norm = K1 * (1 - B + B * lengths[coo.row] / self._avgdl)
        data = self.idf[coo.col] * coo.data * (K1 + 1) / (coo.data + norm)
        return sparse.csr_matrix((data, (coo.row, coo.col)), shape=tf.shape)

    def respell(self, text: str) -> str:
        """``text`` with its English typos read as the knowledge base's words (:mod:`knowledge_base.typos`),
        otherwise as written: the question both channels read. Chinese slips are read in :meth:`query`, on
        normalised text (the packaged model does not read Chinese)."""
        return self.typos.respell(text, self.tokenizer.is_english_word)

    def query(self, text: str) -> Query:
        normal = self.tokenizer.normalizer(self.respell(text))
        if self.homophones:
            normal = self.homophones.heard(normal, self.tokenizer.words, self.tokenizer.is_word)
        counts = Counter(self.tokenizer.terms(normal))
        length = sum(counts.values())
        norm = K1 * (1 - B + B * length / self._avgdl)
        known = [self.vocabulary[t] for t in counts if t in self.vocabulary]
        written = {_stem(w): w for w in _LOWER_WORD.findall(normal)} if self._english_docs else {}
        self_score = sum(
            (self.idf[self.vocabulary[t]] if t in self.vocabulary else self.unseen_weight(t, written.get(t)))
            * c
            * (K1 + 1)
            / (c + norm)
            for t, c in counts.items()
        )
        return Query(np.array(sorted(known), dtype=np.int64), float(self_score))

    def scores(self, query: Query | str) -> np.ndarray:
        """Per entry, in entry order: BM25 over the question's distinct terms / its own score."""
        q = self.query(query) if isinstance(query, str) else query
        if not len(q.columns) or q.self_score <= 0:
            return np.zeros(self._weights.shape[0], dtype=np.float64)
        raw = np.asarray(self._weights[:, q.columns].sum(axis=1)).ravel()
        return np.asarray(raw / q.self_score, dtype=np.float64)

    def clause_coverage(
        self, clauses: Sequence[str], coverage: np.ndarray, allowed: np.ndarray, candidates: np.ndarray
    ) -> np.ndarray:
        """``coverage`` with each candidate entry judged on the clause that asks for it best.

        A message's coverage falls with every clause that asks nothing ("I waited three days, my
        child's fees are due"). A clause that ranks a candidate first among the ``allowed`` entries
        shows what the message asks of it, so the candidate keeps the higher of the two coverages.
        Only ``candidates`` (the entries the whole message ranks best): a short fragment ("怎么办呢")
        may rank anything first, and must not vouch for an entry the message does not point to.
        """
        judged = coverage.copy()
        for clause in clauses:
            scores = np.where(allowed, self.scores(clause), -np.inf)
            best = int(np.argmax(scores))
            if best in candidates and np.isfinite(scores[best]):
                judged[best] = max(judged[best], float(scores[best]))
        return judged

    def scores_without(self, query: Query, phrasing: int) -> np.ndarray:
        """:meth:`scores` as if phrasing number ``phrasing`` were not in its entry (self-calibration)."""
        out = self.scores(query)
        if not len(query.columns) or query.self_score <= 0:
            return out
        entry = int(self.owner[phrasing])
        tf = self._tf[entry] - self._phrasing_counts[phrasing]
        length = np.array([self._lengths[entry] - self._phrasing_counts[phrasing].sum()])
        row = self._bm25(sparse.csr_matrix(tf), length)
        out[entry] = float(row[:, query.columns].sum()) / query.self_score
        return out

    def containment(self, query: Query, *, without: int | None = None) -> np.ndarray:
        """Per entry: the largest share of one of its phrasings that the question contains."""
        hit = np.zeros(self._contain.shape[1])
        hit[query.columns] = 1.0
        shares = np.asarray(self._contain @ hit, dtype=np.float64)
        if without is not None:
            shares[without] = 0.0
        out = np.zeros(self._weights.shape[0], dtype=np.float64)
        if len(shares):
            out[self.owner[self._starts]] = np.maximum.reduceat(shares, self._starts)
        return out

"""The searchable index: FAISS over every phrasing, a BM25 lexical channel, language and fund scoping.

An index is immutable once built; the live service swaps whole indexes, so a request never
sees a half-built one.

Which entries may answer a question is decided before any score is compared: entries in the
question's language (when the knowledge base has any), generic entries, and the entries of the
fund the question names, never another fund's. A fund's own entry and a generic one then compete
on meaning alone: naming a fund adds nothing to any score.

A fund's entry often specialises a generic one (its redemption fee, the generic redemption
fee). Such *twins* are found when the index is built, as mutual nearest neighbours (each is the
other's closest, by the lexical channel, among the generic entries and that fund's entries of
its language): no threshold decides it. When the best match is one of a pair of twins, the
question's scope picks which of the two answers: the fund's when the fund is named, the generic
one when no fund is (one fund's fee schedule is the wrong answer for most investors), on its own
score (the fund's phrasings are read for questions naming the fund). The same
holds for any fund entry and generic entry whose scores are too close to tell apart (within the
clarify margin): rather than asking the investor, the one that fits the scope answers.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np

from knowledge_base.cache import EmbeddingCache, embed_with_cache
from knowledge_base.embedder import Embedder
from knowledge_base.entries import LANGS, Entry, entry_from_dict
from knowledge_base.lexical import LexicalIndex, Tokenizer
from knowledge_base.policy import Candidate
from knowledge_base.question import QuestionReader, clauses
from knowledge_base.scoring import HEAD_WEIGHT, Head, aggregate

FORMAT = 4
DENSE_NEIGHBOURS = 50
NEUTRAL_WEIGHT = 0.5  # no evidence either way: both channels count the same
SHORTLIST_EXTRA = 3  # candidates kept beyond the limit, for the ones that give way to a twin
CANDIDATES = 3  # entries a clause may vouch for: as many as the decision offers as choices


@dataclass(frozen=True)
class Weights:
    """The lexical channel's weight per question language; the dense channel gets the rest."""

    lexical: Mapping[str, float] = field(default_factory=dict)
    default: float = NEUTRAL_WEIGHT

    def for_lang(self, lang: str) -> float:
        return float(self.lexical.get(lang, self.default))

    @classmethod
    def fixed(cls, weight: float) -> Weights:
        """One weight for every language (an operator's override)."""
        return cls({lang: weight for lang in LANGS}, weight)


@dataclass(frozen=True)
class BuildReport:
    entries: int
    phrasings: int
    embedded: int
    seconds: float


@dataclass(frozen=True)
class Scores:
    """Per entry: what ranks the entries, and the score the decision sees (see lexical.py)."""

    rank: np.ndarray
    confidence: np.ndarray

    def without(self, entry: int) -> Scores:
        rank, confidence = self.rank.copy(), self.confidence.copy()
        rank[entry] = confidence[entry] = -np.inf
        return Scores(rank, confidence)


def fuse(
    dense: np.ndarray | float,
    coverage: np.ndarray,
    containment: np.ndarray,
    weight: float,
    judged: np.ndarray | None = None,
) -> Scores:
    """Dense and lexical channels weighted; the lexical one ranks by coverage and is judged on
    the mean of containment and the coverage ``judged`` clause by clause (default: as ranked)."""
    return Scores(
        (1.0 - weight) * dense + weight * coverage,
        (1.0 - weight) * dense + weight * 0.5 * ((coverage if judged is None else judged) + containment),
    )


@dataclass(frozen=True)
class Scope:
    """Who may answer one question: its language and the fund it names (None: none named)."""

    lang: str
    fund: str | None = None


class FaqIndex:
    def __init__(
        self,
        entries: Sequence[Entry],
        vectors: np.ndarray,
        model: str,
        head: Head | None = None,
        tokenizer: Tokenizer | None = None,
        reader: QuestionReader | None = None,
    ) -> None:
        self.entries = tuple(entries)
        self.model = model
        self.head = head
        self.tokenizer = tokenizer or Tokenizer()
        self.reader = reader or QuestionReader()
        self.texts = matched_phrasings(self.entries, self.reader)  # what is matched, entry by entry
        self.phrase_entry = np.array([i for i, e in enumerate(self.entries) for _ in e.phrasings], dtype=np.int64)
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self._dense = faiss.IndexFlatIP(self.vectors.shape[1])
        if len(self.vectors):
            self._dense.add(self.vectors)
        self.lexical = LexicalIndex(self.texts, [e.answer for e in self.entries], self.tokenizer)
        self._row = {e.id: i for i, e in enumerate(self.entries)}
        self.scoped = np.array([bool(e.funds) for e in self.entries], dtype=bool)
        self._langs = {lang: np.array([e.lang == lang for e in self.entries], dtype=bool) for lang in LANGS}
        self._fund_rows: dict[str, np.ndarray] = {}
        for i, entry in enumerate(self.entries):
            for code in entry.funds:
                self._fund_rows.setdefault(code, np.zeros(len(self.entries), dtype=bool))[i] = True
        self.generic_twin, self.fund_twins = _twins(self.entries, self.texts, self.lexical)

    @classmethod
    def build(
        cls,
        entries: Sequence[Entry],
        embedder: Embedder,
        cache: EmbeddingCache | None = None,
        *,
        previous: FaqIndex | None = None,
        fit_head: bool = True,
        progress: bool = False,
        tokenizer: Tokenizer | None = None,
        reader: QuestionReader | None = None,
    ) -> tuple[FaqIndex, BuildReport]:
        """Embed every phrasing, reusing ``previous`` (same model) and the cache for unchanged text.

        With ``fit_head=False`` the previous head is carried over (new entries get no head
        score until :meth:`with_fitted_head`), which keeps an edit's rebuild to milliseconds.
        """
        started = time.perf_counter()
        reader = reader or (previous.reader if previous is not None else QuestionReader())
        texts = [p for group in matched_phrasings(entries, reader) for p in group]
        same_model = previous is not None and previous.model == embedder.name
        known = previous.vectors_by_text() if previous is not None and same_model else {}
        vectors, embedded = embed_with_cache(embedder, cache, texts, known=known, progress=progress)
        if not texts:
            vectors = np.zeros((0, embedder.dim), dtype=np.float32)
        head = None
        if previous is not None and previous.head is not None and same_model:
            head = previous.head.for_entries([e.id for e in entries])
        tokenizer = tokenizer or (previous.tokenizer if previous is not None else None)
        index = cls(entries, vectors, embedder.name, head, tokenizer, reader)
        if fit_head:
            index = index.with_fitted_head()
        report = BuildReport(len(entries), len(texts), embedded, time.perf_counter() - started)
        return index, report

    def with_fitted_head(self) -> FaqIndex:
        """The same index with a head fitted on its current phrasings (seconds, not milliseconds)."""
        head = Head.fit(self.vectors, self.phrase_entry, [e.id for e in self.entries])
        return FaqIndex(self.entries, self.vectors, self.model, head, self.tokenizer, self.reader)

    def vectors_by_text(self) -> dict[str, np.ndarray]:
        texts = (p for group in self.texts for p in group)
        return dict(zip(texts, self.vectors, strict=False))

    def entry(self, entry_id: str) -> Entry | None:
        row = self._row.get(entry_id)
        return None if row is None else self.entries[row]

    def row_of(self, entry_id: str) -> int | None:
        """The entry's position in :attr:`entries` (and in every per-entry score array)."""
        return self._row.get(entry_id)

    def __len__(self) -> int:
        return len(self.entries)

    def dense_scores(self, query: np.ndarray) -> np.ndarray:
        """Per entry: aggregated phrasing similarity plus the head's probability."""
        if not len(self.vectors):
            return np.zeros(len(self.entries), dtype=np.float64)
        k = min(DENSE_NEIGHBOURS, len(self.vectors))
        sims, rows = self._dense.search(query.reshape(1, -1).astype(np.float32), k)
        scores = aggregate(sims[0], self.phrase_entry[rows[0]], len(self.entries))
        if self.head is not None:
            scores += HEAD_WEIGHT * self.head.probabilities(query)
        return scores

    def fused(self, query: np.ndarray, text: str, weight: float, scope: Scope | None = None) -> Scores:
        """Per entry: ``(1 - weight) * dense + weight * lexical``; a channel at weight 0 is not computed.

        With the question's ``scope``, the lexical coverage of the entries it ranks best is judged
        clause by clause (:meth:`LexicalIndex.clause_coverage`).
        """
        dense = self.dense_scores(query) if weight < 1.0 else 0.0
        zeros = np.zeros(len(self.entries), dtype=np.float64)
        if weight <= 0.0:
            return fuse(dense, zeros, zeros, weight)
        q = self.lexical.query(text)
        coverage = self.lexical.scores(q)
        parts = clauses(text) if scope is not None else []
        judged = None
        if scope is not None and parts:
            allowed = self.allowed(scope)
            rank = np.where(allowed, (1.0 - weight) * dense + weight * coverage, -np.inf)
            best = np.argsort(-rank, kind="stable")[:CANDIDATES]
            judged = self.lexical.clause_coverage(parts, coverage, allowed, best[np.isfinite(rank[best])])
        return fuse(dense, coverage, self.lexical.containment(q), weight, judged)

    def allowed(self, scope: Scope) -> np.ndarray:
        """Entries that may answer: the question's language (if any entry has it), never another fund's."""
        allowed = self._langs.get(scope.lang, np.zeros(len(self.entries), dtype=bool)).copy()
        if not allowed.any():
            allowed[:] = True
        if scope.fund is not None:
            own = self._fund_rows.get(scope.fund, np.zeros(len(self.entries), dtype=bool))
            allowed &= ~self.scoped | own
        return allowed

    def rank(
        self, query: np.ndarray, text: str, *, scope: Scope, weights: Weights, tie: float = 0.0, limit: int = 5
    ) -> list[Candidate]:
        """Allowed entries by fused score; of two that say the same, the one the scope asks for."""
        if not self.entries:
            return []
        return self.order(self.fused(query, text, weights.for_lang(scope.lang), scope), scope, tie=tie, limit=limit)

    def order(self, scores: Scores, scope: Scope, *, tie: float = 0.0, limit: int = 5) -> list[Candidate]:
        """Candidates from per-entry ``scores`` (shared by serving and self-calibration)."""
        order, confidence = self.shortlist(scores, scope, limit)
        order, raised = self.prefer(order, confidence, scope, tie)
        return [Candidate(self.entries[i], float(min(raised.get(i, confidence[i]), 1.0))) for i in order[:limit]]

    def shortlist(self, scores: Scores, scope: Scope, limit: int) -> tuple[list[int], np.ndarray]:
        """The best allowed entries, best first (a few more than ``limit``: some may give way),
        and every entry's confidence."""
        allowed = self.allowed(scope)
        rank = np.where(allowed, scores.rank, -np.inf)
        confidence = np.where(allowed, scores.confidence, -np.inf)
        k = min(limit + SHORTLIST_EXTRA, len(rank))
        if k == 0:
            return [], confidence
        top = np.argpartition(-rank, k - 1)[:k]
        order = [int(i) for i in top[np.argsort(-rank[top], kind="stable")] if np.isfinite(rank[i])]
        return order, confidence

    def prefer(
        self, order: list[int], scores: np.ndarray, scope: Scope, tie: float
    ) -> tuple[list[int], dict[int, float]]:
        """Of entries saying the same thing, put first the one the scope asks for.

        "The same thing" is a twin of the best (a fund's twin then takes the best's score), or any entry of
        the other kind within ``tie`` of it: too close to tell apart, the fund's own entry wins
        when a fund is named and a generic one when none is. Entries that give way go last:
        they are no rivals for the decision. Returns the order and the scores a twin takes over.
        """
        if not order:
            return order, {}
        best, raised = order[0], {}
        twins = self.fund_twins.get(best, {})
        twin = twins.get(scope.fund) if scope.fund is not None else self.generic_twin.get(best)
        wanted = scope.fund is not None
        if twin is not None and np.isfinite(scores[twin]):
            # A fund's twin answers with the generic's score when the fund is named. The generic twin
            # keeps its own when none is: the fund's phrasings were read without the fund's names,
            # for questions naming it, and a vague question ("what is the fee?") matches them best.
            raised = {twin: max(float(scores[twin]), float(scores[best]))} if wanted else {}
            order = [twin, *(i for i in order if i not in (best, twin)), best]
        elif bool(self.scoped[best]) != wanted:
            rival = next((i for i in order[1:] if bool(self.scoped[i]) == wanted), None)
            if rival is None or scores[rival] < scores[best] - tie:
                return order, {}
            order = [rival, *(i for i in order if i not in (best, rival)), best]
        top = raised.get(order[0], float(scores[order[0]]))
        close = [i for i in order[1:] if bool(self.scoped[i]) != wanted and scores[i] >= top - tie]
        return [i for i in order if i not in close] + close, raised

    # -- persistence ---------------------------------------------------------------------------

    def save(self, folder: Path, sources: dict[str, str]) -> None:
        """Write atomically: a reader sees the old index or the new one, never a mix."""
        folder.mkdir(parents=True, exist_ok=True)
        vectors_tmp = folder / f".vectors.{os.getpid()}.npy"
        np.save(vectors_tmp, self.vectors)
        digest = hashlib.sha256(vectors_tmp.read_bytes()).hexdigest()
        vectors_final = folder / f"vectors-{digest[:16]}.npy"
        os.replace(vectors_tmp, vectors_final)
        head_name = None
        if self.head is not None:
            head_tmp = folder / f".head.{os.getpid()}.npz"
            with head_tmp.open("wb") as handle:
                np.savez(handle, weights=self.head.weights, bias=self.head.bias, ids=np.array(self.head.ids))
            head_name = f"head-{hashlib.sha256(head_tmp.read_bytes()).hexdigest()[:16]}.npz"
            os.replace(head_tmp, folder / head_name)
        manifest = {
            "format": FORMAT,
            "model": self.model,
            "reading": self.reader.key,
            "vectors": vectors_final.name,
            "head": head_name,
            "sources": sources,
            "entries": [dataclasses.asdict(e) for e in self.entries],
        }
        tmp = folder / f".manifest.{os.getpid()}.json"
        tmp.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, folder / "manifest.json")
        for stale in [*folder.glob("vectors-*.npy"), *folder.glob("head-*.npz")]:
            if stale.name not in (vectors_final.name, head_name):
                stale.unlink(missing_ok=True)

    @classmethod
    def load(
        cls, folder: Path, model: str, tokenizer: Tokenizer | None = None, reader: QuestionReader | None = None
    ) -> tuple[FaqIndex, dict[str, str]] | None:
        """The saved index and the file hashes it was built from, or None if absent or stale (another
        model, or phrasings read with other fund names)."""
        reader = reader or QuestionReader()
        try:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
            if manifest.get("format") != FORMAT or manifest.get("model") != model:
                return None
            if manifest.get("reading") != reader.key:
                return None
            vectors = np.load(folder / manifest["vectors"])
            head = None
            if manifest.get("head"):
                with np.load(folder / manifest["head"]) as saved:
                    head = Head(tuple(str(i) for i in saved["ids"]), saved["weights"], saved["bias"])
        except (OSError, ValueError, KeyError):
            return None
        entries = [entry_from_dict(d) for d in manifest["entries"]]
        return cls(entries, vectors, model, head, tokenizer, reader), dict(manifest["sources"])


def matched_phrasings(entries: Sequence[Entry], reader: QuestionReader) -> tuple[tuple[str, ...], ...]:
    """Each entry's phrasings as matched: a fund entry's without its fund's names and codes."""
    return tuple(tuple(reader.phrasing(p) for p in e.phrasings) if e.funds else e.phrasings for e in entries)


def _twins(
    entries: Sequence[Entry], texts: Sequence[Sequence[str]], lexical: LexicalIndex
) -> tuple[dict[int, int], dict[int, dict[str, int]]]:
    """Mutual nearest neighbours between each fund's entries and the generic ones, per language.

    Returns each scoped entry's generic twin, and each generic entry's twin per fund code.
    """
    generic_twin: dict[int, int] = {}
    fund_twins: dict[int, dict[str, int]] = {}
    for lang in LANGS:
        generic = np.array([i for i, e in enumerate(entries) if e.lang == lang and not e.funds], dtype=np.int64)
        codes = sorted({c for e in entries if e.lang == lang for c in e.funds})
        if not len(generic):
            continue
        for code in codes:
            own = np.array([i for i, e in enumerate(entries) if e.lang == lang and code in e.funds], dtype=np.int64)
            similarity = np.array([lexical.scores(" ".join(texts[i]))[generic] for i in own])
            nearest_generic = generic[np.argmax(similarity, axis=1)]
            nearest_own = own[np.argmax(similarity, axis=0)]
            for row, scoped in enumerate(own):
                partner = int(nearest_generic[row])
                if nearest_own[int(np.flatnonzero(generic == partner)[0])] == scoped and similarity[row].max() > 0:
                    generic_twin.setdefault(int(scoped), partner)
                    fund_twins.setdefault(partner, {})[code] = int(scoped)
    return generic_twin, fund_twins

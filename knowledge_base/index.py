"""The searchable index: FAISS over every phrasing, a lexical channel, and fund scoping.

An index is immutable once built; the live service swaps whole indexes, so a request never
sees a half-built one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from knowledge_base.cache import EmbeddingCache, embed_with_cache
from knowledge_base.embedder import Embedder
from knowledge_base.entries import Entry
from knowledge_base.lexical import LexicalIndex, detect_lang
from knowledge_base.policy import Candidate
from knowledge_base.scoring import HEAD_WEIGHT, Head, aggregate

FORMAT = 2
ANSWER_WEIGHT = 0.3  # answer words count a little in the lexical channel: they carry the vocabulary
ZH_LEXICAL_WEIGHT = 0.8  # the packaged model barely reads Chinese; lean on characters instead
FUND_BONUS = 0.15  # a question naming a fund prefers its own entries (best of 0.05-0.2 on the dev set)
# A question naming no fund prefers generic entries: a fund's twin of a generic entry could only
# be offered as a choice anyway, and one fund's fee schedule is the wrong answer for most investors.
NO_FUND_PENALTY = 0.25
DENSE_NEIGHBOURS = 50


@dataclass(frozen=True)
class Weights:
    lexical: float = 0.35
    lexical_zh: float = ZH_LEXICAL_WEIGHT

    def for_text(self, text: str) -> float:
        return max(self.lexical, self.lexical_zh) if detect_lang(text) == "zh" else self.lexical


@dataclass(frozen=True)
class BuildReport:
    entries: int
    phrasings: int
    embedded: int
    seconds: float


class FaqIndex:
    def __init__(self, entries: Sequence[Entry], vectors: np.ndarray, model: str, head: Head | None = None) -> None:
        self.entries = tuple(entries)
        self.model = model
        self.head = head
        self.phrase_entry = np.array(
            [i for i, e in enumerate(self.entries) for _ in e.phrasings], dtype=np.int64
        )
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self._dense = faiss.IndexFlatIP(self.vectors.shape[1])
        if len(self.vectors):
            self._dense.add(self.vectors)
        self._lexical = LexicalIndex(
            [[*((p, 1.0) for p in e.phrasings), (e.answer, ANSWER_WEIGHT)] for e in self.entries]
        )
        self._by_id = {e.id: e for e in self.entries}
        self._scoped = np.array([bool(e.funds) for e in self.entries], dtype=bool)
        self._fund_rows: dict[str, np.ndarray] = {}
        for i, entry in enumerate(self.entries):
            for code in entry.funds:
                self._fund_rows.setdefault(code, np.zeros(len(self.entries), dtype=bool))[i] = True

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
    ) -> tuple[FaqIndex, BuildReport]:
        """Embed every phrasing, reusing ``previous`` (same model) and the cache for unchanged text.

        With ``fit_head=False`` the previous head is carried over (new entries get no head
        score until :meth:`with_fitted_head`), which keeps an edit's rebuild to milliseconds.
        """
        started = time.perf_counter()
        texts = [p for e in entries for p in e.phrasings]
        same_model = previous is not None and previous.model == embedder.name
        known = previous.vectors_by_text() if previous is not None and same_model else {}
        vectors, embedded = embed_with_cache(embedder, cache, texts, known=known, progress=progress)
        if not texts:
            vectors = np.zeros((0, embedder.dim), dtype=np.float32)
        head = None
        if previous is not None and previous.head is not None and same_model:
            head = previous.head.for_entries([e.id for e in entries])
        index = cls(entries, vectors, embedder.name, head)
        if fit_head:
            index = index.with_fitted_head()
        report = BuildReport(len(entries), len(texts), embedded, time.perf_counter() - started)
        return index, report

    def with_fitted_head(self) -> FaqIndex:
        """The same index with a head fitted on its current phrasings (seconds, not milliseconds)."""
        head = Head.fit(self.vectors, self.phrase_entry, [e.id for e in self.entries])
        return FaqIndex(self.entries, self.vectors, self.model, head)

    def vectors_by_text(self) -> dict[str, np.ndarray]:
        texts = (p for e in self.entries for p in e.phrasings)
        return dict(zip(texts, self.vectors, strict=False))

    def entry(self, entry_id: str) -> Entry | None:
        return self._by_id.get(entry_id)

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

    def rank(
        self, query: np.ndarray, text: str, *, fund: str | None, weights: Weights, limit: int = 5
    ) -> list[Candidate]:
        """Entries by fused score; never an entry scoped to a fund other than ``fund``."""
        if not self.entries:
            return []
        w = weights.for_text(text)
        fused = (1.0 - w) * self.dense_scores(query) + w * self._lexical.scores(text)
        if fund is None:
            fused[self._scoped] -= NO_FUND_PENALTY
        else:
            own = self._fund_rows.get(fund, np.zeros(len(self.entries), dtype=bool))
            fused[self._scoped & ~own] = -np.inf
            fused[own] += FUND_BONUS
        order = np.argsort(-fused)[:limit]
        return [Candidate(self.entries[i], float(min(fused[i], 1.0))) for i in order if np.isfinite(fused[i])]

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
    def load(cls, folder: Path, model: str) -> tuple[FaqIndex, dict[str, str]] | None:
        """The saved index and the file hashes it was built from, or None if absent or stale."""
        try:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
            if manifest.get("format") != FORMAT or manifest.get("model") != model:
                return None
            vectors = np.load(folder / manifest["vectors"])
            head = None
            if manifest.get("head"):
                with np.load(folder / manifest["head"]) as saved:
                    head = Head(tuple(str(i) for i in saved["ids"]), saved["weights"], saved["bias"])
        except (OSError, ValueError, KeyError):
            return None
        entries = [_entry_from_dict(d) for d in manifest["entries"]]
        return cls(entries, vectors, model, head), dict(manifest["sources"])


def _entry_from_dict(data: dict[str, object]) -> Entry:
    tuples = {f.name for f in dataclasses.fields(Entry) if str(f.type).startswith("tuple")}
    values = {k: tuple(v) if k in tuples and isinstance(v, list) else v for k, v in data.items()}
    return Entry(**values)  # type: ignore[arg-type]

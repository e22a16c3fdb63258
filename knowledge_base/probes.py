"""Questions a knowledge base asks itself, to calibrate itself (see :mod:`knowledge_base.calibration`).

- in scope: an alternative phrasing, asked with that phrasing taken out of the index; its own
  entry must come first;
- out of scope: a phrasing of an entry, asked with the whole entry taken out; nothing should
  answer. Entries whose question lives on elsewhere (a twin, a phrasing shared with another
  entry) make no such probe.

Each probe carries every entry's score in each channel, so any weight can be tried on it without
asking again. The entry head is cross-fitted (two folds), so no probe is scored by a head that
was trained on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from knowledge_base.index import DENSE_NEIGHBOURS, FaqIndex, Scope
from knowledge_base.parser import phrasing_key
from knowledge_base.scoring import HEAD_WEIGHT, Head, aggregate

PROBES = 500  # per language and kind: ±2.2 points of standard error on an accuracy near 50%


@dataclass(frozen=True)
class Probe:
    """One question the knowledge base asks itself, with the per-entry scores of each channel."""

    scope: Scope
    expected: int | None  # the entry that must come first; None: its entry was taken out
    dense: np.ndarray
    coverage: np.ndarray  # the lexical channel's two views (see lexical.py)
    containment: np.ndarray
    removed: int | None = None  # an entry taken out of the index for this probe


def make_probes(index: FaqIndex, *, seed: int = 0, per_kind: int = PROBES) -> dict[str, list[Probe]]:
    """In-scope and out-of-scope probes per language (at most ``per_kind`` of each)."""
    rng = np.random.default_rng(seed)
    owner = index.phrase_entry
    fold = _folds(owner, rng)
    heads = _cross_fitted_heads(index, fold)
    holders: dict[str, set[int]] = {}
    for i, entry in enumerate(index.entries):
        for text in entry.phrasings:
            holders.setdefault(phrasing_key(text), set()).add(i)
    shared = {i for group in holders.values() if len(group) > 1 for i in group}
    probes: dict[str, list[Probe]] = {}
    for lang in sorted({e.lang for e in index.entries}):
        rows = np.flatnonzero(np.array([index.entries[i].lang == lang for i in owner], dtype=bool))
        several = np.array([len(index.entries[owner[r]].phrasings) > 1 for r in rows], dtype=bool)
        in_rows = _sample(rows[several], per_kind, rng)
        entries = np.array([e for e in np.unique(owner[rows]) if _stands_alone(index, int(e), shared)], dtype=np.int64)
        out_rows = np.array([rng.choice(np.flatnonzero(owner == e)) for e in _sample(entries, per_kind, rng)])
        probes[lang] = [
            *(_probe(index, heads, fold, int(r), lang, whole_entry=False) for r in in_rows),
            *(_probe(index, heads, fold, int(r), lang, whole_entry=True) for r in out_rows),
        ]
    return probes


def _stands_alone(index: FaqIndex, entry: int, shared: set[int]) -> bool:
    """Taking this entry out leaves its question unanswered: no twin, no phrasing shared with another."""
    return entry not in index.generic_twin and entry not in index.fund_twins and entry not in shared


def _sample(rows: np.ndarray, limit: int, rng: np.random.Generator) -> np.ndarray:
    return np.sort(rng.choice(rows, size=limit, replace=False)) if len(rows) > limit else rows


def _folds(owner: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Two folds, each entry's phrasings dealt alternately, so both folds know most entries."""
    fold = np.zeros(len(owner), dtype=np.int64)
    for entry in np.unique(owner):
        rows = rng.permutation(np.flatnonzero(owner == entry))
        fold[rows] = np.arange(len(rows)) % 2
    return fold


def _cross_fitted_heads(index: FaqIndex, fold: np.ndarray) -> dict[int, Head | None]:
    if index.head is None:
        return {0: None, 1: None}
    ids = [e.id for e in index.entries]
    return {f: Head.fit(index.vectors[fold != f], index.phrase_entry[fold != f], ids) for f in (0, 1)}


def _probe(
    index: FaqIndex, heads: dict[int, Head | None], fold: np.ndarray, row: int, lang: str, *, whole_entry: bool
) -> Probe:
    entry = int(index.phrase_entry[row])
    text = index.texts[entry][row - int(np.flatnonzero(index.phrase_entry == entry)[0])]
    vector = index.vectors[row]
    hidden = index.phrase_entry == entry if whole_entry else np.arange(len(index.vectors)) == row
    dense = _dense(index, vector, hidden, heads[int(fold[row])], entry if whole_entry else None)
    query = index.lexical.query(text)
    coverage = index.lexical.scores(query) if whole_entry else index.lexical.scores_without(query, row)
    containment = index.lexical.containment(query, without=row)
    funds = index.entries[entry].funds
    scope = Scope(lang, funds[0] if len(funds) == 1 else None)
    return Probe(scope, None if whole_entry else entry, dense, coverage, containment, entry if whole_entry else None)


def _dense(
    index: FaqIndex, vector: np.ndarray, hidden: np.ndarray, head: Head | None, removed: int | None
) -> np.ndarray:
    sims = index.vectors @ vector
    sims[hidden] = -np.inf
    k = min(DENSE_NEIGHBOURS, int((~hidden).sum()))
    if k == 0:
        return np.zeros(len(index.entries))
    top = np.argpartition(-sims, k - 1)[:k]
    top = top[np.argsort(-sims[top])]
    scores = aggregate(sims[top].astype(np.float64), index.phrase_entry[top], len(index.entries))
    if head is not None:
        probabilities = head.probabilities(vector)
        if removed is not None:  # as if the head had never known the removed entry
            probabilities = probabilities / max(1.0 - probabilities[removed], 1e-9)
            probabilities[removed] = 0.0
        scores = scores + HEAD_WEIGHT * probabilities
    return scores

"""Calibration: how much each channel counts, and when to answer, offer choices or fall back.

**Self-calibration** needs no labelled data. At build time the knowledge base asks itself
questions it can grade (leave-one-out, :mod:`knowledge_base.probes`):

- each alternative phrasing, with that phrasing taken out of the index: its own entry must
  come first (in-scope probes);
- a phrasing of each entry, with the whole entry taken out: nothing should be answered, since
  what it asks is no longer there (out-of-scope probes, as hard as out of scope gets: the
  question is in the knowledge base's own domain).

The entry head is cross-fitted for this (each probe is scored by a head that never saw it), so
no probe grades the knowledge base on text it has memorised. From the probes, per language:

- the lexical channel's weight: the best of 0, 0.1 … 1 by top-1 accuracy, except that any weight
  within one standard error of the best (of the paired, probe-by-probe difference) counts as
  equally good and the one nearest the prior wins (the one-standard-error rule: a difference the
  probes cannot resolve is not acted on).
  The prior is 0.5 (no evidence either way) for a language the embedding model reads, and 1
  (the lexical channel alone) for one its model card does not declare;
- the answer threshold and clarify margin that give investors the most value, among those
  that send out-of-scope questions to fallback often enough (below).

**A labelled dev set** (``eval --calibration``) fits the thresholds on real questions instead.

Either way, what a choice is worth: a right answer 1, a short list holding the right entry 0.6
(one more tap), a fallback 0, a wrong answer -1 (it misleads an investor about their money, so
it costs what a right answer gains). Out-of-scope questions must reach fallback at least 80% of
the time, and that floor must hold beyond the calibration data: the fraction's one-sided 95%
lower confidence bound (Wilson), not the fraction itself, must reach it. A floor met only on the
dev set then does not slip under on new questions.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from knowledge_base.index import FaqIndex, Scores, Weights, fuse
from knowledge_base.policy import Thresholds
from knowledge_base.probes import Probe, make_probes

WEIGHT_GRID = tuple(round(w / 10, 1) for w in range(11))
MARGIN_GRID = tuple(round(m / 100, 2) for m in range(21))
NEUTRAL_PRIOR = 0.5
UNREAD_PRIOR = 1.0
OOS_RECALL_FLOOR = 0.8
# Self-calibration's out-of-scope probes are the nearest out-of-scope questions there can be. Real
# ones mix such near questions with far ones (weather, stock tips, jokes) that fall back anyway.
# The near share is the one constant here measured rather than argued: on our dev sets'
# out-of-scope questions (bench/data/*_dev.csv, 44 in en and zh) it is 0.16 to 0.33 depending on
# where it is read (below the near probes' quartiles); we take the upper end. The floor on the
# mix then asks the near probes for (0.8 - 2/3) / (1/3) = 40%, on their lower confidence bound.
NEAR_SHARE = 1 / 3
NEAR_FLOOR = (OOS_RECALL_FLOOR - (1 - NEAR_SHARE)) / NEAR_SHARE
CONFIDENCE_Z = 1.645  # one-sided 95%
CLARIFY_VALUE = 0.6
WRONG_COST = 1.0
CHOICES = 3


@dataclass(frozen=True)
class Outcomes:
    """The best three candidates of many questions, laid out for :func:`decide`'s rules at once."""

    scores: np.ndarray  # (n, 3): -inf where there is no candidate
    right: np.ndarray  # (n, 3) bool: the candidate is the expected entry
    scoped_without_fund: np.ndarray  # (n,) bool: the best is a fund's entry and no fund was named

    @classmethod
    def of(cls, rows: Sequence[tuple[Sequence[float], Sequence[bool], bool]]) -> Outcomes:
        scores = np.full((len(rows), CHOICES), -np.inf)
        right = np.zeros((len(rows), CHOICES), dtype=bool)
        for i, (s, r, _) in enumerate(rows):
            scores[i, : len(s[:CHOICES])] = s[:CHOICES]
            right[i, : len(r[:CHOICES])] = r[:CHOICES]
        return cls(scores, right, np.array([swf for _, _, swf in rows], dtype=bool))

    def __len__(self) -> int:
        return len(self.scores)

    def decide(self, answer: float, margin: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:func:`knowledge_base.policy.decide` for every row: (answered, clarified, hit) arrays."""
        s1 = self.scores[:, 0]
        s2 = np.where(np.isfinite(self.scores[:, 1]), self.scores[:, 1], 0.0)
        live = np.isfinite(s1) & (s1 >= answer)
        floor = np.maximum(answer, s1 - 2 * margin)
        chosen = self.scores >= floor[:, None]
        alone = chosen.sum(axis=1) == 1
        answered = live & ~self.scoped_without_fund & ((s1 - s2 >= margin) | alone)
        clarified = live & ~answered
        hit = np.where(answered, self.right[:, 0], clarified & (self.right & chosen).any(axis=1))
        return answered, clarified, hit


@dataclass(frozen=True)
class Fit:
    thresholds: tuple[float, float]  # answer, margin
    value: float  # mean value per in-scope question
    oos_recall: float  # on the calibration questions
    oos_recall_bound: float  # its lower confidence bound


@dataclass(frozen=True)
class Calibration:
    """What a knowledge base serves with, and where it came from."""

    weights: Weights
    thresholds: Thresholds
    source: str  # "self", "dev set", "policy file", "defaults"
    probes: dict[str, dict[str, int]] = field(default_factory=dict)  # lang -> {"in_scope", "out_of_scope"}
    accuracy: dict[str, dict[str, float]] = field(default_factory=dict)  # lang -> weight -> top-1


def wilson_lower(successes: int, n: int, z: float = CONFIDENCE_Z) -> float:
    """One-sided lower confidence bound of a proportion (Wilson score interval)."""
    if n == 0:
        return 0.0
    p = successes / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - spread) / (1 + z * z / n)


def fit_thresholds(
    outcomes_for: Callable[[float], tuple[Outcomes, Outcomes]], base: Thresholds, *, floor: float = OOS_RECALL_FLOOR
) -> Fit:
    """The answer threshold and margin with the most value per in-scope question, among those
    whose out-of-scope recall bound reaches the floor (or, if none does, with the highest bound).

    ``outcomes_for(margin)`` gives the in-scope and out-of-scope questions' best candidates as
    ranked with that margin (it decides which of two near-equal entries goes first).
    Values within one standard error of the best are as good as the best; of those, the pair
    nearest ``base`` wins, so a small calibration set moves the thresholds only as far as it
    can tell. When there are too few out-of-scope questions for any recall to certify the
    floor, or no in-scope ones, ``base`` stands.
    """
    by_margin = {margin: outcomes_for(margin) for margin in MARGIN_GRID}
    in_scope, out_of_scope = by_margin[MARGIN_GRID[0]]
    tops = np.concatenate([in_scope.scores[:, 0], out_of_scope.scores[:, 0]])
    tops = tops[np.isfinite(tops)]
    n_out = len(out_of_scope)
    if not len(tops) or not len(in_scope) or (n_out and wilson_lower(n_out, n_out) < floor):
        return Fit((base.answer, base.margin), 0.0, 0.0, 0.0)
    answers = np.unique(np.round(np.quantile(tops, np.linspace(0.0, 1.0, 41)), 3))
    fits = [_evaluate(*by_margin[margin], float(answer), margin) for answer in answers for margin in MARGIN_GRID]
    reachable = min(floor, max(f.oos_recall_bound for f, _ in fits))
    feasible = [(f, v) for f, v in fits if f.oos_recall_bound >= reachable]
    best, values = max(feasible, key=lambda item: item[0].value)
    se = float(np.std(values)) / math.sqrt(len(values))
    span = max(float(answers[-1] - answers[0]), 1e-9)

    def distance(fit: Fit) -> float:
        answer, margin = fit.thresholds
        return abs(answer - base.answer) / span + abs(margin - base.margin) / MARGIN_GRID[-1]

    return min((f for f, _ in feasible if f.value >= best.value - se), key=lambda f: (distance(f), -f.value))


def _evaluate(in_scope: Outcomes, out_of_scope: Outcomes, answer: float, margin: float) -> tuple[Fit, np.ndarray]:
    answered, clarified, hit = in_scope.decide(answer, margin)
    values = (
        np.where(answered & hit, 1.0, 0.0)
        + np.where(clarified & hit, CLARIFY_VALUE, 0.0)
        - np.where(answered & ~hit, WRONG_COST, 0.0)
    )
    if len(out_of_scope):
        oos_answered, oos_clarified, _ = out_of_scope.decide(answer, margin)
        fell_back = int(np.sum(~oos_answered & ~oos_clarified))
        recall, bound = fell_back / len(out_of_scope), wilson_lower(fell_back, len(out_of_scope))
    else:
        recall = bound = OOS_RECALL_FLOOR  # nothing to protect: the floor does not bind
    return Fit((answer, margin), float(values.mean()), recall, bound), values


# -- self-calibration ----------------------------------------------------------------------------


def prior(lang: str, model_languages: frozenset[str] | None) -> float:
    """Lexical weight before any evidence: neutral where the model reads the language, 1 where not."""
    return NEUTRAL_PRIOR if model_languages is None or lang in model_languages else UNREAD_PRIOR


def self_calibrate(
    index: FaqIndex, *, model_languages: frozenset[str] | None, base: Thresholds, seed: int = 0
) -> Calibration:
    """Weights and thresholds for ``index`` from its own phrasings (see the module docstring)."""
    probes = make_probes(index, seed=seed)
    weights: dict[str, float] = {}
    by_lang: dict[str, tuple[float, float]] = {}
    counts: dict[str, dict[str, int]] = {}
    accuracy: dict[str, dict[str, float]] = {}
    for lang, group in sorted(probes.items()):
        in_scope = [p for p in group if p.expected is not None]
        out = [p for p in group if p.expected is None]
        table = {w: top1(index, in_scope, w) for w in WEIGHT_GRID} if in_scope else {}
        weights[lang] = choose_weight(table, prior(lang, model_languages))
        fit = fit_thresholds(_ranked(index, in_scope, out, weights[lang]), base, floor=NEAR_FLOOR)
        by_lang[lang] = fit.thresholds
        counts[lang] = {"in_scope": len(in_scope), "out_of_scope": len(out)}
        accuracy[lang] = {str(w): round(float(h.mean()), 4) for w, h in table.items()}
    main = "en" if "en" in by_lang else next(iter(by_lang), None)
    answer, margin = by_lang[main] if main else (base.answer, base.margin)
    default = weights.get(main, prior(main or "en", model_languages)) if main else NEUTRAL_PRIOR
    thresholds = Thresholds(answer, margin, base.max_choices, by_lang)
    return Calibration(Weights(weights, default), thresholds, "self", counts, accuracy)


def _ranked(
    index: FaqIndex, in_scope: Sequence[Probe], out: Sequence[Probe], weight: float
) -> Callable[[float], tuple[Outcomes, Outcomes]]:
    ins, outs = shortlists(index, in_scope, weight), shortlists(index, out, weight)
    return lambda margin: (outcomes(index, ins, margin), outcomes(index, outs, margin))


def choose_weight(hits: dict[float, np.ndarray], prior_weight: float) -> float:
    """The weight nearest the prior among those within one standard error of the best.

    ``hits[w]`` says, probe by probe, whether weight ``w`` ranked the right entry first. All
    weights answer the same probes, so a weight's shortfall from the best is judged by the
    standard error of the paired difference, probe by probe (as McNemar's test does).
    """
    hits = {w: h for w, h in hits.items() if len(h)}
    if not hits:
        return prior_weight
    best = max(hits, key=lambda w: float(hits[w].mean()))

    def as_good(w: float) -> bool:
        diff = hits[best].astype(np.float64) - hits[w].astype(np.float64)
        return float(diff.mean()) <= float(diff.std()) / math.sqrt(len(diff))

    return min((w for w in hits if as_good(w)), key=lambda w: (abs(w - prior_weight), -float(hits[w].mean())))


def top1(index: FaqIndex, probes: Sequence[Probe], weight: float) -> np.ndarray:
    """Probe by probe: does ``weight`` rank the probe's own entry first?"""
    out = np.zeros(len(probes), dtype=bool)
    for i, probe in enumerate(probes):
        ranked = index.order(_fuse(probe, weight), probe.scope, limit=1)
        out[i] = bool(ranked) and probe.expected is not None and ranked[0].entry is index.entries[probe.expected]
    return out


@dataclass(frozen=True)
class Shortlist:
    """A probe's best candidates before :meth:`FaqIndex.prefer`, which depends on the margin."""

    probe: Probe
    order: list[int]
    scores: np.ndarray


def shortlists(index: FaqIndex, probes: Sequence[Probe], weight: float) -> list[Shortlist]:
    return [Shortlist(p, *index.shortlist(_fuse(p, weight), p.scope, CHOICES)) for p in probes]


def outcomes(index: FaqIndex, lists: Sequence[Shortlist], margin: float) -> Outcomes:
    rows = []
    for item in lists:
        order, raised = index.prefer(item.order, item.scores, item.probe.scope, margin)
        order = order[:CHOICES]
        expected = item.probe.expected
        rows.append(
            (
                [min(raised.get(i, float(item.scores[i])), 1.0) for i in order],
                [i == expected for i in order],
                bool(order and index.entries[order[0]].funds and item.probe.scope.fund is None),
            )
        )
    return Outcomes.of(rows)


def _fuse(probe: Probe, weight: float) -> Scores:
    scores = fuse(probe.dense, probe.coverage, probe.containment, weight)
    return scores if probe.removed is None else scores.without(probe.removed)


# -- persistence: a calibration is saved next to the index it was made for ----------------------

CALIBRATION_FILE = "calibration.json"
FORMAT = 1


def fingerprint(index: FaqIndex) -> str:
    """Changes whenever a calibration made for ``index`` might no longer fit it."""
    digest = hashlib.sha256(f"{FORMAT}\0{index.model}\0{index.head is not None}\0{index.reader.key}".encode())
    digest.update(repr(index.tokenizer.normalizer.synonyms.groups).encode())  # they change every lexical score
    for entry in index.entries:
        digest.update(f"{entry.id}\0{entry.version}\0".encode())
    return digest.hexdigest()


def save_calibration(calibration: Calibration, key: str, path: Path) -> None:
    """Write atomically, with the fingerprint of the index it belongs to."""
    data = {
        "key": key,
        "weights": dict(calibration.weights.lexical),
        "default_weight": calibration.weights.default,
        "thresholds": calibration.thresholds.as_json(),
        "probes": calibration.probes,
        "accuracy": calibration.accuracy,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def load_calibration(path: Path, key: str) -> Calibration | None:
    """The saved calibration if it was made for the index with fingerprint ``key``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("key") != key:
            return None
        weights = Weights({k: float(v) for k, v in data["weights"].items()}, float(data["default_weight"]))
        thresholds = Thresholds.from_json(data["thresholds"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return Calibration(weights, thresholds, "self", data.get("probes") or {}, data.get("accuracy") or {})

"""``eval``: accuracy, out-of-scope handling and latency of a knowledge base on labelled questions.

The printed JSON is a contract other tools parse; add keys, never rename or remove them.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from knowledge_base.calibration import Outcomes, fit_thresholds
from knowledge_base.policy import Candidate, Decision, Thresholds, decide
from knowledge_base.service import KnowledgeBase


@dataclass(frozen=True)
class Question:
    text: str
    expected: str | None  # None: out of scope, must not be answered


@dataclass(frozen=True)
class Ranked:
    question: Question
    fund: str | None
    lang: str
    candidates: tuple[Candidate, ...]
    ms: float

    def decide(self, thresholds: Thresholds) -> Decision:
        return decide(list(self.candidates), thresholds, fund=self.fund, lang=self.lang)


def read_questions(path: Path) -> list[Question]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = {"question", "expected_id"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: header must have question,expected_id (missing {', '.join(sorted(missing))})")
        return [
            Question(row["question"].strip(), (row["expected_id"] or "").strip() or None)
            for row in reader
            if (row["question"] or "").strip()
        ]


def rank_all(kb: KnowledgeBase, questions: Sequence[Question]) -> list[Ranked]:
    """Rank every question, timing embedding + search per question (what an investor waits for)."""
    matches = ((q, kb.ask(q.text)) for q in questions)
    return [Ranked(q, m.fund, m.lang, m.ranked, m.elapsed_ms) for q, m in matches]


def score(ranked: Sequence[Ranked], thresholds: Thresholds) -> dict[str, float | int]:
    in_scope = [r for r in ranked if r.question.expected]
    oos = [r for r in ranked if not r.question.expected]
    top1 = answered = wrong = clarified = clarify_hits = fell_back = clarify_top1 = 0
    for r in in_scope:
        decision = r.decide(thresholds)
        best = r.candidates[0].entry.id if r.candidates else None
        top1 += best == r.question.expected
        if decision.kind == "answer":
            answered += best == r.question.expected
            wrong += best != r.question.expected
        clarified += decision.kind == "clarify"
        clarify_top1 += decision.kind == "clarify" and best == r.question.expected
        clarify_hits += decision.kind == "clarify" and any(
            c.entry.id == r.question.expected for c in decision.candidates
        )
        fell_back += decision.kind == "fallback"
    oos_kinds = [r.decide(thresholds).kind for r in oos]
    oos_fallback, oos_answered = oos_kinds.count("fallback"), oos_kinds.count("answer")
    times = np.array([r.ms for r in ranked]) if ranked else np.zeros(1)
    return {
        "questions": len(ranked),
        "in_scope": len(in_scope),
        "out_of_scope": len(oos),
        "top1_accuracy": _ratio(top1, len(in_scope)),
        "answer_accuracy": _ratio(answered, len(in_scope)),
        "oos_recall": _ratio(oos_fallback, len(oos)),
        "p50_ms": round(float(np.percentile(times, 50)), 2),
        "p95_ms": round(float(np.percentile(times, 95)), 2),
        "wrong_answer_rate": _ratio(wrong, len(in_scope)),
        "clarify_rate": _ratio(clarified, len(in_scope)),
        "clarify_hit_rate": _ratio(clarify_hits, len(in_scope)),
        "clarify_top1_rate": _ratio(clarify_top1, len(in_scope)),
        "fallback_rate": _ratio(fell_back, len(in_scope)),
        "oos_answered_rate": _ratio(oos_answered, len(oos)),
    }


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def calibrate(ranked: Sequence[Ranked], base: Thresholds) -> Thresholds:
    """Fit the answer threshold and margin on a labelled dev set, separately per language.

    See :mod:`knowledge_base.calibration` for what is maximised and the out-of-scope floor (with
    its confidence bound). English (or the only language) sets the defaults; every other
    language with questions in the dev set gets its own pair in ``by_lang``.
    """
    by_lang: dict[str, list[Ranked]] = {}
    for r in ranked:
        by_lang.setdefault(r.lang, []).append(r)
    if not by_lang:
        return base
    fitted = {lang: _fit(group, base) for lang, group in by_lang.items()}
    main = "en" if "en" in fitted else next(iter(fitted))
    answer, margin = fitted[main]
    return Thresholds(answer, margin, base.max_choices, {k: v for k, v in fitted.items() if k != main})


def outcomes(ranked: Sequence[Ranked]) -> Outcomes:
    return Outcomes.of(
        [
            (
                [c.score for c in r.candidates],
                [c.entry.id == r.question.expected for c in r.candidates],
                bool(r.candidates and r.candidates[0].entry.funds and r.fund is None),
            )
            for r in ranked
        ]
    )


def _fit(ranked: Sequence[Ranked], base: Thresholds) -> tuple[float, float]:
    in_scope = outcomes([r for r in ranked if r.question.expected])
    out_of_scope = outcomes([r for r in ranked if not r.question.expected])
    return fit_thresholds(lambda margin: (in_scope, out_of_scope), base).thresholds

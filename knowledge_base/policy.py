"""The decision policy: answer, clarify or fall back. One function serves the bot, the CLI and eval."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from knowledge_base.entries import Entry

DecisionKind = Literal["answer", "clarify", "fallback"]
POLICY_NAME = "policy.json"  # in a knowledge base's folder: its own dev-set calibration


def own_policy(kb_dir: Path) -> Path | None:
    """A knowledge base's own dev-set calibration: ``policy.json`` in its folder, if there is one."""
    path = kb_dir / POLICY_NAME
    return path if path.is_file() else None


@dataclass(frozen=True)
class Thresholds:
    """Scores are fused similarities; see README "How matching works" for how they are made.

    ``by_lang`` overrides ``(answer, margin)`` per question language: Chinese questions lean on
    the lexical channel, whose scores sit on a different scale than English ones.
    """

    answer: float = 0.55  # best score needed to answer (or clarify) at all; choices need it too
    margin: float = 0.06  # lead of the best over the runner-up needed to answer directly
    max_choices: int = 3
    by_lang: dict[str, tuple[float, float]] = field(default_factory=dict)

    def for_lang(self, lang: str | None) -> Thresholds:
        if lang not in self.by_lang:
            return self
        answer, margin = self.by_lang[lang]
        return Thresholds(answer, margin, self.max_choices)

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        data["by_lang"] = {k: {"answer": a, "margin": m} for k, (a, m) in sorted(self.by_lang.items())}
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Thresholds:
        by_lang = {k: (float(v["answer"]), float(v["margin"])) for k, v in (data.get("by_lang") or {}).items()}
        known = {k: data[k] for k in ("answer", "margin", "max_choices") if k in data}
        return cls(**known, by_lang=by_lang)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.as_json(), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Thresholds:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class Candidate:
    entry: Entry
    score: float


@dataclass(frozen=True)
class Decision:
    kind: DecisionKind
    candidates: tuple[Candidate, ...]  # ranked; for "answer" the first is the answer

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


def decide(
    ranked: list[Candidate], thresholds: Thresholds, *, fund: str | None = None, lang: str | None = None
) -> Decision:
    """Turn ranked candidates into an answer, a short list of choices, or a fallback.

    A fund-scoped entry is answered directly only when the question's fund is known (it is
    already filtered to match); without a fund it can only be offered as a choice, because
    answering one fund's fee schedule to a holder of another fund would be wrong.
    """
    thresholds = thresholds.for_lang(lang)
    if not ranked or ranked[0].score < thresholds.answer:
        return Decision("fallback", tuple(ranked[: thresholds.max_choices]))
    best = ranked[0]
    runner_up = ranked[1].score if len(ranked) > 1 else 0.0
    scoped_without_fund = bool(best.entry.funds) and fund is None
    if best.score - runner_up >= thresholds.margin and not scoped_without_fund:
        return Decision("answer", (best, *ranked[1 : thresholds.max_choices]))
    floor = max(thresholds.answer, best.score - 2 * thresholds.margin)
    choices = [c for c in ranked[: thresholds.max_choices] if c.score >= floor]
    if len(choices) == 1 and not scoped_without_fund:
        return Decision("answer", tuple(ranked[: thresholds.max_choices]))
    return Decision("clarify", tuple(choices))

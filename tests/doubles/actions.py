"""The action server's surroundings in unit tests: a knowledge base that answers as scripted, trackers, a runner."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions._sdk import Action
from actions.replies import TEXTS
from escalation.staff.teams import Router
from funddesk.masking import mask
from knowledge_base.entries import Entry
from knowledge_base.followups import Answered
from knowledge_base.policy import Candidate, Decision, DecisionKind

REDEEM = Entry("redemption-how", "How do I redeem?", "Tap **Redeem**.", "en/r.md", 3, team="trading-desk")
ARRIVAL = Entry("redemption-arrival", "When does the money arrive?", "T+3.", "en/r.md", 9, team="trading-desk")
FEES = Entry("redemption-fees", "What is the redemption fee?", "It depends.", "en/r.md", 15, team="pricing")
ZH = Entry("zh-redemption-how", "怎么赎回？", "点击赎回。", "zh/r.md", 3, lang="zh", team="trading-desk")
COMPLAINT = Entry(
    "complaint-how", "How do I make a complaint?", "I'll pass you to our complaints team.", "en/c.md", 9,
    team="complaints", escalate=True,
)  # fmt: skip
ROUTER = Router(
    known=frozenset({"service-desk", "trading-desk", "pricing", "complaints", "investor-relations"}),
    fund_teams={"900002": "investor-relations", "900009": "retired-team"},
    default="service-desk",
)

TEXT_EN = TEXTS["en"]


@dataclass(frozen=True)
class FakeMatch:
    decision: Decision
    fund: str | None
    lang: str
    loggable: str
    embedding: np.ndarray | None = None


@dataclass
class FakeKnowledgeBase:
    """Answers with whatever decision the test scripts; remembers what it was asked."""

    entries: dict[str, Entry] = field(default_factory=dict)
    decision: Decision = field(default_factory=lambda: Decision("fallback", ()))
    lang: str = "en"
    asked: list[tuple[str, str | None]] = field(default_factory=list)
    after: list[Answered | None] = field(default_factory=list)  # the answer each question was asked after

    def ask(self, text: str, *, fund: str | None = None, after: Answered | None = None) -> FakeMatch:
        self.asked.append((text, fund))
        self.after.append(after)
        return FakeMatch(self.decision, fund, self.lang, mask(text).text)

    async def ask_soon(self, text: str, *, fund: str | None = None, after: Answered | None = None) -> FakeMatch:
        return self.ask(text, fund=fund, after=after)

    def entry(self, entry_id: str) -> Entry | None:
        return self.entries.get(entry_id)

    def script(self, kind: DecisionKind, *scored: tuple[Entry, float], lang: str = "en") -> None:
        self.decision = Decision(kind, tuple(Candidate(e, s) for e, s in scored))
        self.lang = lang


MakeTracker = Callable[..., Tracker]


def make_tracker(
    text: str = "How do I redeem?",
    intent: str = "ask_question",
    entities: list[dict[str, Any]] | None = None,
    **slots: Any,
) -> Tracker:
    """A tracker whose latest message has ``text``, ``intent`` and ``entities``, with ``slots``."""
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": entities or []}
    return Tracker("investor-1", slots, latest, [], False, None, {}, "action_listen")


@dataclass(frozen=True)
class Outcome:
    messages: list[dict[str, Any]]
    events: list[dict[str, Any]]

    @property
    def slots(self) -> dict[str, Any]:
        return {e["name"]: e["value"] for e in self.events if e["event"] == "slot"}

    @property
    def texts(self) -> list[str | None]:
        return [m["text"] for m in self.messages]


def run(action: Action, tracker: Tracker) -> Outcome:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return Outcome(dispatcher.messages, events)

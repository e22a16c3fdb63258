"""Constructed traffic for the analytics tests: conversations, questions with embeddings, hand-offs, feedback."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy.orm import Session

from escalation.analytics import rollup
from funddesk.db import Conversation, Feedback, Handoff, HandoffStatus, Message, Question, Role, Team

DIM = 64
_ids = itertools.count(1)


def topic(seed: int) -> np.ndarray:
    """A direction of its own: random directions in DIM dimensions are nearly orthogonal."""
    vector = np.random.default_rng(seed).standard_normal(DIM)
    return vector / np.linalg.norm(vector)


def paraphrase(direction: np.ndarray, seed: int, noise: float = 0.25) -> bytes:
    """A question of that topic: pairwise cosine about 0.94 with the topic's other questions."""
    jitter = np.random.default_rng(10_000 + seed).standard_normal(DIM) * noise / np.sqrt(DIM)
    vector = direction + jitter
    unit: np.ndarray = vector / np.linalg.norm(vector)  # numpy's stubs give this arithmetic Any
    return unit.astype("<f4").tobytes()


@dataclass
class Traffic:
    session: Session
    at: datetime
    conversations: list[str] = field(default_factory=list)

    def team(self, team_id: str, sla_seconds: int = 120) -> None:
        if self.session.get(Team, team_id) is None:
            self.session.add(Team(id=team_id, name=team_id.title(), sla_seconds=sla_seconds))
            self.session.flush()

    def conversation(self, *, at: datetime | None = None, lang: str = "en") -> str:
        conversation_id = f"conv{next(_ids):06d}"
        self.session.add(Conversation(id=conversation_id, token_hash="x" * 64, lang=lang, created_at=at or self.at))
        self.session.flush()
        self.conversations.append(conversation_id)
        return conversation_id

    def message(self, conversation_id: str, role: Role, text: str, *, at: datetime, payload: str | None = None) -> None:
        self.session.add(Message(conversation_id=conversation_id, role=role, text=text, payload=payload, created_at=at))

    def question(
        self,
        conversation_id: str,
        text: str,
        decision: str,
        *,
        at: datetime | None = None,
        lang: str = "en",
        embedding: bytes | None = None,
        cluster_id: str | None = None,
        entry_id: str | None = None,
        fund_code: str | None = None,
        team_id: str | None = "service-desk",
    ) -> Question:
        moment = at or self.at
        self.message(conversation_id, Role.INVESTOR, text, at=moment)
        row = Question(
            conversation_id=conversation_id,
            asked_at=moment,
            text=text,
            lang=lang,
            fund_code=fund_code,
            embedding=embedding,
            entry_id=entry_id,
            decision=decision,
            cluster_id=cluster_id,
            team_id=team_id,
        )
        self.session.add(row)
        rollup.add(self.session, [row])  # as the question log's writer does
        self.session.flush()
        return row

    def handoff(
        self,
        conversation_id: str,
        reason: str,
        *,
        team_id: str = "service-desk",
        status: HandoffStatus = HandoffStatus.RESOLVED,
        at: datetime | None = None,
        first_response_after: float | None = None,
        resolved_after: float | None = None,
        entry_id: str | None = None,
    ) -> None:
        moment = at or self.at
        self.session.add(
            Handoff(
                conversation_id=conversation_id,
                team_id=team_id,
                status=status,
                reason=reason,
                lang="en",
                entry_id=entry_id,
                created_at=moment,
                first_response_at=moment + timedelta(seconds=first_response_after) if first_response_after else None,
                resolved_at=moment + timedelta(seconds=resolved_after) if resolved_after else None,
            )
        )
        self.session.flush()

    def feedback(self, conversation_id: str, entry_id: str, helpful: bool, *, at: datetime | None = None) -> None:
        self.session.add(
            Feedback(conversation_id=conversation_id, entry_id=entry_id, helpful=helpful, created_at=at or self.at)
        )
        self.session.flush()

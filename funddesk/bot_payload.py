"""The payload the bot attaches to its replies for the web service: one typed definition for both sides.

The actions send it as a reply's ``custom`` JSON (Rasa's REST channel passes it through); the web service, its fake
bot and the tests read it back with :func:`parse`. Every payload carries ``type`` and ``v`` (this module's
``VERSION``; a payload without ``v`` is version 1). There are no alias keys: a key is spelled once, here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

VERSION = 1


class HandoffReason(StrEnum):
    """Why a conversation went to a person (stored with the hand-off, shown in the console)."""

    REQUESTED = "requested"  # the investor asked
    FALLBACK = "fallback"  # the bot could not answer twice and offered a person
    NEGATIVE_FEEDBACK = "negative_feedback"  # "not helpful", then a person
    FAQ_ESCALATE = "faq_escalate"  # the entry says such questions go to people
    INCIDENT = "incident"  # asked during an open incident
    STAFF = "staff"  # a member of staff took it over


class Kind(StrEnum):
    FAQ_MATCH = "faq_match"
    FAQ_FEEDBACK = "faq_feedback"
    HANDOFF_REQUESTED = "handoff_requested"


@dataclass(frozen=True)
class FaqMatch:
    """Which entry, in which version and with which score, produced a bot answer (or a clarify or fallback)."""

    faq_id: str | None
    faq_version: str | None
    faq_score: float | None
    decision: str | None
    lang: str | None
    fund: str | None = None
    incidents_opened: tuple[str, ...] = ()  # spikes this question set off (the web service shows them to staff)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": str(Kind.FAQ_MATCH),
            "v": VERSION,
            "faq_id": self.faq_id,
            "faq_version": self.faq_version,
            "faq_score": self.faq_score,
            "faq_decision": self.decision,
            "lang": self.lang,
            "fund": self.fund,
        }
        return body | {"incidents_opened": list(self.incidents_opened)} if self.incidents_opened else body


@dataclass(frozen=True)
class Feedback:
    """The investor's helpful / not helpful on the last answer."""

    faq_id: str | None
    faq_version: str | None
    helpful: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "type": str(Kind.FAQ_FEEDBACK),
            "v": VERSION,
            "faq_id": self.faq_id,
            "faq_version": self.faq_version,
            "helpful": self.helpful,
        }


@dataclass(frozen=True)
class HandoffRequest:
    """The investor leaves the bot for a staff queue: the web service opens the hand-off from this."""

    team: str | None
    reason: HandoffReason
    lang: str | None = None
    faq_id: str | None = None
    fund: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "type": str(Kind.HANDOFF_REQUESTED),
            "v": VERSION,
            "team": self.team,
            "reason": str(self.reason),
            "faq_id": self.faq_id,
            "fund": self.fund,
            "lang": self.lang,
        }


Payload = FaqMatch | Feedback | HandoffRequest


def parse(custom: Mapping[str, Any] | None) -> Payload | None:
    """The payload of a reply's ``custom`` JSON; None when there is none or it is not one of ours (never raises:
    a malformed field reads as absent, an unknown hand-off reason as ``requested``)."""
    if not custom:
        return None
    kind = custom.get("type")
    if kind == Kind.FAQ_MATCH:
        opened = custom.get("incidents_opened")
        return FaqMatch(
            faq_id=_text(custom.get("faq_id")),
            faq_version=_text(custom.get("faq_version")),
            faq_score=_number(custom.get("faq_score")),
            decision=_text(custom.get("faq_decision")),
            lang=_text(custom.get("lang")),
            fund=_text(custom.get("fund")),
            incidents_opened=tuple(str(key) for key in opened) if isinstance(opened, list) else (),
        )
    if kind == Kind.FAQ_FEEDBACK:
        helpful = custom.get("helpful")
        if not isinstance(helpful, bool):
            return None
        return Feedback(_text(custom.get("faq_id")), _text(custom.get("faq_version")), helpful)
    if kind == Kind.HANDOFF_REQUESTED:
        reason = _text(custom.get("reason"))
        known = reason in HandoffReason.__members__.values()
        return HandoffRequest(
            team=_text(custom.get("team")),
            reason=HandoffReason(reason) if known and reason else HandoffReason.REQUESTED,
            lang=_text(custom.get("lang")),
            faq_id=_text(custom.get("faq_id")),
            fund=_text(custom.get("fund")),
        )
    return None


def _text(value: object) -> str | None:
    return str(value) if value is not None and value != "" else None


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None

"""First-response targets: how a waiting or unanswered conversation is coloured in the queue."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from funddesk.db.base import as_utc

SlaState = Literal["ok", "warning", "breached", "met", "missed"]
WARNING_SHARE = 0.5  # amber once half the target has gone by


def sla_state(created_at: datetime, first_response_at: datetime | None, sla_seconds: int, now: datetime) -> SlaState:
    """ok / warning / breached while nobody has answered; met / missed once someone has."""
    started = as_utc(created_at)
    if first_response_at is not None:
        return "met" if (as_utc(first_response_at) - started).total_seconds() <= sla_seconds else "missed"
    waited = (now - started).total_seconds()
    if waited >= sla_seconds:
        return "breached"
    return "warning" if waited >= WARNING_SHARE * sla_seconds else "ok"


def seconds_left(created_at: datetime, sla_seconds: int, now: datetime) -> float:
    return sla_seconds - (now - as_utc(created_at)).total_seconds()

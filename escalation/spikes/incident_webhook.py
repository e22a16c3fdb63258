"""The fund team's webhook: one POST when an incident opens (sent by the process whose insert filed it), and one when
its surge is over (by the process whose update recorded that)."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from escalation.spikes.filed_incident import utc
from escalation.spikes.pipeline import Spike
from escalation.spikes.question_log import SurgeEnded

log = logging.getLogger("escalation.spikes.watch")  # the watch's logger, as before this module was split off
ATTEMPTS = 3  # a receiver restarting gets 1 + 2 seconds to come back


def send(url: str, spike: Spike, team: str, zone: ZoneInfo) -> None:
    """POST the opened incident to ``url``. ``detected_at`` is the market's wall-clock time as it always was (the
    detector's clock, in ``zone``); ``detected_at_utc`` is the same moment with its offset, comparable with the
    ``surge_ended_at`` of the incident's end."""
    post(url, {
        "type": "incident_opened",
        "incident": spike.id,
        "team": team,
        "label": spike.label,
        "fund_code": spike.fund_code,
        "detected_at": spike.detected_at,
        "detected_at_utc": utc(spike.detected_at, zone).isoformat(),
        "count": spike.count,
        "baseline_per_bucket": spike.baseline,
        "samples": spike.samples,
        "evidence": asdict(spike.evidence) if spike.evidence is not None else None,
    })  # fmt: skip


def send_surge_ended(url: str, ended: SurgeEnded, at: datetime) -> None:
    """POST that an incident's surge is over: whether staff answered it, and how many asked in all."""
    post(url, {
        "type": "incident_surge_ended",
        "incident": ended.key,
        "team": ended.team_id,
        "label": ended.label,
        "fund_code": ended.fund_code,
        "surge_ended_at": at.isoformat(),
        "count": ended.count,
        "answered": ended.answered,
    })  # fmt: skip


def post(url: str, body: dict[str, Any]) -> None:
    """POST ``body`` to ``url``, retrying a failed attempt; a receiver that stays away is logged, not raised."""
    for attempt in range(ATTEMPTS):
        try:
            httpx.post(url, json=body, timeout=5.0).raise_for_status()
            return
        except httpx.HTTPError as exc:
            log.warning("incident webhook failed (attempt %d): %s", attempt + 1, exc)
            if attempt + 1 < ATTEMPTS:
                time.sleep(2**attempt)

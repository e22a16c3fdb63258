"""The fund team's webhook: one POST when an incident opens (sent by the process whose insert filed it)."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict

import httpx

from escalation.spikes.pipeline import Spike

log = logging.getLogger("escalation.spikes.watch")  # the watch's logger, as before this module was split off
ATTEMPTS = 3  # a receiver restarting gets 1 + 2 seconds to come back


def send(url: str, spike: Spike, team: str) -> None:
    """POST the incident to ``url``, retrying a failed attempt; a receiver that stays away is logged, not raised."""
    body = {
        "type": "incident_opened",
        "incident": spike.id,
        "team": team,
        "label": spike.label,
        "fund_code": spike.fund_code,
        "detected_at": spike.detected_at,
        "count": spike.count,
        "baseline_per_bucket": spike.baseline,
        "samples": spike.samples,
        "evidence": asdict(spike.evidence) if spike.evidence is not None else None,
    }
    for attempt in range(ATTEMPTS):
        try:
            httpx.post(url, json=body, timeout=5.0).raise_for_status()
            return
        except httpx.HTTPError as exc:
            log.warning("incident webhook failed (attempt %d): %s", attempt + 1, exc)
            if attempt + 1 < ATTEMPTS:
                time.sleep(2**attempt)

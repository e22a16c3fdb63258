"""The dashboard's metric definitions, as plain functions of counts and timestamps (no database).

- Containment: of the conversations started in the range, the share never handed to a person. A hand-off
  the investor cancelled before anyone claimed it does not count (no person took part).
- Answer, clarify and fallback rates: the share of logged questions with that decision; other decisions
  (an incident's holding reply) count in the whole, so the three need not add up to 1.
- First response and resolution: from a hand-off's creation to the first staff message, and to its
  resolution. A hand-off meets its team's SLA when the first response came within ``sla_seconds``; it misses
  it when the response came later or has not come and the target has passed; otherwise it is pending. One the
  investor cancelled before anyone claimed it misses it only if they waited past the target, else it does not
  count; a cancellation is not a resolution.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

DECISIONS = ("answer", "clarify", "fallback")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def rate(part: int, whole: int) -> float:
    """``part / whole``, 0 for an empty whole (no traffic is not a failure)."""
    return part / whole if whole else 0.0


def containment_rate(conversations: int, handed_off: int) -> float:
    return rate(conversations - handed_off, conversations)


def decision_rates(counts: Mapping[str | None, int]) -> dict[str, float]:
    """``{decision: questions}`` -> ``answer_rate``, ``clarify_rate``, ``fallback_rate``."""
    total = sum(counts.values())
    return {f"{d}_rate": rate(counts.get(d, 0), total) for d in DECISIONS}


def rates_by_language(counts: Mapping[tuple[str, str | None], int]) -> dict[str, dict[str, Any]]:
    """``{(lang, decision): questions}`` -> per language: ``questions`` and the three rates."""
    by_lang: dict[str, dict[str | None, int]] = {}
    for (lang, decision), n in counts.items():
        by_lang.setdefault(lang, {})[decision] = by_lang.get(lang, {}).get(decision, 0) + n
    return {lang: {"questions": sum(per.values()), **decision_rates(per)} for lang, per in sorted(by_lang.items())}


def percentile(values: Sequence[float], share: float) -> float | None:
    """Linear interpolation between the closest ranks (numpy's default); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = share * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class HandoffTimes:
    created_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    sla_seconds: int
    cancelled: bool = False  # by the investor before anyone claimed it (``resolved_at``: when)


def sla_outcome(times: HandoffTimes, now: datetime) -> str | None:
    """``met``, ``missed``, ``pending``, or None for a cancellation within the target (see the module text)."""
    if times.first_response_at is not None:
        waited = (times.first_response_at - times.created_at).total_seconds()
        return "met" if waited <= times.sla_seconds else "missed"
    ended = times.resolved_at if times.cancelled and times.resolved_at is not None else now
    if (ended - times.created_at).total_seconds() > times.sla_seconds:
        return "missed"
    return None if times.cancelled else "pending"


def response_figures(handoffs: Iterable[HandoffTimes], now: datetime) -> dict[str, Any]:
    """Median and 90th percentile of first-response and resolution seconds, and the SLA outcomes."""
    rows = list(handoffs)
    first = [(h.first_response_at - h.created_at).total_seconds() for h in rows if h.first_response_at]
    resolved = [(h.resolved_at - h.created_at).total_seconds() for h in rows if h.resolved_at and not h.cancelled]
    outcomes = {"met": 0, "missed": 0, "pending": 0}
    for row in rows:
        if (outcome := sla_outcome(row, now)) is not None:
            outcomes[outcome] += 1
    return {
        "handoffs": len(rows),
        "first_response_p50_s": percentile(first, 0.5),
        "first_response_p90_s": percentile(first, 0.9),
        "resolution_p50_s": percentile(resolved, 0.5),
        "resolution_p90_s": percentile(resolved, 0.9),
        "sla": outcomes,
        "sla_met_rate": rate(outcomes["met"], outcomes["met"] + outcomes["missed"]),
    }


def local_hour(epoch_hour: int, zone: ZoneInfo) -> datetime:
    """The local time of the UTC hour ``epoch_hour`` (hours since 1970)."""
    return datetime.fromtimestamp(epoch_hour * 3600, UTC).astimezone(zone)


def heatmap(hourly: Mapping[int, int], zone: ZoneInfo) -> list[list[int]]:
    """Questions by local weekday (Monday first) and hour: 7 rows of 24."""
    grid = [[0] * 24 for _ in WEEKDAYS]
    for hour, n in hourly.items():
        moment = local_hour(hour, zone)
        grid[moment.weekday()][moment.hour] += n
    return grid


def per_day(hourly: Mapping[int, int], zone: ZoneInfo, days: Sequence[date]) -> list[dict[str, Any]]:
    """Questions per local day of the range (days without any included)."""
    counts = dict.fromkeys(days, 0)
    for hour, n in hourly.items():
        day = local_hour(hour, zone).date()
        if day in counts:
            counts[day] += n
    return [{"day": day.isoformat(), "questions": n} for day, n in counts.items()]

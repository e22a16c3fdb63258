"""A hand-off the investor cancelled before anyone claimed it: nobody could answer it, and nobody resolved it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from escalation.analytics import metrics
from escalation.analytics.metrics import HandoffTimes

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
LATER = T0 + timedelta(hours=1)


def cancelled_after(seconds: int, sla_seconds: int = 120) -> HandoffTimes:
    return HandoffTimes(T0, None, T0 + timedelta(seconds=seconds), sla_seconds, cancelled=True)


def test_a_hand_off_cancelled_within_the_target_neither_meets_nor_misses_the_sla() -> None:
    assert metrics.sla_outcome(cancelled_after(5), LATER) is None
    assert metrics.response_figures([cancelled_after(5)], LATER)["sla"] == {"met": 0, "missed": 0, "pending": 0}


def test_a_hand_off_cancelled_after_waiting_past_the_target_missed_it() -> None:
    assert metrics.sla_outcome(cancelled_after(600), LATER) == "missed"


def test_a_cancellation_is_not_a_resolution() -> None:
    resolved = HandoffTimes(T0, T0 + timedelta(seconds=30), T0 + timedelta(seconds=900), 120)
    figures = metrics.response_figures([resolved, cancelled_after(5)], LATER)
    assert figures["resolution_p50_s"] == 900.0
    assert figures["handoffs"] == 2

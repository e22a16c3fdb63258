"""The dashboard's response figures from the database (SQLite and PostgreSQL): a hand-off the investor
cancelled within the target is no SLA miss and no resolution."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from escalation.analytics import report
from escalation.analytics.period import parse_period
from funddesk.db import HandoffStatus
from tests.web.analytics_data import Traffic

NOON = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
PERIOD = parse_period("2026-11-10", "2026-11-10", "UTC", NOON)


def test_a_hand_off_cancelled_seconds_after_it_opened_is_neither_an_sla_miss_nor_a_resolution(
    session: Session,
) -> None:
    data = Traffic(session, NOON)
    data.team("service-desk", sla_seconds=120)
    data.handoff(data.conversation(), "fallback", first_response_after=60, resolved_after=600)
    data.handoff(data.conversation(), "requested", status=HandoffStatus.CANCELLED, resolved_after=5)
    response = report.summary(session, PERIOD, None, NOON + timedelta(hours=1))["response"]
    assert response["sla"] == {"met": 1, "missed": 0, "pending": 0}
    assert response["resolution_p50_s"] == 600.0

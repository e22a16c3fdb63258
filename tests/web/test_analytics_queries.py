"""The analytics queries on SQLite and PostgreSQL: the figures of constructed traffic, per team and overall."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from escalation.analytics import report
from escalation.analytics.period import parse_period
from funddesk.db import HandoffStatus, Role
from tests.web.analytics_data import Traffic, paraphrase, topic

NOON = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
PERIOD = parse_period("2026-11-09", "2026-11-10", "UTC", NOON)


@pytest.fixture
def traffic(session: Session) -> Traffic:
    data = Traffic(session, NOON)
    data.team("service-desk", sla_seconds=120)
    data.team("trading-desk", sla_seconds=120)
    contained = data.conversation()
    data.question(contained, "How do I redeem?", "answer", entry_id="redemption")
    data.feedback(contained, "redemption", True, at=NOON + timedelta(seconds=30))
    handed = data.conversation()
    for n in range(2):
        data.question(handed, f"Is my money safe {n}?", "fallback", at=NOON + timedelta(seconds=n))
    data.handoff(handed, "fallback", first_response_after=60, resolved_after=600)
    cancelled = data.conversation()
    data.question(cancelled, "Which one?", "clarify")
    data.handoff(cancelled, "fallback", status=HandoffStatus.CANCELLED)
    trading = data.conversation()
    data.question(trading, "Cut-off time?", "clarify", team_id="trading-desk")
    data.message(trading, Role.INVESTOR, "Cut-off", at=NOON + timedelta(minutes=1), payload='/choose_faq{"faq_id":"x"}')
    data.question(trading, "When do orders close?", "answer", entry_id="cut-off", team_id="trading-desk")
    data.feedback(trading, "cut-off", False, at=NOON + timedelta(minutes=2))
    data.handoff(trading, "requested", team_id="trading-desk", first_response_after=300, entry_id="cut-off")
    old = data.conversation(at=NOON - timedelta(days=3))
    data.question(old, "An old question", "fallback", at=NOON - timedelta(days=3))
    return data


def test_the_summary_counts_the_range_and_defines_containment_without_cancelled_hand_offs(
    session: Session, traffic: Traffic
) -> None:
    figures = report.summary(session, PERIOD, None, NOON + timedelta(hours=1))
    assert figures["conversations"] == 4
    assert figures["containment_rate"] == 0.5  # handed and trading; the cancelled one never reached a person
    assert figures["messages"] == 7
    assert figures["questions"] == 6
    assert (figures["answer_rate"], figures["clarify_rate"], figures["fallback_rate"]) == (2 / 6, 2 / 6, 2 / 6)
    assert figures["handoffs"] == {"fallback": 2, "requested": 1}
    assert figures["feedback"] == {"helpful": 1, "not_helpful": 1}
    assert figures["response"]["sla"] == {"met": 1, "missed": 2, "pending": 0}
    assert figures["entries_that_hurt"][0] == {"entry_id": "cut-off", "not_helpful": 1, "handoffs_after": 1}
    assert sum(map(sum, figures["heatmap"]["counts"])) == 6
    assert [d["questions"] for d in figures["questions_per_day"]] == [0, 6]


def test_a_team_sees_its_own_questions_hand_offs_and_conversations(session: Session, traffic: Traffic) -> None:
    figures = report.summary(session, PERIOD, "trading-desk", NOON)
    assert figures["conversations"] == 1
    assert figures["questions"] == 2
    assert figures["handoffs"] == {"requested": 1}
    assert figures["feedback"] == {"helpful": 0, "not_helpful": 1}
    assert figures["containment_rate"] == 0.0


def test_gaps_join_clusters_of_one_topic_across_funds_and_rank_by_volume(session: Session, traffic: Traffic) -> None:
    a, b, c = topic(1), topic(2), topic(3)
    conversation = traffic.conversation()
    for n in range(5):
        fund, cluster = ("900001", "c101") if n < 3 else (None, "c102")
        text = f"Can I hold the fund in a pension account? ({n})"
        traffic.question(conversation, text, "fallback", embedding=paraphrase(a, n), cluster_id=cluster, fund_code=fund)
    for n in range(2):
        traffic.question(conversation, f"Crypto fund {n}?", "clarify", embedding=paraphrase(b, n), cluster_id="c201")
    answered = traffic.conversation()
    traffic.question(answered, "What are the fees?", "answer", embedding=paraphrase(c, 0), cluster_id="c301",
                     entry_id="fees")  # fmt: skip
    traffic.feedback(answered, "fees", False, at=NOON + timedelta(minutes=5))
    picked = traffic.conversation()
    traffic.question(picked, "Switch funds?", "clarify", embedding=paraphrase(c, 1), cluster_id="c401")
    traffic.message(
        picked, Role.INVESTOR, "Switch", at=NOON + timedelta(minutes=2), payload='/choose_faq{"faq_id":"y"}'
    )

    gaps = report.gaps(session, report.span_of(PERIOD, None))
    assert [(g.id, g.size) for g in gaps] == [("gap-c101", 5), ("gap-c201", 2), ("gap-c301", 1)]
    first = gaps[0]
    assert sorted(first.clusters) == ["c101", "c102"]
    assert first.funds == ["900001"] and first.languages == ["en"]
    assert len(first.samples) == 5
    assert report.find_gap(session, report.span_of(PERIOD, None), "gap-c102") is not None

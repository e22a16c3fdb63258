"""An alarm stands only where the series' share of all questions rose too: a rise every topic shares is no spike."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from scipy.stats import binom

from bench.hidden_weeks import MONDAY, hidden_week_like, opened
from escalation.spikes.bank import DetectorBank
from escalation.spikes.pipeline import Question, QuestionPipeline
from escalation.spikes.tails import share_tail

FIRST_OPEN = MONDAY + timedelta(hours=9, minutes=30)


def monday_morning(draw: int) -> list[Question]:
    questions, _, _ = hidden_week_like(draw)
    return [q for q in questions if q.moment < MONDAY + timedelta(hours=12)]


@pytest.mark.parametrize(("count", "total", "share"), [(3, 10, 0.2), (10, 12, 0.35), (17, 34, 0.17), (1, 1, 0.5)])
def test_the_share_tail_is_the_binomial_upper_tail(count: int, total: int, share: float) -> None:
    assert share_tail(count, total, share) == pytest.approx(binom.sf(count - 1, total, share))


def test_no_question_is_never_surprising_and_more_than_all_of_them_always_is() -> None:
    assert (share_tail(0, 5, 0.1), share_tail(6, 5, 0.1), share_tail(4, 5, 1.0)) == (1.0, 0.0, 1.0)


def test_the_first_market_open_a_fresh_deployment_sees_opens_no_incident() -> None:
    """Draw 38 of the weeks like the hidden one: at 09:36 its busiest topic had 7 of the bucket's first 8 questions,
    against a whole bucket's expectation, while the other topics' 1 question set the share-of-traffic scale at 1."""
    assert opened(QuestionPipeline(), monday_morning(38)) == []


def test_without_the_share_test_the_same_open_would_open_an_incident(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(DetectorBank, "_stands_out", lambda *args, **kwargs: True)
    found = opened(QuestionPipeline(), monday_morning(38))
    assert [detected.strftime("%H:%M") for _, detected in found] == ["09:37"]


def test_a_topics_own_burst_stands_out_even_while_every_topic_is_busier() -> None:
    """Every topic doubles for an hour (a market-wide rush) and one of them rises tenfold inside it."""
    bank, rng, alarms = DetectorBank(), random.Random(7), []
    start = datetime(2026, 3, 2)
    for minute in range(3 * 24 * 60):
        moment = start + timedelta(minutes=minute)
        rush = moment >= FIRST_OPEN + timedelta(days=2) and moment < FIRST_OPEN + timedelta(days=2, hours=1)
        for topic in range(8):
            rate = 0.4 * (2.0 if rush else 1.0) * (5.0 if rush and topic == 3 else 1.0)
            count = sum(rng.random() < rate / 4 for _ in range(4))
            if count:
                alarms += [(a.key, a.detected_at) for a in bank.add(moment, f"t{topic}", count)]
    assert [key for key, _ in alarms] == ["t3"]
    assert alarms[0][1] - (FIRST_OPEN + timedelta(days=2)) <= timedelta(minutes=10)

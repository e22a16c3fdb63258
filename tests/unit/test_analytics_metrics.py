"""The dashboard's metric definitions on constructed figures: containment, rates, SLA, hours, ranges."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from escalation.analytics import metrics
from escalation.analytics.metrics import HandoffTimes
from escalation.analytics.period import BadPeriod, parse_period

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # a Monday, 09:00 in Shanghai


def test_containment_is_the_share_of_conversations_never_handed_to_a_person() -> None:
    assert metrics.containment_rate(10, 3) == pytest.approx(0.7)


def test_no_conversations_is_a_containment_of_zero_not_an_error() -> None:
    assert metrics.containment_rate(0, 0) == 0.0


def test_decision_rates_count_every_logged_question_in_the_whole() -> None:
    rates = metrics.decision_rates({"answer": 6, "clarify": 2, "fallback": 1, "incident": 1})
    assert rates == {"answer_rate": 0.6, "clarify_rate": 0.2, "fallback_rate": 0.1}


def test_rates_by_language_are_rates_within_each_language() -> None:
    rates = metrics.rates_by_language({("en", "answer"): 3, ("en", "fallback"): 1, ("zh", "clarify"): 2})
    assert rates["en"] == {"questions": 4, "answer_rate": 0.75, "clarify_rate": 0.0, "fallback_rate": 0.25}
    assert rates["zh"]["clarify_rate"] == 1.0


def test_a_first_response_within_the_target_meets_the_sla_and_a_later_one_misses_it() -> None:
    now = T0 + timedelta(hours=1)
    met = HandoffTimes(T0, T0 + timedelta(seconds=120), None, 120)
    late = HandoffTimes(T0, T0 + timedelta(seconds=121), None, 120)
    assert metrics.sla_outcome(met, now) == "met"
    assert metrics.sla_outcome(late, now) == "missed"


def test_an_unanswered_hand_off_misses_the_sla_once_the_target_has_passed_and_is_pending_before() -> None:
    waiting = HandoffTimes(T0, None, None, 300)
    assert metrics.sla_outcome(waiting, T0 + timedelta(seconds=200)) == "pending"
    assert metrics.sla_outcome(waiting, T0 + timedelta(seconds=301)) == "missed"


def test_response_figures_give_medians_and_the_share_of_decided_hand_offs_that_met_the_sla() -> None:
    rows = [
        HandoffTimes(T0, T0 + timedelta(seconds=s), T0 + timedelta(seconds=10 * s), 60) for s in (30, 60, 90, 120)
    ] + [HandoffTimes(T0, None, None, 60)]
    figures = metrics.response_figures(rows, T0 + timedelta(seconds=30))
    assert figures["handoffs"] == 5
    assert figures["first_response_p50_s"] == 75.0
    assert figures["resolution_p50_s"] == 750.0
    assert figures["sla"] == {"met": 2, "missed": 2, "pending": 1}
    assert figures["sla_met_rate"] == 0.5


def test_percentile_interpolates_between_ranks_and_is_none_without_values() -> None:
    assert metrics.percentile([1.0, 2.0, 3.0, 4.0], 0.9) == pytest.approx(3.7)
    assert metrics.percentile([], 0.5) is None


def test_the_heatmap_places_questions_in_local_weekdays_and_hours() -> None:
    zone = ZoneInfo("Asia/Shanghai")
    hour = int(T0.timestamp()) // 3600
    grid = metrics.heatmap({hour: 5, hour + 16: 2}, zone)  # Monday 09:00 and Tuesday 01:00 local
    assert grid[0][9] == 5
    assert grid[1][1] == 2
    assert sum(map(sum, grid)) == 7


def test_questions_per_day_cover_every_day_of_the_range_in_local_time() -> None:
    zone = ZoneInfo("Asia/Shanghai")
    late_sunday_utc = int(datetime(2026, 11, 1, 17, 0, tzinfo=UTC).timestamp()) // 3600  # Monday 01:00 local
    days = [date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)]
    series = metrics.per_day({late_sunday_utc: 4}, zone, days)
    assert series == [
        {"day": "2026-11-01", "questions": 0},
        {"day": "2026-11-02", "questions": 4},
        {"day": "2026-11-03", "questions": 0},
    ]


def test_a_period_is_whole_local_days_with_to_inclusive() -> None:
    period = parse_period("2026-11-01", "2026-11-02", "Asia/Shanghai", T0)
    assert period.start == datetime(2026, 10, 31, 16, 0, tzinfo=UTC)
    assert period.end == datetime(2026, 11, 2, 16, 0, tzinfo=UTC)


def test_a_missing_range_is_the_last_thirty_days_up_to_today() -> None:
    period = parse_period(None, None, "UTC", T0)
    assert (period.first_day, period.last_day) == (date(2026, 10, 4), date(2026, 11, 2))


@pytest.mark.parametrize(("first", "last"), [("2026-11-03", "2026-11-02"), ("yesterday", "2026-11-02")])
def test_a_backwards_or_unreadable_range_is_refused(first: str, last: str) -> None:
    with pytest.raises(BadPeriod):
        parse_period(first, last, "UTC", T0)

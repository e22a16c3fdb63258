"""The known-rate ceiling (bench/scenario_ceiling.py): when the detector's own test, given a week's true rates, could
first flag a burst. Weeks here are flat (every minute of the week alike) with exact counts, so every figure is known."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np

from bench.scenario_ceiling import ceiling_delay
from bench.scenario_scoring import BurstOutcome, ScenarioResult
from bench.scenario_weeks import WEEK_MINUTES, Burst, Decoy, Event, Scenario, Seasons, Stream
from bench.spike_scenarios import summarize

FLAT = Seasons(1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, (1.0,) * 7, None)
TUESDAY_TEN = 24 * 60 + 10 * 60  # a minute of the week


def week(peaks: tuple[float, ...], *, funds: tuple[str, ...] = ("000001",), decoys: tuple[Decoy, ...] = ()) -> Scenario:
    """Topics at ``peaks`` questions per 5 minutes all week, nearly Poisson (a huge gamma shape)."""
    drawn = Scenario.draw(5000)
    return replace(
        drawn,
        peaks=peaks,
        seasons=FLAT,
        hourly_shape=1e9,
        funds=funds,
        fund_naming=(0.1,) * len(peaks),
        bursts=(),
        decoys=decoys,
    )


def stream(scenario: Scenario, burst: Burst, extra_per_minute: int, topic_counts: np.ndarray | None = None) -> Stream:
    """Each topic asked exactly its expected count each minute (rounded down, at least every 1/rate minutes), and
    ``extra_per_minute`` more of the burst's topic (naming its fund) for as long as the burst lasts."""
    events: list[Event] = []
    rates = scenario.rates() * scenario.decoy_factor()[:, None]
    counts = topic_counts if topic_counts is not None else np.floor(np.cumsum(rates, axis=0) + 1e-9)
    for topic in range(rates.shape[1]):
        per_minute = np.diff(np.concatenate([[0.0], counts[:, topic]])).astype(int)
        for minute in np.nonzero(per_minute)[0].tolist():
            events += [_event(scenario, minute, topic, None, None)] * int(per_minute[minute])
    first = int((burst.start - scenario.start).total_seconds() // 60)
    for minute in range(first, first + burst.minutes):
        events += [_event(scenario, minute, burst.topic, burst.fund, burst.id)] * extra_per_minute
    events.sort(key=lambda e: e.moment)
    return Stream(replace(scenario, bursts=(burst,)), events)


def _event(scenario: Scenario, minute: int, topic: int, fund: str | None, burst: int | None) -> Event:
    moment = scenario.start + timedelta(minutes=minute, seconds=30)
    return Event(moment, f"topic {topic}", np.zeros(4, np.float32), fund, topic, burst)


def burst_at(scenario: Scenario, kind: str, topic: int, factor: float | None, fund: str | None = None) -> Burst:
    start = scenario.start + timedelta(minutes=TUESDAY_TEN)
    return Burst(0, kind, topic, fund, factor, start, start + timedelta(minutes=40), "sharp", 0.0, 0.0, 0.0)


def test_a_tenfold_burst_of_a_busy_topic_could_be_flagged_within_two_minutes() -> None:
    scenario = week((5.0, 5.0))  # one question a minute each
    delay = ceiling_delay(stream(scenario, b := burst_at(scenario, "topic", 0, 10.0), 9), b)
    assert delay is not None and delay <= 2


def test_a_fivefold_burst_of_a_topic_asked_once_an_hour_could_never_be_flagged() -> None:
    scenario = week((5.0, 0.1))  # topic 1: 0.02 a minute, and the burst adds 0.08 a minute: under min_count in 15 min
    b = burst_at(scenario, "topic", 1, 5.0)
    counts = np.floor(np.cumsum(scenario.rates(), axis=0) + 1e-9)
    first = TUESDAY_TEN
    counts[first:, 1] += np.minimum(np.arange(1, WEEK_MINUTES - first + 1), 40) // 12  # one extra every 12 minutes
    assert ceiling_delay(stream(scenario, b, 0, counts), b) is None


def test_a_new_topic_has_no_ceiling_since_a_known_rate_of_zero_makes_its_first_question_certain() -> None:
    scenario = week((5.0,))
    b = burst_at(scenario, "new_topic", 1, None)
    assert ceiling_delay(stream(scenario, b, 1), b) is None


def test_a_fund_no_question_named_before_is_flagged_once_min_count_questions_name_it() -> None:
    # Its topic doubles (5 to 10 a bucket), far from significant in a few minutes; its fund had no traffic at all.
    scenario = week((5.0,), funds=("000001",))
    b = burst_at(scenario, "fund", 0, 2.0, fund="161725")
    assert ceiling_delay(stream(scenario, b, 1), b) == 7.5  # its eighth question, at half past the seventh minute


def test_a_rise_that_a_market_wide_decoy_explains_is_not_flagged_but_the_same_rise_without_it_is() -> None:
    start = TUESDAY_TEN - 30
    plain = week((5.0, 5.0))
    decoy = Decoy(plain.start + timedelta(minutes=start), plain.start + timedelta(minutes=start + 180), 3.0, "sharp")
    with_decoy = week((5.0, 5.0), decoys=(decoy,))
    b = burst_at(with_decoy, "topic", 0, 3.0)
    tripled = stream(with_decoy, b, 0)  # every topic at three times its rate, as the decoy says
    assert ceiling_delay(tripled, b) is None
    assert ceiling_delay(replace(tripled, scenario=replace(tripled.scenario, decoys=())), b) is not None


def test_the_summary_scores_the_detector_against_the_bursts_the_ceiling_could_flag_within_ten_minutes() -> None:
    scenario = week((5.0,))
    strong = burst_at(scenario, "topic", 0, 8.0)

    def outcome(delay: float | None, ceiling: float | None) -> BurstOutcome:
        return BurstOutcome(strong, delay is not None, delay, 0, 1, 1.0, 0, "", 0, ceiling)

    outcomes = [outcome(4.0, 2.0), outcome(None, 6.0), outcome(12.0, 9.0), outcome(None, None), outcome(7.0, 30.0)]
    summary = summarize([ScenarioResult(1, 100, 1.0, 3, outcomes, [], 0)])
    assert summary["ceiling_at_5x"] == 3
    assert summary["ceiling_within_10_min_at_5x"] == 0.6
    assert summary["within_10_min_at_5x_of_ceiling"] == 0.333  # 1 of the 3 the ceiling flags within 10 minutes
    assert summary["within_10_min_at_5x_beyond_ceiling"] == 1  # caught sooner than the known-rate test: worth a look

"""Randomized weeks with known bursts (bench/scenario_weeks.py, scenario_questions.py) and how incidents are scored
on them (bench/scenario_scoring.py)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cache

import numpy as np

from bench.scenario_questions import generate
from bench.scenario_scoring import evaluate
from bench.scenario_weeks import Burst, Decoy, Event, Scenario, Stream
from bench.spike_scenarios import CHOOSE_SEEDS, REPORT_SEEDS, summarize
from escalation.spikes.question import Question

TEST_SEEDS = range(5000, 5500)  # neither for choosing settings nor for reporting
SMALL = 5008  # about 13k questions, a new topic and a fund burst


@cache
def week(seed: int) -> Stream:
    return generate(seed)


def first_seed(wanted: str) -> int:
    """The first test seed whose scenario has a burst of this kind (or, for "quiet", none at all)."""
    for seed in TEST_SEEDS:
        bursts = Scenario.draw(seed).bursts
        if (wanted == "quiet" and not bursts) or any(b.kind == wanted for b in bursts):
            return seed
    raise AssertionError(f"no test seed has a {wanted} week")


# -- the generator -----------------------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_week() -> None:
    first, second = generate(SMALL), week(SMALL)
    assert first.scenario == second.scenario
    assert [(e.moment, e.text, e.fund_code, e.topic, e.burst) for e in first.events] == [
        (e.moment, e.text, e.fund_code, e.topic, e.burst) for e in second.events
    ]
    assert all(np.array_equal(a.vector, b.vector) for a, b in zip(first.events[:100], second.events[:100], strict=True))


def test_different_seeds_give_different_weeks() -> None:
    assert Scenario.draw(5001).peaks != Scenario.draw(5002).peaks


def test_a_week_starts_on_a_monday_at_midnight_and_its_questions_are_in_time_order() -> None:
    stream = week(SMALL)
    start = stream.scenario.start
    assert (start.weekday(), start.hour, start.minute) == (0, 0, 0)
    moments = [e.moment for e in stream.events]
    assert moments == sorted(moments)
    assert start <= moments[0] and moments[-1] < stream.scenario.end == start + timedelta(days=7)


def test_questions_carry_unit_float32_vectors_of_384_dimensions() -> None:
    vectors = np.stack([e.vector for e in week(SMALL).events[:500]])
    assert vectors.dtype == np.float32 and vectors.shape == (500, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_topics_range_from_a_tenth_to_fifty_questions_per_five_minutes_at_peak() -> None:
    for seed in TEST_SEEDS[:20]:
        scenario = Scenario.draw(seed)
        assert 20 <= len(scenario.peaks) <= 80
        assert min(scenario.peaks) >= 0.1 and max(scenario.peaks) <= 50.0
        assert 5 <= len(scenario.funds) <= 60 and all(len(code) == 6 and code.isdigit() for code in scenario.funds)


def test_trading_hours_are_busier_than_lunch_evenings_nights_and_weekends() -> None:
    week_profile = Scenario.draw(SMALL).seasons.week()  # no holiday that week
    tuesday = 1440

    def level(day: int, hour: int, minute: int = 0) -> float:
        return float(week_profile[day * 1440 + hour * 60 + minute])

    trading = level(1, 10, 30)
    assert trading > level(1, 12) > level(1, 3)
    assert trading > level(1, 20) > level(1, 3)
    assert trading > level(5, 10, 30)
    assert week_profile[tuesday : tuesday + 1440].argmax() in range(9 * 60 + 30, 15 * 60)


def test_a_holiday_has_weekend_traffic() -> None:
    scenario = next(s for s in map(Scenario.draw, TEST_SEEDS) if s.seasons.holiday is not None)
    day = scenario.seasons.holiday or 0
    profile = scenario.seasons.week()[day * 1440 : (day + 1) * 1440] / scenario.seasons.days[day]
    assert np.allclose(profile, scenario.seasons.weekend_day())


def test_a_few_percent_of_questions_name_a_fund() -> None:
    events = week(SMALL).events
    named = sum(e.fund_code is not None and e.burst is None for e in events) / len(events)
    assert 0.02 <= named <= 0.2


def test_a_fund_burst_names_its_fund_on_every_question() -> None:
    stream = week(SMALL)
    burst = next(b for b in stream.bursts if b.kind == "fund")
    own = [e for e in stream.events if e.burst == burst.id]
    assert own and all(e.fund_code == burst.fund and e.topic == burst.topic for e in own)
    assert all(burst.start <= e.moment < burst.end for e in own)


def test_a_new_topic_is_never_asked_before_its_burst() -> None:
    stream = week(SMALL)
    burst = next(b for b in stream.bursts if b.kind == "new_topic")
    asked = [e for e in stream.events if e.topic == burst.topic]
    assert asked and all(e.burst == burst.id for e in asked)
    assert burst.topic >= len(stream.scenario.peaks) and burst.factor is None


def test_the_faq_has_an_entry_for_every_topic_but_a_new_one_and_the_matcher_mostly_finds_it() -> None:
    stream = week(SMALL)
    new = {b.topic for b in stream.bursts if b.kind == "new_topic"}
    known = [e for e in stream.events if e.topic not in new]
    assert all(e.entry is not None for e in stream.events)  # a matcher always ranks some entry first
    assert not {f"e{t}" for t in new} & {e.entry for e in stream.events}
    right = sum(e.entry == f"e{e.topic}" for e in known) / len(known)
    assert 0.8 < right < 1.0  # close topics are confused now and then, as a real matcher's are


def test_a_quiet_week_has_no_bursts() -> None:
    stream = week(first_seed("quiet"))
    assert stream.bursts == ()
    assert all(e.burst is None for e in stream.events)


def test_every_burst_is_big_enough_to_act_on_and_inside_the_week() -> None:
    for seed in TEST_SEEDS[:30]:
        scenario = Scenario.draw(seed)
        for burst in scenario.bursts:
            assert burst.expected >= 10.0
            assert scenario.start <= burst.start < burst.end <= scenario.end
            assert 10 <= burst.minutes <= 120
            assert burst.factor is None or 2.0 <= burst.factor <= 20.0


def test_the_choosing_reporting_and_test_seeds_never_overlap() -> None:
    assert not set(CHOOSE_SEEDS) & set(REPORT_SEEDS)
    assert not (set(CHOOSE_SEEDS) | set(REPORT_SEEDS)) & set(TEST_SEEDS)


# -- scoring -----------------------------------------------------------------------------------------------------


@dataclass
class StubIncident:
    cluster_id: str
    fund_code: str | None
    detected_at: str
    clusters: list[str] = field(default_factory=list)
    count: int = 1


@dataclass(frozen=True)
class StubAdded:
    cluster_id: str
    opened: list[StubIncident]


class StubPipeline:
    """Clusters by the topic and fund in a question's text; opens one incident per (moment, cluster) it is given,
    with the first question of that cluster at or after the moment."""

    def __init__(self, opens: Sequence[tuple[datetime, str]]) -> None:
        self.pending = list(opens)

    def add(self, question: Question) -> StubAdded:
        words = question.text.split()
        cluster = f"t{words[1]}" + (f"/{words[5]}" if len(words) > 5 else "")
        due = [(m, c) for m, c in self.pending if c == cluster and m <= question.moment]
        self.pending = [p for p in self.pending if p not in due]
        opened = [StubIncident(cluster, question.fund_code, question.moment.isoformat(sep=" "), [cluster])]
        return StubAdded(cluster, opened if due else [])

    def tick(self, now: datetime) -> list[StubIncident]:
        return []


MONDAY = datetime(2026, 3, 2)


def at(minutes: float) -> datetime:
    return MONDAY + timedelta(days=1, hours=10, minutes=minutes)


def burst(kind: str = "topic", topic: int = 1, fund: str | None = None) -> Burst:
    factor = None if kind == "new_topic" else 5.0
    return Burst(0, kind, topic, fund, factor, at(0), at(20), "sharp", 4.0, 1.0, 16.0)


def tiny(bursts: Sequence[Burst], decoys: Sequence[Decoy] = ()) -> Stream:
    """Topics 1 and 2 every minute for an hour; the burst adds a question of its topic every minute for 20."""
    events: list[tuple[datetime, int, str | None, int | None]] = [
        (at(minute + 0.1 * topic), topic, None, None) for minute in range(-20, 40) for topic in (1, 2)
    ]
    for b in bursts:
        events += [(at(minute + 0.5), b.topic, b.fund, b.id) for minute in range(20)]
    events.sort(key=lambda e: e[0])
    scenario = replace(Scenario.draw(TEST_SEEDS[0]), start=MONDAY, bursts=tuple(bursts), decoys=tuple(decoys))
    return Stream(
        scenario,
        [
            Event(moment, f"topic {t} question {i}" + (f" fund {f}" if f else ""), np.zeros(4, np.float32), f, t, b)
            for i, (moment, t, f, b) in enumerate(events)
        ],
    )


def test_an_incident_during_a_burst_of_its_topic_counts_as_detected() -> None:
    result = evaluate(tiny([burst()]), lambda: StubPipeline([(at(6), "t1")]))
    (outcome,) = result.bursts
    assert outcome.detected and outcome.delay is not None and 6.0 <= outcome.delay < 7.0
    assert (outcome.clusters, outcome.largest_share, outcome.peak) == (1, 1.0, 15)
    assert result.false == []


def test_an_incident_about_another_topic_during_a_burst_is_false() -> None:
    result = evaluate(tiny([burst()]), lambda: StubPipeline([(at(6), "t2")]))
    assert not result.bursts[0].detected
    assert [f.cluster_id for f in result.false] == ["t2"]


def test_an_incident_more_than_half_an_hour_after_the_burst_is_false() -> None:
    stream = tiny([burst()])
    stream.events.append(Event(at(55), "topic 1 question 999", np.zeros(4, np.float32), None, 1, None))
    result = evaluate(stream, lambda: StubPipeline([(at(51), "t1")]))
    assert not result.bursts[0].detected and len(result.false) == 1


def test_a_fund_burst_counts_when_the_incident_names_its_fund() -> None:
    result = evaluate(tiny([burst("fund", fund="110022")]), lambda: StubPipeline([(at(3), "t1/110022")]))
    assert result.bursts[0].detected and result.false == []


def test_a_false_incident_in_a_decoy_is_marked_as_such() -> None:
    decoy = Decoy(at(-20), at(10), 2.0, "sharp")
    result = evaluate(tiny([], [decoy]), lambda: StubPipeline([(at(5), "t2")]))
    assert [f.in_decoy for f in result.false] == [True]


def test_a_burst_without_an_incident_is_missed_and_counts_as_an_infinite_delay() -> None:
    missed = evaluate(tiny([burst()]), lambda: StubPipeline([]))
    caught = evaluate(tiny([burst()]), lambda: StubPipeline([(at(2), "t1")]))
    assert missed.bursts[0].delay is None and missed.bursts[0].clusters == 1
    summary = summarize([missed, missed, caught])
    row = summary["by_kind"]["topic"]
    assert (row["n"], row["detected"], row["median"], row["p90"]) == (3, 0.333, None, None)
    assert row["median_if_detected"] == caught.bursts[0].delay
    assert summary["false_per_week"]["max"] == 0
    assert summary["within_10_min_at_5x"] == 0.333
    assert math.isfinite(summary["questions_per_second"])

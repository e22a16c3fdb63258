"""The quiet week before a simulated week (bench/scenario_history.py): the old chat log of a warm start."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from functools import cache

from bench.scenario_history import week_before
from bench.scenario_questions import generate
from bench.scenario_weeks import Event, Stream

SEED = 5008  # a test seed (tests/unit/test_spike_scenarios.py): about 13k questions, a new topic and a fund burst


@cache
def week_and_history() -> tuple[Stream, list[Event]]:
    stream = generate(SEED)
    return stream, week_before(stream)


def test_the_history_is_the_week_before_in_time_order() -> None:
    stream, past = week_and_history()
    start = stream.scenario.start
    assert start - timedelta(weeks=1) <= past[0].moment and past[-1].moment < start
    assert [e.moment for e in past] == sorted(e.moment for e in past)


def test_the_history_has_no_burst_and_no_new_topic_and_names_no_fund_only_a_burst_names() -> None:
    stream, past = week_and_history()
    assert all(e.burst is None for e in past)
    new_topics = {b.topic for b in stream.bursts if b.kind == "new_topic"}
    assert not new_topics & {e.topic for e in past}
    assert {e.fund_code for e in past if e.fund_code} <= set(stream.scenario.funds)


def test_the_history_asks_the_weeks_routine_questions_again_at_about_the_weeks_volume() -> None:
    stream, past = week_and_history()
    routine = [e for e in stream.events if e.burst is None]
    vectors = {e.vector.tobytes() for e in routine}
    assert all(e.vector.tobytes() in vectors for e in past)
    assert 0.7 < len(past) / len(routine) < 1.3
    by_topic, in_week = Counter(e.topic for e in past), Counter(e.topic for e in routine)
    top = in_week.most_common(1)[0][0]
    assert 0.7 < by_topic[top] / in_week[top] < 1.3


def test_drawing_the_history_leaves_the_week_as_it_was() -> None:
    stream, _ = week_and_history()
    again = generate(SEED)
    assert [(e.moment, e.topic) for e in again.events] == [(e.moment, e.topic) for e in stream.events]

"""A detector warmed on an old chat log catches the first live morning's surge that a fresh one lets through."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest

from bench.hidden_weeks import MONDAY, Topics, opened, weekdays
from escalation.spikes.pipeline import QuestionPipeline
from escalation.spikes.question import Question
from escalation.spikes.warm_start import learn

BURST = MONDAY + timedelta(hours=10)  # the first live morning, half an hour after the market opens


def last_week_and_monday(draw: int) -> tuple[list[Question], list[Question]]:
    topics = Topics(12, 0.75, seed=draw)
    rng = np.random.default_rng(draw + 100)
    past = weekdays(topics, rng, MONDAY - timedelta(days=7), 7)
    return past, weekdays(topics, rng, MONDAY, 1, burst=BURST)


@pytest.mark.parametrize("draw", [8, 9])
def test_a_surge_on_the_first_live_morning_is_caught_within_ten_minutes_after_a_warm_start_and_missed_without(
    draw: int,
) -> None:
    past, monday = last_week_and_monday(draw)
    fresh = [detected for _, detected in opened(QuestionPipeline(), monday)]
    assert fresh == []  # the first open: a fresh detector cannot tell the surge from the morning's rise

    warmed = QuestionPipeline()
    learned = learn(warmed, past)
    assert (learned.questions, learned.surges) == (len(past), 0)
    found = [detected for _, detected in opened(warmed, monday)]
    assert len(found) == 1 and BURST <= found[0] <= BURST + timedelta(minutes=10)


def test_surges_in_the_history_are_detected_as_live_but_leave_no_incident_and_no_incident_number_behind() -> None:
    topics = Topics(12, 0.75, seed=3)
    rng = np.random.default_rng(3)
    past = weekdays(topics, rng, MONDAY - timedelta(days=7), 3, burst=MONDAY - timedelta(days=5, hours=-10))
    warmed = QuestionPipeline()
    learned = learn(warmed, past)
    assert learned.surges >= 1
    assert (warmed.incidents, warmed.open_by_cluster, warmed.open_by_entry) == ({}, {}, {})
    assert warmed.next_incident == 1
    assert learned.first == past[0].moment and learned.last == past[-1].moment
    assert learned.series == len(warmed.bank.detectors) and learned.clusters > 0


def test_learning_nothing_leaves_a_fresh_pipeline() -> None:
    pipeline = QuestionPipeline()
    learned = learn(pipeline, [])
    assert (learned.questions, learned.first, learned.series, learned.surges) == (0, None, 0, 0)
    assert pipeline.to_dict() == QuestionPipeline().to_dict()


def aged(questions: list[Question], weeks: int) -> list[Question]:
    return [replace(q, moment=q.moment - timedelta(weeks=weeks)) for q in questions]


@pytest.mark.parametrize("weeks", [1, 4])
def test_a_history_that_ended_weeks_before_going_live_teaches_what_last_weeks_does(weeks: int) -> None:
    past, monday = last_week_and_monday(8)
    recent, old = QuestionPipeline(), QuestionPipeline()
    learn(recent, past)
    learn(old, aged(past, weeks))
    caught = opened(recent, monday)
    assert len(caught) == 1
    assert opened(old, monday) == caught


def test_the_weeks_between_a_history_and_going_live_learned_as_empty_would_raise_false_incidents_at_the_open() -> None:
    past, monday = last_week_and_monday(8)
    pipeline = QuestionPipeline()
    learn(pipeline, aged(past, 3))
    pipeline.bank.unwatched = None  # as if nobody had asked for three weeks
    assert [detected for _, detected in opened(pipeline, monday) if detected < BURST] != []


def test_a_saved_warm_start_still_skips_the_unwatched_time_once_restored() -> None:
    past, monday = last_week_and_monday(8)
    warmed = QuestionPipeline()
    learn(warmed, aged(past, 2))
    restored = QuestionPipeline.from_dict(json.loads(json.dumps(warmed.to_dict())))
    assert restored.bank.paused
    assert opened(restored, monday) == opened(warmed, monday)
    assert not restored.bank.paused

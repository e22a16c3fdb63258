"""A detector that was down skips the time nobody watched, and a restart without downtime changes no decision."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from bench.downtime import FIRST, restarted, restarts, two_weeks
from bench.downtime import main as downtime_main
from bench.hidden_weeks import STARTS, hidden_week_like, opened
from escalation.spikes import warm_start
from escalation.spikes.bank import DetectorBank
from escalation.spikes.pipeline import QuestionPipeline
from escalation.spikes.question import Question
from escalation.spikes.series import bucket_of
from escalation.spikes.state_file import load_state, pipeline_state, restore, write_state_file
from escalation.spikes.unwatched import Unwatched

TUESDAY_10 = FIRST + timedelta(days=1, hours=10)  # a detector's second day
VECTOR = np.ones(8, dtype=np.float32) / np.sqrt(8)  # one topic


def through(questions: list[Question], stop: datetime) -> str:
    """The state a service saved when it stopped at ``stop``."""
    pipeline = QuestionPipeline()
    opened(pipeline, [q for q in questions if q.moment < stop])
    return pipeline_state(pipeline)


def test_a_service_back_after_three_days_down_raises_no_incident_where_learning_the_downtime_as_empty_would() -> None:
    questions = two_weeks(0)  # quiet weeks: every incident is a false one
    state = through(questions, TUESDAY_10)
    back = TUESDAY_10 + timedelta(hours=70)  # Friday 08:00
    friday = [q for q in questions if back <= q.moment < back + timedelta(days=2)]
    assert opened(restarted(state, TUESDAY_10, back, mark=True), friday) == []
    as_empty = opened(restarted(state, TUESDAY_10, back, mark=False), friday)
    assert [detected.strftime("%a %H:%M") for _, detected in as_empty] == ["Fri 09:44"]  # at the market's open


@pytest.mark.parametrize(
    ("stop", "quiet_hours"),
    [
        (STARTS[0] - timedelta(minutes=5), 0),  # just before the fund burst: its incident opens after the restart
        (STARTS[1] - timedelta(minutes=2), 0),  # and the new topic's
        (STARTS[0] + timedelta(minutes=7), 0),  # in the middle of a burst, its incident open
        (datetime(2026, 3, 2, 22, 0), 2),  # at night, and nobody asks for two hours after the restart
    ],
)
def test_a_restart_without_downtime_decides_exactly_as_if_the_service_had_never_stopped(
    stop: datetime, quiet_hours: int, tmp_path: Path
) -> None:
    questions, _, _ = hidden_week_like(3)
    # The restarted process watched the quiet hours after it started: they are learned as quiet, as they would be.
    questions = [q for q in questions if not stop <= q.moment < stop + timedelta(hours=quiet_hours)]
    always = QuestionPipeline()
    never_stopped = opened(always, questions)
    assert len(never_stopped) == 3  # the week's three bursts: decisions a restart could change
    before = QuestionPipeline()
    first = opened(before, [q for q in questions if q.moment < stop])
    state_file = tmp_path / "spikes.json"
    write_state_file(state_file, pipeline_state(before, watched_until=stop))
    again = load_state(state_file, None, now=stop)
    assert first + opened(again, [q for q in questions if q.moment >= stop]) == never_stopped
    assert json.loads(pipeline_state(again)) == json.loads(pipeline_state(always))  # to the last baseline


def test_the_time_between_the_last_save_and_the_restart_is_skipped_and_the_rest_learned_as_quiet() -> None:
    monday = datetime(2026, 3, 2, 10, 0)
    stop, back, asked = monday + timedelta(hours=2), monday + timedelta(days=2), monday + timedelta(days=2, hours=3)

    def expected(pause: tuple[datetime | None, datetime | None] | None) -> float:
        bank = DetectorBank()
        for minute in range(60):
            bank.add(monday + timedelta(minutes=minute), "topic")
        if pause is not None:
            bank.pause(*pause)
        bank.add(asked, "topic")
        assert not bank.paused and bank.bucket == bucket_of(asked)
        return bank.expected("topic")

    restarted, skipped_to_the_question, never_paused = expected((stop, back)), expected((stop, None)), expected(None)
    assert never_paused < restarted < skipped_to_the_question  # the three quiet hours back count, the two days not


def test_a_pause_already_set_keeps_its_start_learns_when_watching_began_and_every_saved_state_reads_back() -> None:
    bank = DetectorBank()
    bank.add(datetime(2026, 3, 2, 10, 0), "topic")
    bank.pause()  # a warm start's history has ended
    older = bank.to_dict()
    back = datetime(2026, 3, 4, 10, 0)
    bank.pause(datetime(2026, 3, 3, 10, 0), back)  # restored by a release that did not say when it began watching
    assert bank.unwatched == Unwatched(None, bucket_of(back))
    restored = DetectorBank.from_dict(json.loads(json.dumps(bank.to_dict())))
    assert restored.unwatched == Unwatched(None, bucket_of(back))
    del older["unwatched"]  # a warm start saved by the release before: only "paused"
    assert DetectorBank.from_dict(older).unwatched == Unwatched()
    del older["paused"]  # before that: never paused
    assert not DetectorBank.from_dict(older).paused


def test_a_warm_starts_pause_learns_the_hours_the_service_watched_even_across_a_restart_before_any_question() -> None:
    """The history ends on Monday at 11:00; the service starts at 14:00, stops at 18:00 with nobody having asked, is
    down until Tuesday 09:00, and the first question comes at 10:00: 14:00-18:00 and 09:00-10:00 were watched."""
    monday = datetime(2026, 3, 2, 10, 0)
    started, stopped, back, asked = (monday + timedelta(hours=h) for h in (4, 8, 23, 24))
    history = [Question(monday + timedelta(minutes=m), "topic", VECTOR) for m in range(60)]

    def expected(*restarts: tuple[datetime | None, datetime | None]) -> float:
        pipeline = QuestionPipeline()
        warm_start.learn(pipeline, history)
        for watched_until, now in restarts:
            state = json.loads(pipeline_state(pipeline, watched_until=watched_until))
            pipeline = restore(state, None, now)
        pipeline.add(Question(asked, "topic", VECTOR))
        assert not pipeline.bank.paused and pipeline.bank.bucket == bucket_of(asked)
        return sum(pipeline.bank.expected(key) for key in pipeline.bank.detectors)

    served = expected((None, started), (stopped, back))
    skipped_to_the_question = expected((None, None))  # what the service did before: the watched hours not learned
    learned_from_the_restart = expected((None, back))  # as restored by a process that did not say when it began
    down_time_learned_too = expected((None, started))  # never stopped: every hour from the start learned
    assert down_time_learned_too < served < learned_from_the_restart < skipped_to_the_question


def test_the_span_never_skips_the_open_buckets_questions_nor_past_the_question_being_asked() -> None:
    assert Unwatched().span(100, asked=True, target=110) == (101, 110)
    assert Unwatched().span(100, asked=False, target=110) == (100, 110)
    assert Unwatched(104, 107).span(100, asked=True, target=110) == (105, 107)
    assert Unwatched(90, 95).span(100, asked=True, target=110) == (101, 101)  # a clock behind the questions
    assert Unwatched(104, 120).span(100, asked=True, target=110) == (105, 110)


def test_the_downtime_bench_compares_the_three_ways_for_each_restart_and_refuses_no_draws(
    capsys: pytest.CaptureFixture[str],
) -> None:
    [row] = restarts(0, stops=(34.0,), hours=(70.0,))  # Tuesday 10:00 of the first week, down until Friday 08:00
    assert (row.stop, row.served, row.as_empty, row.never_stopped) == ("Tue 17 10:00", 0, 1, 0)
    with pytest.raises(SystemExit) as exit_:
        downtime_main(["--draws", "0"])
    assert exit_.value.code == 2 and "--draws" in capsys.readouterr().err

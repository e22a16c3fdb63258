"""An alarm stands only where the series' share of all questions rose too: a rise every topic shares is no spike."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

import pytest
from scipy.stats import binom, poisson

from bench.hidden_weeks import MONDAY, hidden_week_like, opened
from escalation.spikes.bank import DetectorBank, SpikeAlarm
from escalation.spikes.evidence import Evidence
from escalation.spikes.pipeline import QuestionPipeline
from escalation.spikes.question import Question
from escalation.spikes.series import bucket_of
from escalation.spikes.share import ShareEvidence
from escalation.spikes.tails import poisson_lower_tail, share_tail

FIRST_OPEN = MONDAY + timedelta(hours=9, minutes=30)


def monday_morning(draw: int) -> list[Question]:
    questions, _, _ = hidden_week_like(draw)
    return [q for q in questions if q.moment < MONDAY + timedelta(hours=12)]


@pytest.mark.parametrize(("count", "total", "share"), [(3, 10, 0.2), (10, 12, 0.35), (17, 34, 0.17), (1, 1, 0.5)])
def test_the_share_tail_is_the_binomial_upper_tail(count: int, total: int, share: float) -> None:
    assert share_tail(count, total, share) == pytest.approx(binom.sf(count - 1, total, share))


def test_no_question_is_never_surprising_and_more_than_all_of_them_always_is() -> None:
    assert (share_tail(0, 5, 0.1), share_tail(6, 5, 0.1), share_tail(4, 5, 1.0)) == (1.0, 0.0, 1.0)


@pytest.mark.parametrize(("count", "mean"), [(0, 0.3), (2, 9.35), (12, 48.0), (7.0, 7.0)])
def test_the_others_tail_is_the_poisson_lower_tail(count: float, mean: float) -> None:
    assert poisson_lower_tail(count, mean) == pytest.approx(poisson.cdf(count, mean))


def test_with_no_others_expected_so_few_of_them_is_never_surprising() -> None:
    assert (poisson_lower_tail(0, 0.0), poisson_lower_tail(-1, 2.0)) == (1.0, 0.0)


def test_the_first_market_open_a_fresh_deployment_sees_opens_no_incident() -> None:
    """Draw 38 of the weeks like the hidden one: at 09:37 its busiest topic had 11 of the bucket's first 13
    questions, against a whole bucket's expectation, while the other topics' 2 questions set the share-of-traffic
    scale near 1. Against the 0.85 the others' baselines expected of those two minutes they were up, so the share
    test judges: 11 of 13 against an expected share of 35% is not beyond the budget."""
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


def quiet_sunday(extra: int) -> list[tuple[datetime, str]]:
    """Four topics asked twice a bucket each, evenly, for two and a half days; at ``SURGE`` topic 1 gets ``extra``
    more questions spread over 15 minutes (three times its rate) while the rest of the traffic stays as it was."""
    flat = [
        (START + timedelta(seconds=150 * step + 37.5 * topic), f"t{topic}")
        for step in range(int(2.5 * 24 * 24))
        for topic in range(4)
    ]
    surge = [(SURGE + timedelta(seconds=50 * i, milliseconds=1), "t1") for i in range(extra)]
    return sorted(flat + surge)


def first_alarm(asked: list[tuple[datetime, str]]) -> tuple[DetectorBank, SpikeAlarm | None]:
    bank = DetectorBank()
    for moment, key in asked:
        alarms = bank.add(moment, key)
        if alarms:
            return bank, alarms[0]
    return bank, None


def test_a_rise_in_a_market_that_is_not_up_stands_on_its_count_alone() -> None:
    """Among few questions a share cannot rule out a market-wide rise: 16 of 27 against about a quarter is not
    beyond the budget. The other topics had what their baselines expected, so no rise explains the burst away."""
    bank, alarm = first_alarm(quiet_sunday(18))
    assert alarm is not None and alarm.key == "t1" and alarm.detected_at - SURGE <= timedelta(minutes=10)
    share = alarm.share
    assert share is not None and not share.others_rose and share.others == share.total - share.count
    budget = bank.detectors["t1"].budget(alarm.expected, bank.live)
    assert share.p_value > budget  # the share alone would veto it
    assert share.others_p_value < budget  # had the others risen threefold too, so few of them would be beyond it


def morning_of_one_cluster(seed: int) -> list[tuple[datetime, str]]:
    """A fresh deployment's first morning where one cluster holds nearly every question (what an English-only model
    makes of Chinese ones): about 0.04 questions a minute all night, ramping to one a minute over 06:30-07:00, and
    a rare other topic asked about once in eight hours."""
    rng, asked = random.Random(seed), []
    for minute in range(9 * 60):
        rate = 0.04 + 0.96 * min(1.0, max(0.0, (minute - 390) / 30))
        for quarter in range(4):
            if rng.random() < rate / 4:
                asked.append((START + timedelta(minutes=minute, seconds=15 * quarter), "everything"))
        if rng.random() < 0.002:
            asked.append((START + timedelta(minutes=minute, seconds=1), "rare"))
    return asked


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_cluster_that_is_nearly_all_the_traffic_rises_with_the_morning_and_opens_no_incident(seed: int) -> None:
    """Its others are too few to show whether the market rose with it, so its share decides: and its share is
    what it always was. Traced on the generated Chinese weeks (choose seeds 1007 and 1021, Monday 06:17 and 06:39)."""
    assert first_alarm(morning_of_one_cluster(seed))[1] is None


def test_counted_alone_the_same_morning_would_open_an_incident(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ShareEvidence, "others_p_value", property(lambda self: 0.0))
    _, alarm = first_alarm(morning_of_one_cluster(0))
    assert alarm is not None and alarm.key == "everything" and alarm.share is not None
    assert alarm.share.expected_share > 0.9 and alarm.share.others_expected < 1.0


def test_where_the_others_rose_the_share_test_still_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ShareEvidence, "others_rose", property(lambda self: True))
    assert first_alarm(quiet_sunday(18))[1] is None


def test_the_others_expectation_of_a_still_open_bucket_counts_only_the_minutes_gone_by() -> None:
    """Every topic flat: checked mid-bucket, the other questions so far match the prorated expectation, not a whole
    bucket's (which would read every young bucket as a market gone quiet)."""
    bank, alarm = first_alarm(quiet_sunday(18))
    assert alarm is not None and alarm.share is not None
    elapsed = (alarm.detected_at - alarm.bucket_start) / timedelta(seconds=bank.bucket_seconds)
    whole = alarm.window * 6.0  # three other topics, two questions a bucket each
    assert alarm.share.others_expected == pytest.approx(whole - 6.0 * (1.0 - elapsed), rel=0.1)


# -- the share test's numbers, as an incident records them ---------------------------------------------------------

START = datetime(2026, 3, 2)
SURGE = START + timedelta(days=2, hours=10)


def stream(surge: list[tuple[datetime, str]]) -> list[tuple[datetime, str]]:
    """Eight topics, each asked once every 4 minutes round the clock for two and a half days (10 questions a
    bucket, a share of 1/8 each), and the ``surge`` questions among them."""
    flat = [
        (START + timedelta(minutes=4 * step, seconds=30 * topic), f"t{topic}")
        for step in range(int(2.5 * 24 * 15))
        for topic in range(8)
    ]
    return sorted(flat + surge)


def questions_in_window(bank: DetectorBank, asked: list[tuple[datetime, str]], alarm: SpikeAlarm) -> int:
    """All questions of the alarm's window (its buckets, up to when it fired), counted from the stream itself."""
    first = alarm.bucket - alarm.window + 1
    return sum(first <= bucket_of(m, bank.bucket_seconds) <= alarm.bucket and m <= alarm.detected_at for m, _ in asked)


def test_an_incident_records_its_share_of_all_questions() -> None:
    """Topic 3 goes from 1.25 questions a bucket to one every 15 seconds while the others stay flat: the alarm
    carries the share test it passed, in numbers that recompute from the stream."""
    bank, alarms = DetectorBank(), []
    asked = stream([(SURGE + timedelta(seconds=15 * i, milliseconds=1), "t3") for i in range(40)])
    for moment, key in asked:
        alarms += bank.add(moment, key)
        if alarms:
            break
    [alarm] = alarms
    budget = bank.detectors["t3"].budget(alarm.expected, bank.live)  # the alarm's own, before anything is learned
    share = alarm.share
    assert share is not None and alarm.detected_at < bank.start_of(alarm.bucket + 1)  # raised mid-bucket
    assert share.count == alarm.window_count
    assert share.total == questions_in_window(bank, asked, alarm) > share.count
    assert share.expected_share == pytest.approx(1 / 8, rel=0.2)
    assert share.p_value == share_tail(share.count, share.total, share.expected_share) < budget

    evidence = Evidence.of(alarm, "topic", {}, bank.bucket_seconds)
    assert (evidence.observed, evidence.share_total) == (share.count, share.total)
    assert evidence.share_expected == round(share.expected_share, 4)
    assert evidence.share_p_value == pytest.approx(share.p_value, rel=1e-2)
    assert (evidence.share_others, evidence.share_others_expected) == (
        round(share.others, 1),
        round(share.others_expected, 1),
    )
    assert evidence.share_others_p_value == pytest.approx(share.others_p_value, rel=1e-2)


def test_an_alarm_decided_as_its_bucket_closes_records_the_share_test_too() -> None:
    """Two series of one surge, each too small to alarm, merge mid-bucket (as clusters do): the merged count is
    first judged when the bucket closes."""
    bank, alarms = DetectorBank(), []
    surge = [(SURGE + timedelta(seconds=10 * i, milliseconds=1), "t3" if i % 2 else "t3-twin") for i in range(12)]
    asked = stream(surge)
    merge = surge[-1][0]
    for moment, key in asked:
        if moment > merge and "t3-twin" in bank.counts:
            bank.rename("t3-twin", "t3")
        alarms += bank.add(moment, key)
        if alarms:
            break
    [alarm] = alarms
    assert alarm.key == "t3" and alarm.detected_at == bank.start_of(alarm.bucket + 1)
    share = alarm.share
    assert share is not None and share.count == alarm.window_count >= 12
    assert share.total == questions_in_window(bank, asked, alarm)
    assert share.p_value == share_tail(share.count, share.total, share.expected_share) < 1e-6


def test_an_alarm_judged_without_a_share_test_records_none() -> None:
    """``replay-counts`` runs one detector alone: there are no other questions to take a share of."""
    alarm = SpikeAlarm("t", 1, START, START, 12.0, 1.0, 1e-9, 1, 12.0, 1.0)
    evidence = Evidence.of(alarm, "topic", {}, 300)
    assert (evidence.share_total, evidence.share_expected, evidence.share_p_value) == (None, None, None)
    assert (evidence.share_others, evidence.share_others_expected, evidence.share_others_p_value) == (None,) * 3


def test_evidence_stored_before_the_share_test_was_recorded_still_loads() -> None:
    pipeline = QuestionPipeline()
    state = pipeline.to_dict()
    old = {"trigger": "fund", "resolution_minutes": 10, "observed": 34.0, "expected": 0.8, "p_value": 3.1e-40,
           "significance": 39.5, "funds": {"900001": 34}, "entry": None}  # fmt: skip
    state["incidents"] = [
        {"id": "i1", "cluster_id": "c1", "label": "why", "fund_code": "900001", "detected_at": "2026-03-02 10:05:00",
         "started_at": "2026-03-02 10:00:00", "count": 34, "baseline": 0.4, "series": [], "evidence": old}
    ]  # fmt: skip
    evidence = QuestionPipeline.from_dict(json.loads(json.dumps(state))).incidents["i1"].evidence
    assert evidence is not None and (evidence.observed, evidence.funds) == (34.0, {"900001": 34})
    assert (evidence.share_total, evidence.share_expected, evidence.share_p_value) == (None, None, None)
    assert (evidence.share_others, evidence.share_others_expected, evidence.share_others_p_value) == (None,) * 3

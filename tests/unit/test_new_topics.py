"""A topic born after the detector's warm-up is news: its first questions may be its surge, not its normal."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

import pytest

from escalation.spikes.bank import DetectorBank
from escalation.spikes.births import MIN_BIRTHS, Births
from escalation.spikes.detector import SpikeDetector
from escalation.spikes.series import DetectorConfig
from tests.unit.test_spike_detector import BUCKET, START, poisson

PRIOR = DetectorConfig().prior_rate


def bank_with_background(hours: float, seed: int = 1) -> tuple[DetectorBank, datetime]:
    """Ten ordinary topics at 0.5-5 questions a bucket for ``hours``; returns the bank and the time after."""
    rng = random.Random(seed)
    bank = DetectorBank()
    moment = START + timedelta(hours=9)
    for _ in range(int(hours * 12)):
        for topic in range(10):
            for _ in range(poisson(rng, 0.5 * (1 + topic) ** 0.7)):
                assert bank.add(moment + timedelta(seconds=rng.randrange(300)), f"t{topic}") == []
        moment += BUCKET
    return bank, moment


def ask(bank: DetectorBank, start: datetime, per_bucket: list[int], key: str = "new") -> float | None:
    """Minutes after ``start`` at which ``key``'s questions (evenly spread in each bucket) opened an alarm."""
    for b, count in enumerate(per_bucket):
        for i in range(count):
            moment = start + b * BUCKET + timedelta(seconds=(i + 0.5) * 300 / count)
            if any(alarm.key == key for alarm in bank.add(moment, key)):
                return (moment - start).total_seconds() / 60
    return None


def test_a_topic_born_after_the_warm_up_fires_in_the_bucket_that_brings_its_eighth_question() -> None:
    bank, now = bank_with_background(hours=3)
    delay = ask(bank, now, [4, 3, 7, 6, 5])  # the eighth question comes early in the third bucket
    assert delay is not None and 10.0 < delay < 15.0


def test_the_same_topic_among_the_first_questions_ever_seen_is_learned_as_normal() -> None:
    bank = DetectorBank()
    assert ask(bank, START + timedelta(hours=9), [4, 3, 7, 6, 5, 4, 6, 5, 3, 7, 5, 4, 6, 5, 4]) is None


def test_a_series_of_thirty_a_bucket_from_its_start_never_alarms_as_replay_counts_feeds_one() -> None:
    rng = random.Random(2)
    bank = DetectorBank()
    moments = [START + i * BUCKET for i in range(100)]
    assert not any(bank.add(moment, "volume", float(poisson(rng, 30.0))) for moment in moments)


def test_a_new_topics_first_buckets_teach_its_level_only_once_they_are_judged() -> None:
    newborn, settled = SpikeDetector(), SpikeDetector()
    newborn.state.newborn = True
    last = 1000 + newborn.config.window_buckets - 1  # the last bucket whose windows still judge bucket 1000
    for detector in (newborn, settled):
        detector.observe(1000, 1.0)
        for bucket in range(1001, last):
            detector.observe(bucket, 0.0)
    assert newborn.expected(last) == PRIOR != settled.expected(last)
    newborn.observe(last, 0.0)
    assert newborn.expected(last + 1) > PRIOR  # the first bucket is out of every window: now it counts
    for bucket in range(last + 1, last + newborn.config.window_buckets + 1):
        newborn.observe(bucket, 0.0)
    assert newborn.state.level_pending == []  # the rest of its first hour too, once judged, after it


def test_a_new_topics_alarmed_buckets_never_teach_its_level() -> None:
    detector = SpikeDetector()
    detector.state.newborn = True
    detector.observe(1000, 2.0)
    assert detector.observe(1001, 40.0).alarm
    after = 1002 + detector.config.window_buckets + 2  # past every window that judges the quiet buckets
    for bucket in range(1002, after):
        detector.observe(bucket, 0.0)
    assert detector.expected(after) < PRIOR  # only the quiet buckets after the alarm were learned


def test_a_new_topic_restored_in_the_middle_of_its_first_buckets_decides_the_same() -> None:
    original = SpikeDetector()
    original.state.newborn = True
    original.observe(1000, 4.0)
    original.observe(1001, 3.0)
    restored = SpikeDetector.from_dict(json.loads(json.dumps(original.to_dict())))
    later = [9.0, 6.0, 2.0, 0.0, 1.0]
    verdicts = [[d.observe(1002 + i, c).alarm for i, c in enumerate(later)] for d in (original, restored)]
    assert verdicts[0] == verdicts[1]
    assert restored.expected(1010) == original.expected(1010)


# -- what new series turned out to be (escalation/spikes/births.py) ------------------------------------------


def births_of(rates: list[float]) -> Births:
    births = Births(span=12)
    for i, rate in enumerate(rates):
        births.born(f"b{i}", 0)
        births.count(f"b{i}", 0, rate * 12)
    births.mature(12)
    return births


def test_the_default_prior_stands_until_thirty_new_series_were_followed_for_an_hour() -> None:
    assert births_of([0.01] * (MIN_BIRTHS - 1)).prior() is None
    assert births_of([0.01] * MIN_BIRTHS).prior() is not None


def test_new_series_that_stayed_rare_make_a_low_prior_and_varied_ones_a_wide_one() -> None:
    rare = births_of([1 / 12] * 100).prior()  # their founding question, and nothing more
    assert rare is not None and rare[0] == pytest.approx(1 / 12) and rare[1] == float("inf")
    varied = births_of([0.0] * 90 + [0.5] * 10).prior()
    assert varied is not None and varied[0] == pytest.approx(0.05)
    assert varied[1] == pytest.approx(0.05 / (0.025 - 0.05**2 - 0.05 / 12))


def test_a_birth_counts_only_the_questions_of_its_first_hour() -> None:
    births = Births(span=12)
    births.born("new", 100)
    births.count("new", 100, 5.0)
    births.count("new", 112, 50.0)  # an hour later
    births.mature(112)
    assert births.total == pytest.approx(5 / 12)


def new_series_every_ten_minutes(bank: DetectorBank, start: datetime, hours: int, per_bucket: float) -> datetime:
    """A new key every ten minutes, asked ``per_bucket`` questions a bucket for its first hour."""
    rng = random.Random(7)
    moment = start
    for b in range(hours * 12):
        moment = start + b * BUCKET
        for topic in range(3):
            for _ in range(poisson(rng, 2.0)):
                bank.add(moment + timedelta(seconds=rng.randrange(300)), f"t{topic}")
        for born in range(max(0, b - 11), b + 1):
            if born % 2 == 0:
                for _ in range(poisson(rng, per_bucket)):
                    bank.add(moment + timedelta(seconds=rng.randrange(300)), f"new{born}")
    return moment + BUCKET


def test_after_new_series_that_stayed_rare_a_new_topics_eighth_question_in_five_minutes_fires() -> None:
    bank = DetectorBank()
    now = new_series_every_ten_minutes(bank, START, hours=36, per_bucket=0.1)
    assert bank.births.prior() is not None
    assert ask(bank, now, [8]) is not None


def test_after_new_series_that_were_often_busy_the_same_eight_questions_are_not_news() -> None:
    bank = DetectorBank()
    now = new_series_every_ten_minutes(bank, START, hours=36, per_bucket=3.0)
    assert ask(bank, now, [8]) is None


def test_a_restored_bank_remembers_what_new_series_turned_out_to_be() -> None:
    bank = DetectorBank()
    new_series_every_ten_minutes(bank, START, hours=30, per_bucket=0.1)
    restored = DetectorBank.from_dict(json.loads(json.dumps(bank.to_dict())))
    assert restored.births == bank.births and restored.births.prior() == bank.births.prior()

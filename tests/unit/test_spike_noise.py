"""What a series learns about its own noise (the overdispersion of its counts around the expectation)."""

from __future__ import annotations

import random

import pytest

from escalation.spikes.detector import SpikeDetector
from escalation.spikes.series import bucket_of
from escalation.spikes.tails import noise_weight
from tests.unit.test_spike_detector import START, poisson, week

THURSDAY_EVENING = 3 * 288 + 20 * 12


def quiet_topic(seed: int) -> tuple[float, float]:
    """A topic of Poisson counts (no overdispersion at all) asked 0.3 times per 5 minutes at the peak: its dispersion
    after four days, and after one more bucket of 3 questions on Thursday evening (0.075 expected)."""
    series = week(random.Random(seed), peak=0.3, days=4)
    detector = SpikeDetector()
    for moment, count in series[:THURSDAY_EVENING]:
        detector.observe(bucket_of(moment), count)
    before = detector.dispersion
    detector.observe(bucket_of(series[THURSDAY_EVENING][0]), 3)
    for moment, count in series[THURSDAY_EVENING + 1 : THURSDAY_EVENING + 4]:  # until its evidence is settled
        detector.observe(bucket_of(moment), count)
    return before, detector.dispersion


def test_a_bucket_expecting_few_questions_tells_little_about_the_noise_and_one_expecting_many_a_lot() -> None:
    assert noise_weight(0.1) < 0.3 < noise_weight(1.0) == 1.0 < noise_weight(10.0) < 1.5


def test_a_quiet_poisson_topic_learns_that_it_is_hardly_overdispersed() -> None:
    # Weighing every bucket alike, these eight topics learned 0.24 on average, up to 0.54.
    learned = [quiet_topic(seed)[0] for seed in range(8)]
    assert sum(learned) / len(learned) < 0.1


def test_one_bucket_of_three_on_a_quiet_topic_does_not_teach_it_that_bursts_are_noise() -> None:
    # Weighing every bucket alike, the one bucket added up to 0.39 to the dispersion, and hid the next burst.
    assert max(after - before for before, after in map(quiet_topic, range(8))) < 0.2


def flat_poisson(seed: int, rate: float, days: int = 2) -> float:
    """The dispersion a fresh series learns from ``days`` of Poisson counts at a flat ``rate`` (the truth is 0)."""
    rng, detector, first = random.Random(seed), SpikeDetector(), bucket_of(START)
    for bucket in range(first, first + days * 288):
        detector.observe(bucket, poisson(rng, rate))
    return detector.dispersion


def test_a_poisson_series_does_not_take_its_expectations_own_error_for_noise() -> None:
    # The tail adds the expectation's error (``uncertainty``) to the dispersion; counted in the dispersion as well, as
    # it was, these series learned 0.028 on average after two days at 2 a bucket.
    assert sum(flat_poisson(seed, 2.0) for seed in range(8)) / 8 < 0.02


def test_a_slots_first_bucket_teaches_the_profile_the_shape_of_the_day_and_not_the_noise() -> None:
    detector, first = SpikeDetector(), bucket_of(START)
    prior = detector.dispersion
    detector.observe(first, 3)  # expected at the level alone (0.2): the miss is the day's shape, still unknown
    assert detector.dispersion == pytest.approx(prior)
    detector.observe(first + 1, 3)  # the same slot, now seen: its miss is evidence about the noise
    assert detector.dispersion > prior

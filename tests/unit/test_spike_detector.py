"""The spike detector on constructed count series: one alarm per burst, none on quiet or market-wide weeks."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

import pytest

from escalation.spikes.bank import DetectorBank
from escalation.spikes.detector import SpikeDetector
from escalation.spikes.series import DetectorConfig, Verdict, bucket_of
from escalation.spikes.tails import upper_tail

START = datetime(2026, 3, 2)  # a Monday
BUCKET = timedelta(minutes=5)


def trading_rate(moment: datetime, peak: float) -> float:
    """Questions per 5 minutes: busy in trading hours on weekdays, quiet at night and at weekends."""
    minutes = moment.hour * 60 + moment.minute
    if moment.weekday() >= 5:
        return 0.1 * peak
    if 9 * 60 + 30 <= minutes < 15 * 60:
        return peak
    return 0.25 * peak if 8 * 60 <= minutes < 22 * 60 else 0.03 * peak


def poisson(rng: random.Random, rate: float) -> int:
    count, total = 0, rng.expovariate(1.0)
    while total < rate:
        count += 1
        total += rng.expovariate(1.0)
    return count


def week(rng: random.Random, peak: float, days: int = 7) -> list[tuple[datetime, int]]:
    moments = [START + i * BUCKET for i in range(days * 288)]
    return [(m, poisson(rng, trading_rate(m, peak))) for m in moments]


def alarms_of(series: list[tuple[datetime, int]], detector: SpikeDetector | None = None) -> list[int]:
    detector = detector or SpikeDetector()
    return [i for i, (moment, count) in enumerate(series) if detector.observe(bucket_of(moment), count).alarm]


def test_a_quiet_week_of_seasonal_traffic_fires_never_after_a_first_day_of_learning() -> None:
    # On its very first day a series has never seen the market open (the bank does not alarm on its first day).
    for seed in range(3):
        assert [i for i in alarms_of(week(random.Random(seed), peak=6.0, days=8)) if i >= 288] == []


def test_a_burst_fires_once_within_its_first_buckets() -> None:
    series = week(random.Random(1), peak=6.0, days=5)
    burst = 3 * 288 + 12 * 12  # Thursday 12:00
    for i in range(burst, burst + 12):  # an hour at 5x
        series[i] = (series[i][0], series[i][1] + poisson(random.Random(i), 4 * 6.0))
    # Its first market open (4x at 9:30, never seen before) is a lone series' surprise; in the bank every topic rises
    # with it and the share-of-traffic guard explains it (test_a_market_wide_rise_does_not_fire_a_topic).
    assert [i for i in alarms_of(series) if i >= 288] in ([burst], [burst + 1])


def test_three_questions_on_a_quiet_topic_are_not_a_spike() -> None:
    series = week(random.Random(2), peak=0.2, days=3)
    series[2 * 288 + 150] = (series[2 * 288 + 150][0], 3)
    assert alarms_of(series) == []


def test_a_brand_new_question_asked_40_times_in_ten_minutes_fires() -> None:
    detector = SpikeDetector()
    bucket = bucket_of(START + timedelta(hours=10))
    assert detector.observe(bucket, 20).alarm


def test_the_noise_floor_is_poisson_for_small_counts() -> None:
    assert upper_tail(1, 0.5, 0.0) > 0.3
    assert upper_tail(20, 0.5, 0.0) < 1e-20
    assert upper_tail(20, 0.5, 0.5) > upper_tail(20, 0.5, 0.0)  # overdispersion widens the tail


def market_week(bank: DetectorBank, rise: float) -> list[str]:
    """20 topics for three days; on Wednesday from 9:00 every topic is ``rise`` times as busy.

    Each minute of a bucket adds every topic's questions of that minute, so topics interleave as in real traffic.
    """
    rng = random.Random(3)
    alarms = []
    for day in range(3):
        for i in range(288):
            moment = START + timedelta(days=day) + i * BUCKET
            factor = rise if day == 2 and 9 * 12 <= i < 15 * 12 else 1.0
            for minute in range(5):
                for topic in range(20):
                    count = poisson(rng, factor * trading_rate(moment, 1.0 + topic) / 5)
                    if count:
                        alarms += [a.key for a in bank.add(moment + timedelta(minutes=minute), f"t{topic}", count)]
    return alarms


def test_a_market_wide_rise_does_not_fire_a_topic() -> None:
    assert market_week(DetectorBank(), rise=4.0) == []


def test_the_share_test_alone_also_holds_the_rise() -> None:
    bank = DetectorBank()
    bank._scale = lambda *args: 1.0  # type: ignore[method-assign]
    assert market_week(bank, rise=4.0) == []


def test_without_either_guard_the_same_rise_would_fire() -> None:
    bank = DetectorBank()
    bank._scale = lambda *args: 1.0  # type: ignore[method-assign]
    bank._stands_out = lambda *args, **kwargs: True  # type: ignore[method-assign]
    assert market_week(bank, rise=4.0) != []


def test_the_false_alarm_budget_is_split_across_live_series() -> None:
    config = DetectorConfig()
    assert config.alpha(1000) == config.alpha(1) / 1000


def test_a_restored_detector_makes_the_same_later_decisions() -> None:
    series = week(random.Random(4), peak=6.0, days=4)
    for i in range(3 * 288 + 100, 3 * 288 + 110):
        series[i] = (series[i][0], series[i][1] + 40)
    original = SpikeDetector()
    alarms_of(series[: 2 * 288], original)
    restored = SpikeDetector.from_dict(json.loads(json.dumps(original.to_dict())))
    assert alarms_of(series[2 * 288 :], restored) == alarms_of(series[2 * 288 :], original) != []


def test_a_restored_bank_makes_the_same_later_decisions() -> None:
    rng = random.Random(5)
    events = [(START + timedelta(seconds=rng.randrange(3 * 86400)), f"t{rng.randrange(5)}") for _ in range(3000)]
    events += [(START + timedelta(days=2, hours=11, seconds=s), "t9") for s in range(0, 600, 15)]
    events.sort()
    first = DetectorBank()
    for moment, key in events[:1500]:
        first.add(moment, key)
    second = DetectorBank.from_dict(json.loads(json.dumps(first.to_dict())))
    later = [[(a.key, a.bucket) for a in bank.add(m, k)] for bank in (first, second) for m, k in events[1500:]]
    assert later[: len(events) - 1500] == later[len(events) - 1500 :]
    assert ["t9"] in [[key for key, _ in row] for row in later]


def test_decisions_are_causal_later_data_never_changes_earlier_alarms() -> None:
    series = week(random.Random(6), peak=6.0, days=4)
    for i in range(2 * 288 + 130, 2 * 288 + 140):
        series[i] = (series[i][0], series[i][1] + 60)
    full = alarms_of(series)
    cut = 2 * 288 + 135
    assert [i for i in full if i < cut] == alarms_of(series[:cut])


MANY_SERIES = 850  # the false-alarm budget of one series among as many as the NAV-swing benchmark has


def thursday_burst(counts: list[int], seed: int = 5) -> tuple[list[tuple[datetime, int]], int]:
    """Four days of a small topic (2 questions per bucket at peak), with ``counts`` from Thursday 13:30."""
    series = week(random.Random(seed), peak=2.0, days=4)
    burst = 3 * 288 + 13 * 12 + 6
    for offset, count in enumerate(counts):
        series[burst + offset] = (series[burst + offset][0], count)
    return series, burst


def alarms_among_many(series: list[tuple[datetime, int]], config: DetectorConfig | None = None) -> list[int]:
    return [i for i, _ in verdicts_among_many(series, config)]


def verdicts_among_many(
    series: list[tuple[datetime, int]], config: DetectorConfig | None = None
) -> list[tuple[int, Verdict]]:
    """(index, verdict) of each alarm after the first day, the series judged as one among ``MANY_SERIES``."""
    detector = SpikeDetector(config)
    verdicts = [detector.observe(bucket_of(m), count, live_series=MANY_SERIES) for m, count in series]
    return [(i, v) for i, v in enumerate(verdicts) if v.alarm and i >= 288]


def test_a_five_fold_rise_over_two_buckets_fires_within_ten_minutes() -> None:
    series, burst = thursday_burst([10, 10, 10])
    assert alarms_among_many(series) == [burst + 1]  # decided when the second bucket closes: 10 minutes in


def test_judged_one_bucket_at_a_time_the_same_rise_would_not_fire() -> None:
    series, _ = thursday_burst([10, 10, 10])
    assert alarms_among_many(series, DetectorConfig(windows=(1,))) == []


def test_a_thin_rise_that_no_quarter_hour_shows_fires_on_the_hour() -> None:
    # 3x for an hour on a small topic: 18 questions against 5 expected in a quarter hour is not enough among 850
    # series (p 1e-5 against a budget of 1.5e-7), 59 against 23 over the hour is.
    series, burst = thursday_burst([6] * 12)
    ((_, verdict),) = verdicts_among_many(series)
    assert verdict.window == 12 and 0 <= verdict.bucket - bucket_of(series[burst][0]) < 12
    assert verdicts_among_many(series, DetectorConfig(windows=(1, 2, 3))) == []


def test_windows_are_bucket_counts_from_one_up() -> None:
    for bad in ((), (2, 3), (1, 3, 2), (1, 1, 2)):
        with pytest.raises(ValueError, match="windows"):
            DetectorConfig(windows=bad)
    assert DetectorConfig().window_buckets == max(DetectorConfig().windows)


def test_the_still_open_bucket_completes_a_window_before_it_closes() -> None:
    series, burst = thursday_burst([10])
    detector = SpikeDetector()
    for moment, count in series[: burst + 1]:
        detector.observe(bucket_of(moment), count, live_series=MANY_SERIES)
    next_bucket = bucket_of(series[burst][0]) + 1
    assert not detector.check(next_bucket, 3, live_series=MANY_SERIES).alarm
    assert detector.check(next_bucket, 10, live_series=MANY_SERIES).alarm


def test_a_quiet_small_topic_among_many_fires_never() -> None:
    for seed in range(4):
        series, _ = thursday_burst([], seed)
        assert alarms_among_many(series) == []


def test_a_burst_does_not_widen_its_own_noise_floor() -> None:
    series, burst = thursday_burst([])
    detector = SpikeDetector()
    for moment, count in series[:burst]:
        detector.observe(bucket_of(moment), count)
    before = detector.dispersion
    detector.observe(bucket_of(series[burst][0]), 25)
    assert detector.dispersion <= before


def test_three_routine_spikes_in_a_row_are_still_routine() -> None:
    series = week(random.Random(7), peak=2.0, days=5)
    for day, size in ((1, 60), (2, 45), (3, 45)):  # a one-bucket spike at noon, Tuesday to Thursday
        noon = day * 288 + 144
        series[noon] = (series[noon][0], size)
    friday_noon = 4 * 288 + 144  # then three slightly smaller ones in a row
    for i in range(friday_noon, friday_noon + 3):
        series[i] = (series[i][0], 40)
    assert [i for i in alarms_of(series) if i >= 2 * 288] == []


def test_series_that_went_idle_stop_counting_towards_the_false_alarm_budget() -> None:
    bank = DetectorBank()
    for minute in range(0, 120):  # 20 topics, each asked about once a minute for two hours
        for topic in range(20):
            bank.add(START + timedelta(hours=10, minutes=minute), f"t{topic}")
    busy = bank.live
    for minute in range(120, 24 * 60):  # then only one of them, for a day
        bank.add(START + timedelta(hours=10, minutes=minute), "t0")
    assert busy > 15 and bank.live < 3


def test_a_new_topics_first_few_questions_do_not_make_its_surge_look_routine() -> None:
    """Seven questions in the first five minutes cannot alarm (under ``min_count``); they must not raise the bar."""
    detector = SpikeDetector()
    for bucket in range(288):
        detector.observe(bucket, 0.0)
    assert not detector.observe(288, 7.0).alarm
    assert detector.observe(289, 12.0).alarm


def test_an_expectation_learned_from_few_days_is_held_to_a_wider_tail_than_one_learned_from_many() -> None:
    young, seasoned = SpikeDetector(), SpikeDetector()
    for bucket in range(2 * 288):
        young.observe(bucket, 2.0)
    for bucket in range(28 * 288):
        seasoned.observe(bucket, 2.0)
    assert young.uncertainty(2 * 288) > 2 * seasoned.uncertainty(28 * 288) > 0
    assert young.check(2 * 288, 9.0).p_value > seasoned.check(28 * 288, 9.0).p_value


def test_a_new_series_first_burst_bucket_too_uncertain_to_alarm_does_not_make_the_rest_look_routine() -> None:
    """Eight questions against a brand-new series' prior, while all other traffic doubles (a market open), are not
    significant with the prior's uncertainty; so they are no routine spike either, and eight more alarm."""
    detector = SpikeDetector()
    first = detector.observe(1000, 8.0, scale=2.0, scale_variance=0.02, live_series=50)
    assert not first.alarm and detector.state.routine_excess == 0.0
    assert detector.observe(1001, 8.0, scale=2.0, scale_variance=0.02, live_series=50).alarm


def test_a_bursts_first_buckets_too_small_to_alarm_do_not_widen_the_tail_that_judges_it() -> None:
    """Three, three, then nine questions on a topic asked about six times an hour at its busiest: the first two
    buckets stay under the outlier clip, yet were they learned as noise at once, the nine would be judged with their
    spread and missed."""
    series, burst = small_topic_burst()
    detector = SpikeDetector()
    fired = [
        i for i, (m, c) in enumerate(series[: burst + 3]) if detector.observe(bucket_of(m), c, live_series=50).alarm
    ]
    assert fired == [burst + 2]
    assert detector.state.noise_pending == []  # and the burst's buckets never become evidence about the noise


def test_a_detector_restored_with_noise_evidence_held_back_makes_the_same_decisions() -> None:
    series, burst = small_topic_burst()
    whole = SpikeDetector()
    for moment, count in series[: burst + 1]:
        whole.observe(bucket_of(moment), count, live_series=50)
    assert whole.state.noise_pending
    restored = SpikeDetector.from_dict(json.loads(json.dumps(whole.to_dict())))
    for moment, count in series[burst + 1 :]:
        bucket = bucket_of(moment)
        assert restored.observe(bucket, count, live_series=50) == whole.observe(bucket, count, live_series=50)
    assert restored.to_dict() == whole.to_dict()


def small_topic_burst() -> tuple[list[tuple[datetime, int]], int]:
    """Four days of a topic with 0.5 questions per bucket at peak, and 3, 3, 9 questions from Thursday 13:30."""
    series = week(random.Random(5), peak=0.5, days=4)
    burst = 3 * 288 + 13 * 12 + 6
    for offset, count in enumerate((3, 3, 9)):
        series[burst + offset] = (series[burst + offset][0], count)
    return series, burst


def test_a_skipped_stretch_teaches_nothing_while_the_same_stretch_idle_teaches_that_nobody_asked() -> None:
    history = week(random.Random(5), peak=6.0, days=5)
    skipped, idled = SpikeDetector(), SpikeDetector()
    for moment, count in history:
        skipped.observe(bucket_of(moment), count)
        idled.observe(bucket_of(moment), count)
    learned = json.dumps(skipped.to_dict()["profile"])
    a_week_later = bucket_of(history[-1][0]) + 7 * 288 + 1  # the same slot: a Saturday
    skipped.skip(a_week_later)
    idled.idle(a_week_later)
    assert json.dumps(skipped.to_dict()["profile"]) == learned
    assert skipped.state.last_bucket == idled.state.last_bucket == a_week_later - 1
    assert skipped.expected(a_week_later) > 2 * idled.expected(a_week_later)
    assert skipped.state.recent == []  # no window reaches across the stretch nobody watched

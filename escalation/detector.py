"""Spike detection on one count series: is this bucket's count more than its baseline can explain?

Per bucket (5 minutes by default) the detector compares the count with an expected count and raises an alarm once
per episode. The expected count knows the week: a seasonal profile per (weekday or weekend) x time-of-day slot,
learned online, rescaled by how busy the last hours were relative to that profile, and blended with a plain robust
level while a slot has little history. The noise model is negative binomial (Poisson plus learned overdispersion),
so three questions on a quiet topic are never a spike while 40 are. An alarm needs all of:

- a tail probability below the false-alarm budget of this series (the bank splits a global budget across series);
- a practical size: at least ``min_count`` and ``min_ratio`` times the expected count;
- novelty: the excess over the expected count beats the series' own record excess (decaying over days), so a topic
  that bursts routinely stops paging people while a topic that never moved fires at once.

After an alarm the series stays in its episode until counts are back to normal for ``reset_buckets`` buckets and
``cooldown_buckets`` have passed. Decisions at bucket t use only buckets up to t; the state is plain JSON.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from scipy.special import betainc, gammainc

DAY_SECONDS = 86_400
MIN_EXPECTED = 0.02  # a floor so a never-seen slot is not "zero expected, any count infinitely surprising"
EXACT_IDLE_BUCKETS = 12  # idle gaps up to this long are replayed bucket by bucket, longer ones in closed form
IDLE_MEMORY_BUCKETS = 4032  # two weeks: older idle buckets no longer move the per-slot profile noticeably


@dataclass(frozen=True)
class DetectorConfig:
    """Defaults are the service's defaults; ``replay-counts`` and the benchmarks use them unchanged."""

    bucket_seconds: int = 300
    slot_minutes: int = 30
    false_alarms_per_day: float = 0.5  # budget for all series together
    min_count: float = 8.0
    min_ratio: float = 2.0
    level_halflife_buckets: float = 36.0  # 3 h: the robust level and the profile rescaling follow this fast
    profile_halflife_days: float = 14.0
    profile_trust_days: float = 2.0  # slot history (in days of that slot) worth half the weight of the blend
    dispersion_halflife_buckets: float = 2016.0  # a week
    clip_sigmas: float = 3.0  # updates are winsorized here so a spike does not teach the baseline
    prior_rate: float = 0.2  # expected count per bucket of a brand-new series
    prior_buckets: float = 12.0  # how many buckets of evidence that prior is worth
    prior_dispersion: float = 0.1
    prior_dispersion_weight: float = 20.0  # worth this many buckets of one expected question
    reset_ratio: float = 1.5  # back to normal: below this multiple of the expected count
    reset_buckets: int = 3
    cooldown_buckets: int = 12
    novelty_halflife_days: float = 5.0
    novelty_margin: float = 1.1  # the excess over expected must beat the decayed record excess by this factor

    @property
    def buckets_per_day(self) -> int:
        return DAY_SECONDS // self.bucket_seconds

    def alpha(self, live_series: float) -> float:
        """Per-bucket tail probability for one series: the global daily budget split Bonferroni-style."""
        return self.false_alarms_per_day / self.buckets_per_day / max(1, live_series)


@dataclass(frozen=True)
class Verdict:
    """What the detector thought of one bucket (``alarm`` is True once per episode)."""

    bucket: int
    count: float
    expected: float
    p_value: float
    alarm: bool


@dataclass
class SeriesState:
    buckets: int = 0
    last_bucket: int | None = None
    level: float = 0.0
    level_weight: float = 0.0
    profile: list[float] = field(default_factory=list)
    profile_weight: list[float] = field(default_factory=list)
    seasonal_level: float = 0.0
    dispersion_num: float = 0.0
    dispersion_den: float = 0.0
    in_episode: bool = False
    quiet_run: int = 0
    last_alarm: int | None = None
    record_excess: float = 0.0  # the largest excess over expected seen, as of ``record_bucket``
    record_bucket: int = 0


def upper_tail(count: float, mean: float, dispersion: float) -> float:
    """P(X >= count) for a negative binomial with this mean and variance mean + dispersion * mean**2."""
    if count <= 0:
        return 1.0
    if dispersion < 1e-6:
        return float(gammainc(count, mean))
    shape = 1.0 / dispersion
    return float(betainc(count, shape, mean / (mean + shape)))


def surprise(p_value: float) -> float:
    return -math.log10(max(p_value, 1e-300))


class SpikeDetector:
    """One series. ``observe`` each closed bucket in order; ``check`` a still-open bucket without learning from it."""

    def __init__(self, config: DetectorConfig | None = None, state: SeriesState | None = None) -> None:
        self.config = config or DetectorConfig()
        c = self.config
        slots = 2 * (DAY_SECONDS // (60 * c.slot_minutes))
        self.state = state or SeriesState(
            level=c.prior_rate,
            level_weight=c.prior_buckets,
            profile=[0.0] * slots,
            profile_weight=[0.0] * slots,
            seasonal_level=c.prior_rate,
            dispersion_num=c.prior_dispersion * c.prior_dispersion_weight,
            dispersion_den=c.prior_dispersion_weight,
        )
        self._level_cap = c.level_halflife_buckets / math.log(2)
        slot_buckets_per_day = 60 * c.slot_minutes // c.bucket_seconds
        self._profile_cap = c.profile_halflife_days * slot_buckets_per_day / math.log(2)
        self._profile_trust = c.profile_trust_days * slot_buckets_per_day
        self._dispersion_decay = 0.5 ** (1.0 / c.dispersion_halflife_buckets)

    # -- the model -------------------------------------------------------------------------------------------

    def slot(self, bucket: int) -> int:
        day, second = divmod(bucket * self.config.bucket_seconds, DAY_SECONDS)
        weekend = (day + 3) % 7 >= 5  # 1970-01-01 was a Thursday
        of_day = second // (60 * self.config.slot_minutes)
        return of_day + (len(self.state.profile) // 2 if weekend else 0)

    def expected(self, bucket: int) -> float:
        """Expected count of ``bucket`` from history only."""
        s = self.state
        slot = self.slot(bucket)
        weight = s.profile_weight[slot]
        if weight <= 0:
            return max(s.level, MIN_EXPECTED)
        # How busy the last hours were relative to what the profile expected of them.
        scale = min(4.0, max(0.25, s.level / max(s.seasonal_level, MIN_EXPECTED)))
        seasonal = s.profile[slot] * scale
        trust = weight / (weight + self._profile_trust)
        return max(trust * seasonal + (1.0 - trust) * s.level, MIN_EXPECTED)

    @property
    def dispersion(self) -> float:
        s = self.state
        return min(2.0, max(0.0, s.dispersion_num / max(s.dispersion_den, 1e-12)))

    def p_value(self, count: float, expected: float) -> float:
        return upper_tail(count, expected, self.dispersion)

    # -- decisions -------------------------------------------------------------------------------------------

    def check(self, bucket: int, count: float, *, scale: float = 1.0, live_series: float = 1) -> Verdict:
        """Would this (possibly partial) count alarm now? Learns nothing; a partial count is compared with a whole
        bucket's expectation, so an early alarm here is one the closed bucket would raise too."""
        expected = self.expected(bucket) * max(1.0, scale)
        p_value = self.p_value(count, expected) if self._big_enough(count, expected) else 1.0
        alarm = (
            self._may_alarm(bucket)
            and p_value < self.config.alpha(live_series)
            and self._novel(bucket, count - expected)
        )
        return Verdict(bucket, count, expected, p_value, alarm)

    def observe(
        self, bucket: int, count: float, *, scale: float = 1.0, live_series: float = 1, armed: bool = True
    ) -> Verdict:
        """Decide on the closed ``bucket`` (buckets strictly increasing), then learn from it.

        ``scale`` is how much busier all other traffic is than its own baseline: the share-of-traffic guard.
        ``live_series`` splits the false-alarm budget; ``armed=False`` learns without alarming (warm-up).
        """
        s = self.state
        if s.last_bucket is not None and bucket <= s.last_bucket:
            raise ValueError(f"bucket {bucket} is not after the last observed bucket {s.last_bucket}")
        verdict = self.check(bucket, count, scale=scale, live_series=live_series)
        if not armed and verdict.alarm:
            verdict = replace(verdict, alarm=False)
        if verdict.alarm:
            self.raise_alarm(bucket)
        self._track_episode(bucket, count, verdict.expected)
        self._track_record(bucket, count - verdict.expected)
        self._learn(bucket, count)
        s.last_bucket = bucket
        s.buckets += 1
        return verdict

    def raise_alarm(self, bucket: int) -> None:
        self.state.in_episode = True
        self.state.quiet_run = 0
        self.state.last_alarm = bucket

    def _big_enough(self, count: float, expected: float) -> bool:
        c = self.config
        return count >= c.min_count and count >= c.min_ratio * expected

    def _may_alarm(self, bucket: int) -> bool:
        s = self.state
        return not s.in_episode and (s.last_alarm is None or bucket - s.last_alarm >= self.config.cooldown_buckets)

    def _novel(self, bucket: int, excess: float) -> bool:
        """False when the series had as large an excess lately: it bursts like this routinely."""
        return excess > self.config.novelty_margin * self._record(bucket)

    def _record(self, bucket: int) -> float:
        s = self.state
        halflife = self.config.novelty_halflife_days * self.config.buckets_per_day
        return float(s.record_excess * 0.5 ** ((bucket - s.record_bucket) / halflife))

    def _track_episode(self, bucket: int, count: float, expected: float) -> None:
        s = self.state
        if not s.in_episode:
            return
        s.quiet_run = s.quiet_run + 1 if count <= self.config.reset_ratio * expected else 0
        cooled = s.last_alarm is None or bucket - s.last_alarm >= self.config.cooldown_buckets
        if s.quiet_run >= self.config.reset_buckets and cooled:
            s.in_episode = False

    def _track_record(self, bucket: int, excess: float) -> None:
        s = self.state
        s.record_excess = max(excess, self._record(bucket))
        s.record_bucket = bucket

    def _learn(self, bucket: int, count: float) -> None:
        s = self.state
        expected = self.expected(bucket)
        spread = math.sqrt(expected + self.dispersion * expected**2)
        clipped = min(count, expected + self.config.clip_sigmas * max(spread, 1.0))
        slot = self.slot(bucket)
        if s.profile_weight[slot] > 0:
            s.seasonal_level = _blend(s.seasonal_level, s.profile[slot], s.level_weight)
        else:
            s.seasonal_level = _blend(s.seasonal_level, clipped, s.level_weight)
        s.level = _blend(s.level, clipped, s.level_weight)
        s.level_weight = min(s.level_weight + 1.0, self._level_cap)
        s.profile[slot] = _blend(s.profile[slot], clipped, s.profile_weight[slot])
        s.profile_weight[slot] = min(s.profile_weight[slot] + 1.0, self._profile_cap)
        # Overdispersion is learned from counts clipped at the Poisson spread: bursts must not teach the model that
        # bursts are noise (which would fatten the tail until nothing is surprising).
        quiet = min(count, expected + self.config.clip_sigmas * math.sqrt(max(expected, 1.0)))
        decay = self._dispersion_decay
        s.dispersion_num = decay * s.dispersion_num + (quiet - expected) ** 2 - expected
        s.dispersion_den = decay * s.dispersion_den + expected**2

    def idle(self, bucket: int) -> None:
        """Learn that every bucket after the last observed one and before ``bucket`` had no question.

        An empty bucket cannot alarm, so the bank skips idle series and catches them up here when they are next
        needed: a short gap exactly, a long one in closed form (means decay geometrically towards zero).
        """
        s = self.state
        if s.last_bucket is None or bucket - s.last_bucket <= 1:
            return
        if bucket - s.last_bucket - 1 <= EXACT_IDLE_BUCKETS:
            for empty in range(s.last_bucket + 1, bucket):
                self.observe(empty, 0.0, armed=False)
            return
        gap = bucket - s.last_bucket - 1
        zeros = [0] * len(s.profile)
        per_slot = 60 * self.config.slot_minutes // self.config.bucket_seconds
        empty = max(s.last_bucket + 1, bucket - IDLE_MEMORY_BUCKETS)
        while empty < bucket:  # a slot's buckets at a time
            end = min(bucket, (empty // per_slot + 1) * per_slot)
            zeros[self.slot(empty)] += end - empty
            empty = end
        seen = sum(s.profile[slot] * n for slot, n in enumerate(zeros) if s.profile_weight[slot] > 0)
        shrink, s.level_weight = _decay_towards_zero(s.level_weight, self._level_cap, gap)
        s.seasonal_level = s.seasonal_level * shrink + (1.0 - shrink) * seen / max(1, sum(zeros))
        s.level *= shrink
        for slot, n in enumerate(zeros):
            if n:
                slot_shrink, s.profile_weight[slot] = _decay_towards_zero(s.profile_weight[slot], self._profile_cap, n)
                s.profile[slot] *= slot_shrink
        s.dispersion_num *= self._dispersion_decay**gap
        s.dispersion_den *= self._dispersion_decay**gap
        if s.in_episode:
            s.quiet_run += gap
            self._track_episode(bucket - 1, 0.0, 0.0)
            s.quiet_run = min(s.quiet_run, self.config.reset_buckets)
        s.last_bucket = bucket - 1
        s.buckets += gap

    # -- persistence -----------------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        state = vars(self.state).copy()
        state["profile"], state["profile_weight"] = list(self.state.profile), list(self.state.profile_weight)
        return state

    @classmethod
    def from_dict(cls, data: dict[str, Any], config: DetectorConfig | None = None) -> SpikeDetector:
        return cls(config, SeriesState(**data))


def _blend(mean: float, value: float, weight: float) -> float:
    """Running mean with ``weight`` observations behind ``mean`` (capped by the caller: an EWMA from then on)."""
    return (mean * weight + value) / (weight + 1.0)


def _decay_towards_zero(weight: float, cap: float, steps: int) -> tuple[float, float]:
    """Factor by which ``steps`` zero observations shrink a running mean of ``weight`` (capped), and the new weight."""
    factor = 1.0
    while steps > 0 and weight < cap:
        factor *= weight / (weight + 1.0)
        weight = min(weight + 1.0, cap)
        steps -= 1
    return factor * (cap / (cap + 1.0)) ** steps, weight


def bucket_of(moment: datetime, bucket_seconds: int = 300) -> int:
    """Bucket index of a wall-clock time (naive datetimes are taken as they are: the market's local time)."""
    seconds = (moment.replace(tzinfo=None) - datetime(1970, 1, 1)).total_seconds()
    return int(seconds // bucket_seconds)

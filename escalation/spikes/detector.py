"""Spike detection on one count series: is this bucket's count more than its baseline can explain?

Per bucket (5 minutes by default) the detector compares the count with an expected count and raises an alarm once
per episode. The expected count knows the week: a seasonal profile per (weekday or weekend) x time-of-day slot,
learned online, rescaled by how busy the last hours were relative to that profile, and blended with a plain robust
level while a slot has little history. The noise model is negative binomial (Poisson plus learned overdispersion),
so three questions on a quiet topic are never a spike while 40 are. An alarm needs all of:

- a tail probability below the false-alarm budget of this series (the bank splits a global budget across series),
  over the last 1, 2 or 3 buckets (the still-open one included; the budget is split over the windows too): a small
  topic at 5x its rate is not significant in one bucket but is over two. Windows pool only where Poisson noise
  dominates a bucket's variance; the learned overdispersion (the baseline's own error) is taken as shared by a
  window's buckets, so pooling never averages it away, and a burst's outlying buckets never teach it;
- a practical size: at least ``min_count`` and ``min_ratio`` times the expected count;
- novelty: the excess over the expected count beats the series' own record excess (decaying over days), so a topic
  that bursts routinely stops paging people while a topic that never moved fires at once. A window's records are of
  past bursts only (significant windows that ended before this one began), and its excess per bucket must also beat
  the record single bucket: three routine spikes in a row are still routine.

After an alarm the series stays in its episode until counts are back to normal for ``reset_buckets`` buckets and
``cooldown_buckets`` have passed. Decisions at bucket t use only buckets up to t; the state is plain JSON.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from escalation.spikes.series import DAY_SECONDS, MIN_EXPECTED, DetectorConfig, SeriesState, Verdict
from escalation.spikes.tails import blend, decay_towards_zero, noise_weight, upper_tail

EXACT_IDLE_BUCKETS = 12  # idle gaps up to this long are replayed bucket by bucket, longer ones in closed form
IDLE_MEMORY_BUCKETS = 4032  # two weeks: older idle buckets no longer move the per-slot profile noticeably


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

    def start_from(self, rate: float, weight: float) -> None:
        """Replace a new series' default prior: ``rate`` per bucket, worth ``weight`` buckets of evidence."""
        self.state.level = self.state.seasonal_level = rate
        self.state.level_weight = min(weight, self._level_cap)

    # -- the model -------------------------------------------------------------------------------------------

    def slot(self, bucket: int) -> int:
        day, second = divmod(bucket * self.config.bucket_seconds, DAY_SECONDS)
        weekend = (day + 3) % 7 >= 5  # 1970-01-01 was a Thursday
        of_day = second // (60 * self.config.slot_minutes)
        return of_day + (len(self.state.profile) // 2 if weekend else 0)

    def _profiled(self, bucket: int) -> tuple[int, float, float]:
        """The bucket's slot, how far its profile is trusted (0 without history), and how busy the last hours were
        relative to what the profile expected of them (the profile's rescaling)."""
        s = self.state
        slot = self.slot(bucket)
        weight = s.profile_weight[slot]
        if weight <= 0:
            return slot, 0.0, 1.0
        scale = min(4.0, max(0.25, s.level / max(s.seasonal_level, MIN_EXPECTED)))
        return slot, weight / (weight + self._profile_trust), scale

    def expected(self, bucket: int) -> float:
        """Expected count of ``bucket`` from history only."""
        s = self.state
        slot, trust, scale = self._profiled(bucket)
        if trust <= 0:
            return max(s.level, MIN_EXPECTED)
        return max(trust * s.profile[slot] * scale + (1.0 - trust) * s.level, MIN_EXPECTED)

    def uncertainty(self, bucket: int) -> float:
        """Relative variance of ``expected(bucket)`` as an estimate: a running mean of ``n`` Poisson counts with mean
        ``m`` is off by variance ``m / n``. A new count varies around the truth, not around the estimate, so this adds
        to its variance (a prediction interval, not a fitted margin)."""
        s = self.state
        slot, trust, scale = self._profiled(bucket)
        level_part = 1.0 / (max(s.level_weight, 1.0) * max(s.level, MIN_EXPECTED))
        if trust <= 0:
            return level_part
        seasonal = max(s.profile[slot], MIN_EXPECTED) * scale
        blended = trust * seasonal + (1.0 - trust) * s.level
        profile_part = 1.0 / (s.profile_weight[slot] * max(s.profile[slot], MIN_EXPECTED))
        variance = (trust * seasonal) ** 2 * profile_part + ((1.0 - trust) * s.level) ** 2 * level_part
        return variance / max(blended, MIN_EXPECTED) ** 2

    def current_level(self, bucket: int) -> float:
        """The robust level as of ``bucket``, counting the idle buckets since the last observed one as empty
        (without learning from them: the bank catches idle series up lazily)."""
        s = self.state
        gap = 0 if s.last_bucket is None else bucket - s.last_bucket - 1
        if gap <= 0:
            return s.level
        return s.level * (self._level_cap / (self._level_cap + 1.0)) ** gap

    @property
    def dispersion(self) -> float:
        return min(2.0, max(0.0, self.state.dispersion_num / max(self.state.dispersion_den, 1e-12)))

    def p_value(self, count: float, expected: float) -> float:
        return upper_tail(count, expected, self.dispersion)

    # -- decisions -------------------------------------------------------------------------------------------

    def check(
        self, bucket: int, count: float, *, scale: float = 1.0, live_series: float = 1, scale_variance: float = 0.0
    ) -> Verdict:
        """Would this (possibly partial) count alarm now? Learns nothing; a partial count is compared with a whole
        bucket's expectation, so an early alarm here is one the closed bucket would raise too. ``scale_variance`` is
        the relative variance of ``scale`` (itself a ratio of counts)."""
        expected = self.expected(bucket) * max(1.0, scale)
        spread = self._spread(bucket, scale, scale_variance)
        if not self._may_alarm(bucket):
            return Verdict(bucket, count, expected, 1.0, False, 1, count, expected)
        # Pooling buckets only gains power where Poisson noise dominates the bucket's variance; where learned
        # overdispersion dominates (large counts), a longer window sees the same relative noise and would only add
        # false alarms on slow level shifts, so such a series is judged on its single bucket.
        pooled = self.dispersion * expected <= 1.0
        windows = self._windows(bucket, count, expected) if pooled else [(count, expected)]
        alpha = self.config.alpha(live_series, self.config.window_buckets if pooled else 1)
        best = Verdict(bucket, count, expected, 1.0, False, 1, count, expected)
        for size, (total, mean) in enumerate(windows, start=1):
            if not self._big_enough(total, mean):
                continue
            # The overdispersion (the baseline's own error) is taken as shared by the window's buckets, so it does not
            # average out over a window: only the Poisson part does.
            p_value = upper_tail(total, mean, spread)
            if p_value < alpha and self._novel(bucket, total - mean, size):
                return Verdict(bucket, count, expected, p_value, True, size, total, mean)
            if p_value < best.p_value:
                best = Verdict(bucket, count, expected, p_value, False, size, total, mean)
        return best

    def _spread(self, bucket: int, scale: float, scale_variance: float) -> float:
        """The tail's variance: Poisson, the learned overdispersion, and how far the expectation itself may be off."""
        return min(2.0, self.dispersion + self.uncertainty(bucket) + (scale_variance if scale > 1.0 else 0.0))

    def _windows(self, bucket: int, count: float, expected: float) -> list[tuple[float, float]]:
        """(count, expected) summed over the last 1, 2, ... buckets ending with ``bucket``, as far as history goes
        back without a gap (an expectation is the one each bucket had when it was decided: a burst does not raise
        its own bar)."""
        windows = [(count, expected)]
        total, mean, previous = count, expected, bucket
        for past, past_count, past_expected in reversed(self.state.recent):
            if len(windows) >= self.config.window_buckets or int(past) != previous - 1:
                break
            total, mean, previous = total + past_count, mean + past_expected, int(past)
            windows.append((total, mean))
        return windows

    def observe(
        self,
        bucket: int,
        count: float,
        *,
        scale: float = 1.0,
        live_series: float = 1,
        armed: bool = True,
        scale_variance: float = 0.0,
    ) -> Verdict:
        """Decide on the closed ``bucket`` (buckets strictly increasing), then learn from it.

        ``scale`` is how much busier all other traffic is than its own baseline: the share-of-traffic guard.
        ``live_series`` splits the false-alarm budget; ``armed=False`` learns without alarming (warm-up).
        """
        s = self.state
        if s.last_bucket is not None and bucket <= s.last_bucket:
            raise ValueError(f"bucket {bucket} is not after the last observed bucket {s.last_bucket}")
        verdict = self.check(bucket, count, scale=scale, live_series=live_series, scale_variance=scale_variance)
        if not armed and verdict.alarm:
            verdict = replace(verdict, alarm=False)
        if verdict.alarm:
            self.raise_alarm(bucket)
        self._track_episode(bucket, count, verdict.expected)
        spread = self._spread(bucket, scale, scale_variance)
        self._track_records(bucket, count, verdict.expected, live_series, spread)
        self._learn(bucket, count)
        s.last_bucket = bucket
        s.buckets += 1
        return verdict

    def raise_alarm(self, bucket: int) -> None:
        self.state.noise_pending = []  # the burst's buckets so far: never evidence about the noise
        self.state.level_pending = []  # nor, in a new topic, about its level
        self.state.in_episode = True
        self.state.quiet_run = 0
        self.state.last_alarm = bucket

    def _big_enough(self, count: float, expected: float) -> bool:
        c = self.config
        return count >= c.min_count and count >= c.min_ratio * expected

    def _may_alarm(self, bucket: int) -> bool:
        s = self.state
        return not s.in_episode and (s.last_alarm is None or bucket - s.last_alarm >= self.config.cooldown_buckets)

    def _novel(self, bucket: int, excess: float, size: int = 1) -> bool:
        """False when the series had as large an excess lately: it bursts like this routinely. A window of several
        buckets must also beat, per bucket, the record single bucket from before it (three routine spikes in a row
        are still routine spikes)."""
        margin = self.config.novelty_margin
        if size == 1:
            return excess > margin * self._record(bucket)
        single = max(self._record(bucket, 1, True), self._decayed(self.state.routine_excess, bucket))
        return excess > margin * self._record(bucket, size) and excess / size > margin * single

    def _record(self, bucket: int, size: int = 1, before_window: bool = False) -> float:
        s = self.state
        if size == 1 and not before_window:
            record = s.record_excess
        else:
            record = s.window_records[size - 1] if size <= len(s.window_records) else 0.0
        return self._decayed(record, bucket)

    def _decayed(self, record: float, bucket: int) -> float:
        halflife = self.config.novelty_halflife_days * self.config.buckets_per_day
        return float(record * 0.5 ** ((bucket - self.state.record_bucket) / halflife))

    def _track_episode(self, bucket: int, count: float, expected: float) -> None:
        s = self.state
        if not s.in_episode:
            return
        s.quiet_run = s.quiet_run + 1 if count <= self.config.reset_ratio * expected else 0
        cooled = s.last_alarm is None or bucket - s.last_alarm >= self.config.cooldown_buckets
        if s.quiet_run >= self.config.reset_buckets and cooled:
            s.in_episode = False

    def _track_records(self, bucket: int, count: float, expected: float, live_series: float, spread: float) -> None:
        """The single bucket's record (for the single-bucket test) is updated at once with any excess, as it always
        was. Windows are judged against records of bursts, not noise: an excess counts only when its window was
        significant for this series alone (the largest of a week of Poisson noise would otherwise set a bar that a
        real 5x rise of a small topic cannot clear), and only once it is entirely past the longest window (else a
        burst's first buckets, significant but not yet alarming, would raise the bar for the same burst a few minutes
        later), except a bucket that was significant enough to alarm and did not: that one was routine at once."""
        s = self.state
        longest = self.config.window_buckets
        bar = self.config.alpha(1, longest)
        excesses = [
            total - mean if self.p_value(total, mean) < bar else 0.0
            for size, (total, mean) in enumerate(self._windows(bucket, count, expected), start=1)
        ]
        # Routine: big enough to alarm and significant enough, yet it did not (the series bursts like this). A
        # bucket under ``min_count`` could not alarm whatever it was, so it says nothing about routine: else a new
        # topic's first seven questions would make its next forty look routine. "Significant enough" is judged with
        # the tail the alarm used (``spread``: with how far the expectation may be off), else a new series' first
        # burst bucket, too uncertain to alarm against the prior, is taken as routine and silences the rest.
        tail = upper_tail(count, expected, spread)
        routine = (
            excesses[0] > 0 and self._big_enough(count, expected) and tail < self.config.alpha(live_series, longest)
        )
        s.routine_excess = max(count - expected if routine else 0.0, self._decayed(s.routine_excess, bucket))
        s.pending = [*s.pending, [bucket, *excesses]]
        due = [row for row in s.pending if row[0] <= bucket - longest]
        s.pending = [row for row in s.pending if row[0] > bucket - longest]
        records = []
        for size in range(1, longest + 1):
            candidates = [row[size] for row in due if len(row) > size]
            records.append(max([*candidates, self._record(bucket, size, True)]))
        s.record_excess, s.window_records = max(count - expected, self._record(bucket)), records
        s.record_bucket = bucket
        s.recent = [*s.recent, [bucket, count, expected]][-(longest - 1) :] if longest > 1 else []

    def _learn(self, bucket: int, count: float) -> None:
        s = self.state
        expected, known = self.expected(bucket), self.uncertainty(bucket)  # both before this bucket teaches anything
        bound = self._clip_bound(expected)
        if s.newborn and s.buckets < self.config.prior_buckets:
            # A new topic's first buckets may be its surge: they teach its level once no window judging them is open,
            if s.last_alarm != bucket:  # and not at all if one of them alarms (as its noise evidence)
                s.level_pending = [*s.level_pending, [bucket, count]]
            self._settle_level(bucket - self.config.window_buckets + 1)
        else:
            self._learn_level(bucket, min(count, bound))
        self._learn_noise(bucket, count, expected, bound, known)

    def _clip_bound(self, expected: float) -> float:
        """``clip_sigmas`` spreads above ``expected``: updates are winsorized there; a count beyond is an outlier."""
        spread = math.sqrt(expected + self.dispersion * expected**2)
        return expected + self.config.clip_sigmas * max(spread, 1.0)

    def _settle_level(self, through: int) -> None:
        """Learn the held-back counts of a new topic's buckets up to ``through``, in order."""
        s = self.state
        for past, count in [row for row in s.level_pending if row[0] <= through]:
            self._learn_level(int(past), min(count, self._clip_bound(self.expected(int(past)))))
        s.level_pending = [row for row in s.level_pending if row[0] > through]

    def _learn_level(self, bucket: int, clipped: float) -> None:
        s = self.state
        slot = self.slot(bucket)
        if s.profile_weight[slot] > 0:
            s.seasonal_level = blend(s.seasonal_level, s.profile[slot], s.level_weight)
        else:
            s.seasonal_level = blend(s.seasonal_level, clipped, s.level_weight)
        s.level = blend(s.level, clipped, s.level_weight)
        s.level_weight = min(s.level_weight + 1.0, self._level_cap)
        s.profile[slot] = blend(s.profile[slot], clipped, s.profile_weight[slot])
        s.profile_weight[slot] = min(s.profile_weight[slot] + 1.0, self._profile_cap)

    def _learn_noise(self, bucket: int, count: float, expected: float, bound: float, known: float) -> None:
        s = self.state
        # Overdispersion is learned from counts clipped at the Poisson spread (bursts must not teach that bursts are
        # noise), net of the expectation's own error ``known`` (the tail adds it by itself): (x - m)^2 ~ m + (d + u)m^2.
        # A count beyond the current spread altogether is an outlier, not evidence about the noise, and is left out:
        # else a burst's first buckets widen the tail that judges the same burst a few minutes later.
        # Short of that, a burst's first buckets would still teach it before its alarm: a bucket's evidence is held
        # back until no window that judges it is still open (as records are), and dropped if one of them alarms.
        # Not while the series' data does not yet outweigh its prior: then what it sees replaces a placeholder.
        outlier = count > bound
        quiet = min(count, expected + self.config.clip_sigmas * math.sqrt(max(expected, 1.0)))
        s.dispersion_num *= self._dispersion_decay
        s.dispersion_den *= self._dispersion_decay
        if not outlier and s.last_alarm != bucket:
            w, excess = noise_weight(expected), (quiet - expected) ** 2 - expected - known * expected**2
            s.noise_pending = [*s.noise_pending, [bucket, w * excess, w * expected**2]]
        fresh = s.buckets < self.config.prior_buckets and not s.newborn
        self._settle_noise(bucket if fresh else bucket - self.config.window_buckets + 1, bucket)

    def _settle_noise(self, through: int, now: int) -> None:
        """Add the held-back dispersion evidence of buckets up to ``through``, decayed to ``now``."""
        s = self.state
        for past, num, den in (row for row in s.noise_pending if row[0] <= through):
            kept = self._dispersion_decay ** (now - past)
            s.dispersion_num += kept * num
            s.dispersion_den += kept * den
        s.noise_pending = [row for row in s.noise_pending if row[0] > through]

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
        self._settle_noise(s.last_bucket, s.last_bucket)
        self._settle_level(s.last_bucket)
        zeros = [0] * len(s.profile)
        per_slot = 60 * self.config.slot_minutes // self.config.bucket_seconds
        empty = max(s.last_bucket + 1, bucket - IDLE_MEMORY_BUCKETS)
        while empty < bucket:  # a slot's buckets at a time
            end = min(bucket, (empty // per_slot + 1) * per_slot)
            zeros[self.slot(empty)] += end - empty
            empty = end
        seen = sum(s.profile[slot] * n for slot, n in enumerate(zeros) if s.profile_weight[slot] > 0)
        shrink, s.level_weight = decay_towards_zero(s.level_weight, self._level_cap, gap)
        s.seasonal_level = s.seasonal_level * shrink + (1.0 - shrink) * seen / max(1, sum(zeros))
        s.level *= shrink
        for slot, n in enumerate(zeros):
            if n:
                slot_shrink, s.profile_weight[slot] = decay_towards_zero(s.profile_weight[slot], self._profile_cap, n)
                s.profile[slot] *= slot_shrink
        # Each empty bucket adds (0 - m)^2 - m to the dispersion sums, m being about the slots' mean.
        mean = max(MIN_EXPECTED, seen / max(1, sum(zeros)) if seen > 0 else s.level / max(shrink, 1e-9))
        kept = self._dispersion_decay**gap
        added = noise_weight(mean) * (1.0 - kept) / (1.0 - self._dispersion_decay)
        s.dispersion_num = s.dispersion_num * kept + added * (mean * mean - mean)
        s.dispersion_den = s.dispersion_den * kept + added * mean * mean
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

"""Spike detection on one count series: is this bucket's count more than its baseline can explain?

Per bucket (5 minutes by default) the detector compares the count with the expected count of its
:class:`~escalation.spikes.baseline.Baseline` and raises an alarm once per episode. An alarm needs all of:

- a tail probability below the false-alarm budget of this series (the bank splits a global budget across series),
  over the last 1, 2, 3 or 12 buckets (the still-open one included; the budget is split over the windows too): a small
  topic at 5x its rate is not significant in one bucket but is over two, and a thin or gradual rise (a few questions
  more every bucket) only over the hour. Windows pool only where Poisson noise
  dominates a bucket's variance; the learned overdispersion (the baseline's own error) is taken as shared by a
  window's buckets, so pooling never averages it away, and a burst's outlying buckets never teach it;
- a practical size: at least ``min_count`` and ``min_ratio`` times the expected count;
- novelty: the excess over the expected count beats the series' own record excess (decaying over days), so a topic
  that bursts routinely stops paging people while a topic that never moved fires at once. A window's records are of
  past bursts only (significant windows that ended before this one began), and its excess per bucket must also beat
  the record single bucket: three routine spikes in a row are still routine;
- whatever the caller asks of it (``stands_out``): the bank asks that the series' share of all questions rose too.

After an alarm the series stays in its episode until counts are back to normal for ``reset_buckets`` buckets and
``cooldown_buckets`` have passed. Decisions at bucket t use only buckets up to t; the state is plain JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from escalation.spikes.baseline import Baseline
from escalation.spikes.series import MIN_EXPECTED, DetectorConfig, SeriesState, Verdict
from escalation.spikes.stored import known_fields
from escalation.spikes.tails import decay_towards_zero, noise_weight, upper_tail

EXACT_IDLE_BUCKETS = 12  # idle gaps up to this long are replayed bucket by bucket, longer ones in closed form
IDLE_MEMORY_BUCKETS = 4032  # two weeks: older idle buckets no longer move the per-slot profile noticeably


class SpikeDetector(Baseline):
    """One series. ``observe`` each closed bucket in order; ``check`` a still-open bucket without learning from it."""

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
        windows = self._windows(bucket, count, expected) if self.pooled(expected) else [(1, count, expected)]
        alpha = self.budget(expected, live_series)
        best = Verdict(bucket, count, expected, 1.0, False, 1, count, expected)
        for size, total, mean in windows:
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

    def pooled(self, expected: float) -> bool:
        """Whether buckets are judged over windows. Pooling only gains power where Poisson noise dominates the bucket's
        variance; where learned overdispersion dominates (large counts), a longer window sees the same relative noise
        and would only add false alarms on slow level shifts, so such a series is judged on its single bucket."""
        return self.dispersion * expected <= 1.0

    def budget(self, expected: float, live_series: float) -> float:
        """The tail probability an alarm must beat at this expectation: the series' share of the budget, split over
        the windows tested."""
        return self.config.alpha(live_series, len(self.config.windows) if self.pooled(expected) else 1)

    def _spread(self, bucket: int, scale: float, scale_variance: float) -> float:
        """The tail's variance: Poisson, the learned overdispersion, and how far the expectation itself may be off."""
        return min(2.0, self.dispersion + self.uncertainty(bucket) + (scale_variance if scale > 1.0 else 0.0))

    def _windows(self, bucket: int, count: float, expected: float) -> list[tuple[int, float, float]]:
        """(buckets, count, expected) summed over each window length ending with ``bucket``, as far as history goes
        back without a gap (an expectation is the one each bucket had when it was decided: a burst does not raise
        its own bar). The lengths are a prefix of the configured ones, shortest first."""
        sizes = self.config.windows
        windows = [(1, count, expected)]
        total, mean, previous, size = count, expected, bucket, 1
        for past, past_count, past_expected in reversed(self.state.recent):
            if size >= self.config.window_buckets or int(past) != previous - 1:
                break
            total, mean, previous, size = total + past_count, mean + past_expected, int(past), size + 1
            if size in sizes:
                windows.append((size, total, mean))
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
        stands_out: Callable[[Verdict], bool] | None = None,
    ) -> Verdict:
        """Decide on the closed ``bucket`` (buckets strictly increasing), then learn from it.

        ``scale`` is how much busier all other traffic is than its own baseline: the share-of-traffic guard.
        ``live_series`` splits the false-alarm budget; ``armed=False`` learns without alarming (warm-up).
        ``stands_out`` is asked of an alarm: False means all traffic explains it (no alarm, and no routine burst).
        """
        s = self.state
        if s.last_bucket is not None and bucket <= s.last_bucket:
            raise ValueError(f"bucket {bucket} is not after the last observed bucket {s.last_bucket}")
        verdict = self.check(bucket, count, scale=scale, live_series=live_series, scale_variance=scale_variance)
        explained = verdict.alarm and stands_out is not None and not stands_out(verdict)
        if (not armed or explained) and verdict.alarm:
            verdict = replace(verdict, alarm=False)
        if verdict.alarm:
            self.raise_alarm(bucket)
        self._track_episode(bucket, count, verdict.expected)
        spread = self._spread(bucket, scale, scale_variance)
        self._track_records(bucket, count, verdict.expected, live_series, spread, routine_possible=not explained)
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
            at = self.config.windows.index(size)  # records are kept per configured window, shortest first
            record = s.window_records[at] if at < len(s.window_records) else 0.0
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

    def _track_records(
        self, bucket: int, count: float, expected: float, live_series: float, spread: float, routine_possible: bool
    ) -> None:
        """The single bucket's record (for the single-bucket test) is updated at once with any excess, as it always
        was. Windows are judged against records of bursts, not noise: an excess counts only when its window was
        significant for this series alone (the largest of a week of Poisson noise would otherwise set a bar that a
        real 5x rise of a small topic cannot clear), and only once it is entirely past the longest window (else a
        burst's first buckets, significant but not yet alarming, would raise the bar for the same burst a few minutes
        later), except a bucket that was significant enough to alarm and did not: that one was routine at once."""
        s = self.state
        longest, tested = self.config.window_buckets, len(self.config.windows)
        bar = self.config.alpha(1, tested)
        excesses = [
            total - mean if self.p_value(total, mean) < bar else 0.0
            for _, total, mean in self._windows(bucket, count, expected)
        ]
        # Routine: big enough to alarm and significant enough, yet it did not (the series bursts like this). A
        # bucket under ``min_count`` could not alarm whatever it was, so it says nothing about routine: else a new
        # topic's first seven questions would make its next forty look routine. "Significant enough" is judged with
        # the tail the alarm used (``spread``: with how far the expectation may be off), else a new series' first
        # burst bucket, too uncertain to alarm against the prior, is taken as routine and silences the rest.
        tail = upper_tail(count, expected, spread)
        routine = (  # not when all traffic explains it: then the series did not burst alone
            routine_possible
            and excesses[0] > 0
            and self._big_enough(count, expected)
            and tail < self.config.alpha(live_series, tested)
        )
        s.routine_excess = max(count - expected if routine else 0.0, self._decayed(s.routine_excess, bucket))
        s.pending = [*s.pending, [bucket, *excesses]]
        due = [row for row in s.pending if row[0] <= bucket - longest]
        s.pending = [row for row in s.pending if row[0] > bucket - longest]
        records = []
        for at, size in enumerate(self.config.windows, start=1):
            candidates = [row[at] for row in due if len(row) > at]
            records.append(max([*candidates, self._record(bucket, size, True)]))
        s.record_excess, s.window_records = max(count - expected, self._record(bucket)), records
        s.record_bucket = bucket
        s.recent = [*s.recent, [bucket, count, expected]][-(longest - 1) :] if longest > 1 else []

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

    def skip(self, bucket: int) -> None:
        """Go on at ``bucket`` without learning the buckets before it: nobody watched them (the time between a warm
        start's history and the first live question), so they are not empty buckets, they are no buckets at all.
        What was held back is settled, no window reaches across the gap, and the records and what still waits to
        become one do not age over it. The last observed bucket must already be caught up (:meth:`idle`)."""
        s = self.state
        if s.last_bucket is None or bucket - s.last_bucket <= 1:
            return
        gap = bucket - s.last_bucket - 1
        self._settle_noise(s.last_bucket, s.last_bucket)
        self._settle_level(s.last_bucket)
        s.record_bucket += gap
        s.pending = [[row[0] + gap, *row[1:]] for row in s.pending]
        s.recent = []
        s.in_episode, s.quiet_run = False, 0  # a burst at the history's end was history's: its incident is gone
        s.last_bucket = bucket - 1

    @classmethod
    def from_dict(cls, data: dict[str, Any], config: DetectorConfig | None = None) -> SpikeDetector:
        return cls(config, SeriesState(**known_fields(SeriesState, data)))

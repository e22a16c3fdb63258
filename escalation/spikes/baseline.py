"""The baseline of one count series: what count to expect in a bucket, and how far counts vary around it.

The expected count knows the week: a seasonal profile per (weekday or weekend) x time-of-day slot, learned online,
rescaled by how busy the last hours were relative to that profile, and blended with a plain robust level while a slot
has little history. The noise model is negative binomial (Poisson plus learned overdispersion), so three questions on
a quiet topic are never a spike while 40 are. Updates are winsorized, and a burst's buckets never teach the noise:
their evidence waits until no window that judges them is open, and an alarm drops it (:mod:`detector` decides).
"""

from __future__ import annotations

import math
from typing import Any

from escalation.spikes.series import DAY_SECONDS, MIN_EXPECTED, DetectorConfig, SeriesState
from escalation.spikes.tails import blend, noise_weight, upper_tail


class Baseline:
    """One series' expected count and noise, learned bucket by bucket (:class:`detector.SpikeDetector` decides)."""

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

    # -- learning --------------------------------------------------------------------------------------------

    def _learn(self, bucket: int, count: float) -> None:
        s = self.state
        expected, known = self.expected(bucket), self.uncertainty(bucket)  # both before this bucket teaches anything
        # A slot the profile has never seen is expected at the level alone: its miss is the shape of the day still to
        # be learned, not noise. (Its later buckets on that first day are not exempt: the profile is already trusted
        # a little there, and on the generated weeks exempting them tripled the false incidents.)
        unseen = s.profile_weight[self.slot(bucket)] <= 0
        bound = self._clip_bound(expected)
        if s.newborn and s.buckets < self.config.prior_buckets:
            # A new topic's first buckets may be its surge: they teach its level once no window judging them is open,
            if s.last_alarm != bucket:  # and not at all if one of them alarms (as its noise evidence)
                s.level_pending = [*s.level_pending, [bucket, count]]
            self._settle_level(bucket - self.config.window_buckets + 1)
        else:  # what its first buckets still hold back teaches it as their windows close
            self._settle_level(bucket - self.config.window_buckets + 1)
            self._learn_level(bucket, min(count, bound))
        self._learn_noise(bucket, count, expected, bound, known, evidence=not unseen)

    def _clip_bound(self, expected: float) -> float:
        """``clip_sigmas`` spreads above ``expected``: updates are winsorized there; a count beyond is an outlier."""
        spread = math.sqrt(expected + self.dispersion * expected**2)
        return expected + self.config.clip_sigmas * max(spread, 1.0)

    def _settle_level(self, through: int) -> None:
        """Learn the held-back counts of a new topic's buckets up to ``through``, in order."""
        s = self.state
        if not s.level_pending:  # every series, every bucket: only a new topic's first hour holds anything
            return
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

    def _learn_noise(
        self, bucket: int, count: float, expected: float, bound: float, known: float, *, evidence: bool = True
    ) -> None:
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
        if evidence and not outlier and s.last_alarm != bucket:
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

    # -- persistence -----------------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        state = vars(self.state).copy()
        state["profile"], state["profile_weight"] = list(self.state.profile), list(self.state.profile_weight)
        return state

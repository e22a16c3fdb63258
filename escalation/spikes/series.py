"""One count series as the detector sees it: its settings, its saved state (plain JSON) and the verdict on a bucket.

Time is counted in buckets since 1970-01-01 (:func:`bucket_of`); :class:`DetectorConfig` says how long a bucket is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

DAY_SECONDS = 86_400
MIN_EXPECTED = 0.02  # a floor so a never-seen slot is not "zero expected, any count infinitely surprising"


@dataclass(frozen=True)
class DetectorConfig:
    """Defaults are the service's defaults; ``replay-counts`` and the benchmarks use them unchanged."""

    bucket_seconds: int = 300
    slot_minutes: int = 30
    # The budget for all series together is the product's target, stated once: at most one false incident a week.
    false_alarms_per_day: float = 1 / 7
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
    # A burst is judged over windows of the last 1, 2, 3 and 12 buckets (the open one included), the budget split
    # over them: a sharp burst is significant within 5-15 minutes, a small topic's sustained rise over 10 minutes long
    # before any single bucket is, and a thin or gradual one (a few questions more every bucket) only over the hour.
    # Bursts last minutes to two hours and ramp up over their first third; a rise slower than an hour is a change of
    # level, which the 3-hour level follows. Every window takes a share of the budget from the others, so the hour is
    # one window, not a ladder of them (a 30-minute one as well cost the sharp bursts more than it added).
    windows: tuple[int, ...] = (1, 2, 3, 12)

    def __post_init__(self) -> None:
        if not self.windows or self.windows[0] != 1 or list(self.windows) != sorted(set(self.windows)):
            raise ValueError(f"windows must be increasing bucket counts starting with 1, not {self.windows}")

    @property
    def window_buckets(self) -> int:
        """The longest window: how long a bucket's evidence is held back, and how far the bank looks back."""
        return max(self.windows)

    @property
    def buckets_per_day(self) -> int:
        return DAY_SECONDS // self.bucket_seconds

    def alpha(self, live_series: float, windows: int = 1) -> float:
        """Per-bucket tail probability for one series and window: the global daily budget split Bonferroni-style
        over series and over the windows tested."""
        return self.false_alarms_per_day / self.buckets_per_day / max(1, live_series) / max(1, windows)


@dataclass(frozen=True)
class Verdict:
    """What the detector thought of one bucket (``alarm`` is True once per episode)."""

    bucket: int
    count: float
    expected: float
    p_value: float
    alarm: bool
    window: int = 1  # buckets judged together (the resolution that decided)
    window_count: float = 0.0  # observed over those buckets
    window_expected: float = 0.0  # expected over those buckets


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
    recent: list[list[float]] = field(default_factory=list)  # [bucket, count, expected] of the last closed buckets
    # Record excess of windows of 1, 2, ... buckets, each as of the buckets before the longest window ending now.
    window_records: list[float] = field(default_factory=list)
    routine_excess: float = 0.0  # the largest excess of a bucket that was significant enough to alarm but routine
    pending: list[list[float]] = field(default_factory=list)  # [bucket, excess of window 1, 2, ...] not yet a record
    noise_pending: list[list[float]] = field(default_factory=list)  # [bucket, dispersion num, den] held back
    # Born after its bank's warm-up: a new topic, whose first questions may be its surge, not yet its normal.
    newborn: bool = False
    level_pending: list[list[float]] = field(default_factory=list)  # [bucket, count] a newborn has yet to learn


def bucket_of(moment: datetime, bucket_seconds: int = 300) -> int:
    """Bucket index of a wall-clock time (naive datetimes are taken as they are: the market's local time)."""
    seconds = (moment.replace(tzinfo=None) - datetime(1970, 1, 1)).total_seconds()
    return int(seconds // bucket_seconds)

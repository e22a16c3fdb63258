"""Many count series at once: one :class:`SpikeDetector` per cluster, fed bucket by bucket.

The bank owns the clock (buckets close as event time passes), the total traffic (whose own baseline feeds the
share-of-traffic guard: when every topic is busier, a topic's expectation is scaled by how busy all the others are),
the false-alarm budget (split over the live series) and a short history of counts against baseline per series, for
the incident chart. A still-open bucket is checked on every question: a burst alarms once its partial count is
already beyond what a whole bucket could explain."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from escalation.spikes.births import Births
from escalation.spikes.detector import SpikeDetector
from escalation.spikes.series import DetectorConfig, Verdict, bucket_of
from escalation.spikes.share import ShareEvidence
from escalation.spikes.tails import share_tail
from escalation.spikes.unwatched import Unwatched

TOTAL = "*"
ROLLUP = ":"  # keys of series that roll up others (a fund's: "fund:110022", see pipeline) hold this; cluster ids do not
LIVE_LEVEL = 0.5
SHARE_PRIOR = 5.0  # pseudo-counts that keep the share-of-traffic ratio steady on small totals
LIVE_EVERY = 12  # buckets between recounts of the live series (a pass over every series: hourly is plenty)


@dataclass(frozen=True)
class SpikeAlarm:
    key: str
    bucket: int
    bucket_start: datetime
    detected_at: datetime
    count: float
    expected: float
    p_value: float
    window: int = 1  # buckets judged together
    window_count: float = 0.0
    window_expected: float = 0.0
    share: ShareEvidence | None = None  # the share test it passed (None: judged without one, outside a bank)


@dataclass(frozen=True)
class BankConfig:
    detector: DetectorConfig = field(default_factory=DetectorConfig)
    # A fresh bank only learns while the detectors' prior still outweighs what they saw (the prior is worth
    # ``prior_buckets``, an hour). After that a surge on the first day counts; the first market open, when every
    # topic rises at once, is the share-of-traffic guard's to explain away.
    warmup_buckets: int = 12
    history_buckets: int = 48  # counts vs baseline kept per series for the incident chart (4 h)
    idle_days: float = 14.0  # a series without a question for this long is dropped


class DetectorBank:
    def __init__(self, config: BankConfig | None = None) -> None:
        self.config = config or BankConfig()
        self.detectors: dict[str, SpikeDetector] = {}
        self.total = SpikeDetector(self.config.detector)
        self.history: dict[str, deque[tuple[int, float, float]]] = {}
        self.last_seen: dict[str, int] = {}
        self.episodes: set[str] = set()  # series in an alarm episode: observed every bucket until it resets
        self._live: float | None = None  # recounted every ``LIVE_EVERY`` buckets (and kept in the state)
        self.births = Births(int(self.config.detector.prior_buckets))  # what new series turned out to be
        self.first_bucket: int | None = None
        self.bucket: int | None = None
        self.counts: dict[str, float] = {}
        self.total_count = 0.0
        # All questions of the buckets just closed, for the share test over a window that reaches back into them.
        self.totals: deque[tuple[int, float]] = deque(maxlen=self.config.detector.window_buckets)
        self.unwatched: Unwatched | None = None  # time to skip, not learn, when the next question comes (:meth:`pause`)

    @property
    def bucket_seconds(self) -> int:
        return self.config.detector.bucket_seconds

    def start_of(self, bucket: int) -> datetime:
        return datetime(1970, 1, 1) + timedelta(seconds=bucket * self.bucket_seconds)

    def add(self, moment: datetime, key: str, n: float = 1.0, also: tuple[str, ...] = ()) -> list[SpikeAlarm]:
        """Count ``n`` questions of ``key`` at ``moment`` (event time, never earlier than what came before).
        ``also`` names further series the same questions belong to (a fund's rollup of all its topics): each is a
        series of its own, while the total traffic counts the questions once.
        """
        alarms = self.advance(moment)
        bucket = bucket_of(moment, self.bucket_seconds)
        if self.bucket is None:
            self.bucket = self.first_bucket = bucket
        self.total_count += n
        for series in (key, *also):
            self.counts[series] = self.counts.get(series, 0.0) + n
            self.last_seen[series] = bucket
            detector = self.detectors.get(series)
            if detector is None:
                detector = self.detectors[series] = self._new_detector(series, bucket)
            self.births.count(series, bucket, n)
            detector.idle(bucket)
            count = self.counts[series]
            verdict = detector.check(
                bucket,
                count,
                scale=self._scale(bucket, count, detector),
                live_series=self.live,
                scale_variance=self._scale_variance(count),
            )
            if not (verdict.alarm and self._armed(bucket)):
                continue
            judged: list[ShareEvidence] = []
            elapsed = (moment - self.start_of(bucket)).total_seconds() / self.bucket_seconds
            if self._stands_out(bucket, verdict, detector=detector, judged=judged, elapsed=elapsed):
                detector.raise_alarm(bucket)
                self.episodes.add(series)
                alarms.append(self._alarm(series, verdict, moment, judged))
        return alarms

    def advance(self, moment: datetime) -> list[SpikeAlarm]:
        """Close every bucket that ended before ``moment``; returns the alarms of those buckets."""
        target = bucket_of(moment, self.bucket_seconds)
        alarms: list[SpikeAlarm] = []
        if self.unwatched is not None and self.bucket is not None and self.bucket < target:
            watched, back = self.unwatched.span(self.bucket, bool(self.total_count), target)
            while self.bucket < min(watched, target):
                alarms += self._close(self.bucket)
                self.bucket += 1
            if self.bucket < back:
                self._resume(self.bucket, back)
            elif self.bucket == watched:  # back right after the watched time: nothing to skip
                self.unwatched = None
        while self.bucket is not None and self.bucket < target:
            alarms += self._close(self.bucket)
            self.bucket += 1
        return alarms

    def pause(self, watched_until: datetime | None = None, back_at: datetime | None = None) -> None:
        """Nobody watches from now (or after ``watched_until``) until the next question (or ``back_at``): that time
        is skipped when the next question comes (:meth:`.Unwatched.then`: a pause already set and a new one)."""
        marks = Unwatched.between(watched_until, back_at, self.bucket_seconds)
        if watched_until is not None and self.unwatched is not None and self.unwatched.back_from is not None:
            self.advance(watched_until)  # what a process watched, nobody asking (a question ends a pause): no alarm
            self.unwatched = None  # also where that span ended within the open bucket: nothing left to close
        self.unwatched = marks if self.unwatched is None else self.unwatched.then(marks)

    @property
    def paused(self) -> bool:
        return self.unwatched is not None

    def _resume(self, start: int, target: int) -> None:
        """Skip the unwatched buckets ``start`` .. ``target - 1``."""
        gap = target - start
        for detector in (*self.detectors.values(), self.total):
            detector.idle(start)  # what the history saw, an idle series' empty buckets, it learns
            detector.skip(target)
        self.last_seen = {key: seen + gap for key, seen in self.last_seen.items()}  # unwatched days idle no series
        self.births.postpone(gap)
        self.totals.clear()
        self.bucket, self.unwatched, self._live = target, None, None

    @property
    def live(self) -> float:
        """Series that could raise a false alarm, for the budget split: a series counts fully from half a question
        per bucket, a rarer one in proportion (a topic asked twice a day cannot reach ``min_count`` by chance), by
        its level as of now (a series that went quiet hours ago no longer takes a share of the budget)."""
        if self._live is None:
            now = self.bucket or 0
            self._live = max(1.0, sum(min(1.0, d.current_level(now) / LIVE_LEVEL) for d in self.detectors.values()))
        return self._live

    def series(self, key: str) -> list[tuple[datetime, float, float]]:
        """Recent closed buckets of ``key``: (bucket start, count, expected). Idle buckets were not observed: they
        show as zero counts with the expectation of the next observed bucket."""
        rows: list[tuple[datetime, float, float]] = []
        history = list(self.history.get(key, ()))
        if not history:
            return rows
        last = self.bucket - 1 if self.bucket is not None else None
        if last is not None and history[-1][0] < last:
            history.append((last, 0.0, self.expected(key)))
        for (bucket, count, expected), following in zip(history, [*history[1:], None], strict=True):
            rows.append((self.start_of(bucket), count, expected))
            if following is not None:
                gap = range(max(bucket + 1, following[0] - self.config.history_buckets), following[0])
                rows += [(self.start_of(b), 0.0, following[2]) for b in gap]
        return rows[-self.config.history_buckets :]

    def expected(self, key: str) -> float:
        detector = self.detectors.get(key)
        return detector.expected(self.bucket or 0) if detector else 0.0

    def rename(self, old: str, new: str) -> None:
        """A merged series lives on under the surviving key: the survivor keeps its own baseline, or takes the
        absorbed one's if it had none."""
        if old == new:
            return
        detector, history = self.detectors.pop(old, None), self.history.pop(old, None)
        seen = self.last_seen.pop(old, None)
        if new not in self.detectors and detector is not None:
            self.detectors[new] = detector
            if history is not None:
                self.history[new] = history
            if seen is not None:
                self.last_seen[new] = seen
            if old in self.episodes:
                self.episodes.add(new)
        self.episodes.discard(old)
        self.births.forget(old)  # merged into another: its count no longer says what a new series does alone
        if old in self.counts:
            self.counts[new] = self.counts.get(new, 0.0) + self.counts.pop(old)

    def _close(self, bucket: int) -> list[SpikeAlarm]:
        """Decide on ``bucket`` for every series that had questions or is in an episode; the others are idle (an
        empty bucket cannot alarm) and catch up when next needed, so a close costs the active series only."""
        alarms = []
        if bucket % LIVE_EVERY == 0:
            self._live = None
            self.births.mature(bucket)
        live = self.live
        armed = self._armed(bucket)
        end = self.start_of(bucket + 1)
        bursting: dict[str, float] = {}  # excess of series in an alarm episode, by family (topics, each rollup's)
        for key in sorted(set(self.counts) | self.episodes):
            detector = self.detectors[key]
            detector.idle(bucket)
            count = self.counts.get(key, 0.0)
            judged: list[ShareEvidence] = []  # the share test as decided (the detector learns the bucket after)
            verdict = detector.observe(
                bucket,
                count,
                scale=self._scale(bucket, count, detector),
                live_series=live,
                armed=armed,
                scale_variance=self._scale_variance(count),
                stands_out=partial(self._stands_out, bucket, detector=detector, judged=judged),
            )
            if verdict.alarm:
                alarms.append(self._alarm(key, verdict, end, judged))
            self._remember(key, verdict)
            if detector.state.in_episode:  # a burst's excess must not teach the total its time slot either
                family = key.split(ROLLUP, 1)[0] if ROLLUP in key else ""
                bursting[family] = bursting.get(family, 0.0) + max(0.0, count - verdict.expected)
                self.episodes.add(key)
            else:
                self.episodes.discard(key)
        # Families overlap (a fund's series holds questions of the topics' series), so the largest sum is removed.
        self.totals.append((bucket, self.total_count))
        self.total.observe(bucket, max(0.0, self.total_count - max(bursting.values(), default=0.0)), armed=False)
        if bucket % self.config.detector.buckets_per_day == 0:
            self._evict(bucket)
        self.counts.clear()
        self.total_count = 0.0
        return alarms

    def _scale(self, bucket: int, count: float, detector: SpikeDetector) -> float:
        """How much busier all other topics are than their baseline (1 when they are not)."""
        others = self.total_count - count
        others_expected = max(0.0, self.total.expected(bucket) - detector.expected(bucket))
        return max(1.0, (others + SHARE_PRIOR) / (others_expected + SHARE_PRIOR))

    def _stands_out(
        self,
        bucket: int,
        verdict: Verdict,
        *,
        detector: SpikeDetector,
        judged: list[ShareEvidence] | None = None,
        elapsed: float = 1.0,
    ) -> bool:
        """Whether a market-wide rise cannot explain the alarm. Where the other series rose too (a fresh deployment's
        first market open, a market-wide rush), the series' share of all questions over the verdict's window must be
        more than its expected share can explain, at the same budget (a binomial tail): a rise every topic shares
        leaves the shares as they were. Where the others did not rise, no market rise is there to explain anything
        away, and the count test stands alone (on few other questions the share could not rule one out), provided
        the others could have shown a rise: had they risen as this series did, so few of them would be beyond the
        same budget (a Poisson lower tail). A series that is nearly all the traffic has no others to tell it from
        the market, and its share decides (the morning ramp on the one cluster that a model that cannot read the
        language puts every question in). ``elapsed`` is the part of the still-open bucket gone by. The numbers
        decided on go to ``judged``, for the alarm's record."""
        share = self._share(bucket, verdict, detector, elapsed)
        if judged is not None:
            judged.append(share)
        budget = detector.budget(verdict.expected, self.live)  # the budget the alarm was held to
        if not share.others_rose and share.others_p_value < budget:
            return True
        return share.p_value < budget

    def _share(self, bucket: int, verdict: Verdict, detector: SpikeDetector, elapsed: float = 1.0) -> ShareEvidence:
        """The share test's numbers. A share needs no time span, so a still-open bucket's count is set against the
        questions of the same minutes; the scale above sets it against a whole bucket's expectation, and at a sharp
        market-wide rise understates it while the bucket is young. The others' expectation of the still-open bucket
        is prorated to its ``elapsed`` part for the same reason."""
        first = bucket - verdict.window + 1
        earlier = sum(n for b, n in self.totals if first <= b < bucket)
        total = self.total_count + earlier
        span = range(first, bucket + 1)
        part = [elapsed if b == bucket else 1.0 for b in span]  # the still-open bucket's minutes gone by
        mine = [detector.expected(b) for b in span]
        overall = [self.total.expected(b) for b in span]
        theirs = [max(0.0, t - m) for t, m in zip(overall, mine, strict=True)]
        share = mine[-1] / max(overall[-1], mine[-1])
        return ShareEvidence(
            verdict.window_count,
            total,
            share,
            share_tail(verdict.window_count, total, share),
            max(0.0, total - verdict.window_count),
            sum(t * p for t, p in zip(theirs, part, strict=True)),
            sum(m * p for m, p in zip(mine, part, strict=True)),
        )

    def _scale_variance(self, count: float) -> float:
        """Relative variance of the share-of-traffic scale: its numerator is a Poisson count of the other topics."""
        return 1.0 / (max(0.0, self.total_count - count) + SHARE_PRIOR)

    def _new_detector(self, key: str, bucket: int) -> SpikeDetector:
        """A series born in the warm-up starts from the default prior and learns its first counts as its normal; one
        born later is a new topic: it starts from what earlier new series turned out to be (:mod:`births`)."""
        detector = SpikeDetector(self.config.detector)
        detector.state.newborn = self._armed(bucket)
        if detector.state.newborn:
            self.births.born(key, bucket)
            prior = self.births.prior()
            if prior is not None:
                detector.start_from(*prior)
        return detector

    def _armed(self, bucket: int) -> bool:
        return self.first_bucket is not None and bucket - self.first_bucket >= self.config.warmup_buckets

    def _alarm(self, key: str, verdict: Verdict, moment: datetime, judged: list[ShareEvidence]) -> SpikeAlarm:
        start = self.start_of(verdict.bucket)
        return SpikeAlarm(
            key,
            verdict.bucket,
            start,
            moment,
            verdict.count,
            verdict.expected,
            verdict.p_value,
            verdict.window,
            verdict.window_count,
            verdict.window_expected,
            judged[-1] if judged else None,  # empty only where the share test was replaced (tests do)
        )

    def _remember(self, key: str, verdict: Verdict) -> None:
        history = self.history.get(key)
        if history is None:
            history = self.history[key] = deque(maxlen=self.config.history_buckets)
        history.append((verdict.bucket, verdict.count, verdict.expected))

    def _evict(self, bucket: int) -> None:
        idle = self.config.idle_days * self.config.detector.buckets_per_day
        for key in [k for k, seen in self.last_seen.items() if bucket - seen > idle]:
            self.detectors.pop(key, None)
            self.history.pop(key, None)
            self.episodes.discard(key)
            self.births.forget(key)
            del self.last_seen[key]

    # -- persistence -----------------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "detectors": {key: d.to_dict() for key, d in self.detectors.items()},
            "total": self.total.to_dict(),
            "history": {key: [list(row) for row in rows] for key, rows in self.history.items()},
            "last_seen": dict(self.last_seen),
            "first_bucket": self.first_bucket,
            "bucket": self.bucket,
            "counts": dict(self.counts),
            "total_count": self.total_count,
            "live": self._live,
            "totals": [list(row) for row in self.totals],
            "births": self.births.to_dict(),
            "paused": self.paused,  # all the release before reads (a warm start's pause); older states lack both
            "unwatched": None if self.unwatched is None else self.unwatched.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], config: BankConfig | None = None) -> DetectorBank:
        bank = cls(config)
        c = bank.config
        bank.detectors = {k: SpikeDetector.from_dict(v, c.detector) for k, v in data["detectors"].items()}
        bank.total = SpikeDetector.from_dict(data["total"], c.detector)
        bank.history = {
            k: deque(((int(b), float(n), float(e)) for b, n, e in rows), maxlen=c.history_buckets)
            for k, rows in data["history"].items()
        }
        bank.last_seen = {k: int(v) for k, v in data["last_seen"].items()}
        bank.episodes = {k for k, d in bank.detectors.items() if d.state.in_episode}
        bank.first_bucket, bank.bucket = data["first_bucket"], data["bucket"]
        bank.counts = {k: float(v) for k, v in data["counts"].items()}
        bank.total_count = float(data["total_count"])
        bank._live = data.get("live")
        bank.totals.extend((int(b), float(n)) for b, n in data.get("totals", ()))  # absent in older saved states
        bank.births = Births.from_dict(data.get("births"), int(c.detector.prior_buckets))
        if data.get("unwatched") or data.get("paused"):
            bank.unwatched = Unwatched.from_dict(data.get("unwatched") or {})
        return bank

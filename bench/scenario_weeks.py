"""One simulated week of investor questions drawn from a seed, with its bursts and decoys known.

Everything is drawn from ``numpy.random.default_rng(seed)``: first the :class:`Scenario` (its parameters), then the
questions. A week starts on a Monday 00:00 (naive local time, a random week of 2026) and has:

- 20-80 topics with Zipf popularity (exponent 0.7-1.3) and 10k-60k questions, each topic between 0.1 and 50
  questions per 5 minutes at peak; every topic follows the same week with random amplitude: A-share trading hours
  (9:30-11:30, 13:00-15:00) busiest with peaks at the open and before the 15:00 cut-off, lunch and evenings
  moderate, nights and weekends low, Monday and Friday different, sometimes a holiday (a weekday with weekend
  traffic), and hour-to-hour noise (a gamma multiplier per topic and hour, so counts are overdispersed);
- 5-60 fund codes (Zipf popularity) named by 3-15% of the questions, some topics more than others;
- 0-4 bursts (0 is a quiet week), anywhere in the week with odds following the traffic, Monday morning included:
  ``topic`` (one topic 2-20x, naming no fund), ``fund`` (2-20x of one topic, every extra question naming one fund,
  sometimes a fund never named before) or ``new_topic`` (a topic never seen before, 1-6 questions per 5 minutes),
  10-120 minutes long, with a sharp onset or a linear ramp over the first third. A burst adds at least
  ``MIN_EXTRA`` questions in expectation (else it is drawn again): fewer is no burst anyone could act on;
- 0-2 decoys: every topic 1.5-3x for 30-180 minutes (a market-wide rise: no incident should open).

The questions themselves, and their embeddings, are drawn by :mod:`bench.scenario_questions`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import numpy as np

KINDS = ("topic", "fund", "new_topic")
WEEK_MINUTES = 7 * 24 * 60
FIRST_MONDAY = datetime(2026, 1, 5)
MIN_EXTRA = 10.0  # expected questions a burst adds, at least
FRESH_FUND_SHARE = 0.35  # of fund bursts: a fund no question named before
MAX_TOPICS = 80
NEW_TOPICS = 4  # intents kept back for new topics in corpus mode


@dataclass(frozen=True)
class Burst:
    id: int
    kind: str  # topic | fund | new_topic
    topic: int
    fund: str | None
    factor: float | None  # the topic's multiple at full strength (None for a new topic)
    start: datetime
    end: datetime
    onset: str  # sharp | gradual (a linear ramp over the first third)
    rate: float  # extra questions per 5 minutes at full strength, at the start
    baseline: float  # the topic's expected questions per 5 minutes at the start (0 for a new topic)
    expected: float  # extra questions over the whole burst, in expectation

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


@dataclass(frozen=True)
class Decoy:
    start: datetime
    end: datetime
    factor: float
    onset: str


@dataclass(frozen=True)
class Seasons:
    """Traffic relative to a trading-hours peak of 1, by time of day, and each day's factor."""

    night: float
    morning: float
    open_peak: float
    lunch: float
    cutoff_peak: float
    afternoon: float
    evening: float
    weekend: float
    days: tuple[float, ...]  # Monday .. Sunday
    holiday: int | None  # a weekday with weekend traffic

    def weekday(self) -> np.ndarray:
        anchors = [(0, self.night), (360, self.night), (450, self.morning), (555, self.morning), (565, 0.6),
                   (570, self.open_peak), (600, 1.0), (690, 1.0), (695, self.lunch), (775, self.lunch), (780, 1.0),
                   (870, 1.0), (895, self.cutoff_peak), (900, self.cutoff_peak), (910, self.afternoon),
                   (1080, self.afternoon), (1140, self.evening), (1320, self.evening), (1410, self.night),
                   (1440, self.night)]  # fmt: skip
        return _interpolate(anchors)

    def weekend_day(self) -> np.ndarray:
        low = 0.6 * self.night
        return _interpolate([(0, low), (480, low), (600, self.weekend), (1260, self.weekend), (1380, low), (1440, low)])

    def week(self) -> np.ndarray:
        """Per minute of the week."""
        work, rest = self.weekday(), self.weekend_day()
        days = [(rest if day >= 5 or day == self.holiday else work) * f for day, f in enumerate(self.days)]
        return np.concatenate(days)


@dataclass(frozen=True)
class Scenario:
    seed: int
    start: datetime  # a Monday 00:00
    zipf: float
    peaks: tuple[float, ...]  # per topic: questions per 5 minutes at a trading-hours peak
    seasons: Seasons
    hourly_shape: float  # gamma shape of the per topic and hour multiplier (large: near Poisson)
    funds: tuple[str, ...]  # named by background questions, most popular first
    fund_zipf: float
    fund_naming: tuple[float, ...]  # per topic: probability that a question names a fund
    cosine: float  # synthetic mode: a question's cosine to its topic centroid, on average
    spread: float  # synthetic mode: cosine between topic centroids (more within a family)
    phrasing: float  # synthetic mode: share of a question's off-centroid part that is its phrasing's
    bursts: tuple[Burst, ...]
    decoys: tuple[Decoy, ...]

    @classmethod
    def draw(cls, seed: int, max_topics: int = MAX_TOPICS) -> Scenario:
        return draw_scenario(seed, np.random.default_rng(seed), max_topics)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=WEEK_MINUTES)

    def rates(self) -> np.ndarray:
        """Expected questions per minute (minutes x topics) without noise, decoys or bursts."""
        return self.seasons.week()[:, None] * (np.asarray(self.peaks) / 5.0)[None, :]

    def decoy_factor(self) -> np.ndarray:
        """Per minute of the week: every topic's multiple during a decoy (a market-wide rise), else 1."""
        factor = np.ones(WEEK_MINUTES)
        for d in self.decoys:
            first = int((d.start - self.start).total_seconds() // 60)
            minutes = int((d.end - d.start).total_seconds() // 60)
            factor[first : first + minutes] *= 1.0 + (d.factor - 1.0) * strength(minutes, d.onset)
        return factor

    @property
    def codes(self) -> tuple[str, ...]:
        """Every fund code of the week: the background's, then fresh ones that only a burst names."""
        fresh = sorted({b.fund for b in self.bursts if b.fund} - set(self.funds))
        return (*self.funds, *fresh)

    def fund_popularity(self) -> np.ndarray:
        return zipf_weights(len(self.funds), self.fund_zipf)


@dataclass(frozen=True)
class Event:
    moment: datetime
    text: str
    vector: np.ndarray  # unit float32
    fund_code: str | None
    topic: int
    burst: int | None
    entry: str | None = None  # the FAQ entry a matcher ranks first for it (:mod:`bench.scenario_questions`)


@dataclass(frozen=True)
class Stream:
    scenario: Scenario
    events: list[Event]  # sorted by moment

    @property
    def bursts(self) -> tuple[Burst, ...]:
        return self.scenario.bursts

    @property
    def decoys(self) -> tuple[Decoy, ...]:
        return self.scenario.decoys


# -- drawing the scenario ----------------------------------------------------------------------------------------


def draw_scenario(seed: int, rng: np.random.Generator, max_topics: int) -> Scenario:
    start = FIRST_MONDAY + timedelta(weeks=int(rng.integers(0, 52)))
    topics = min(int(rng.integers(20, 81)), max_topics)
    zipf = float(rng.uniform(0.7, 1.3))
    seasons = _seasons(rng)
    volume = float(np.exp(rng.uniform(np.log(10_000), np.log(60_000))))
    shares = rng.permutation(zipf_weights(topics, zipf))
    peak_total = 5.0 * volume / float(seasons.week().sum())
    peaks = tuple(float(p) for p in np.clip(peak_total * shares, 0.1, 50.0))
    funds = _codes(rng, int(rng.integers(5, 61)))
    bias = rng.lognormal(0.0, 0.5, topics)  # fund naming a little correlated with the topic
    naming = rng.uniform(0.03, 0.15) * bias / float(np.sum(shares * bias))
    partial = Scenario(
        seed=seed,
        start=start,
        zipf=zipf,
        peaks=peaks,
        seasons=seasons,
        hourly_shape=float(np.exp(rng.uniform(np.log(8.0), np.log(100.0)))),
        funds=funds,
        fund_zipf=float(rng.uniform(0.8, 1.4)),
        fund_naming=tuple(float(q) for q in np.clip(naming, 0.0, 0.9)),
        cosine=float(rng.uniform(0.55, 0.9)),
        spread=float(rng.uniform(0.15, 0.35)),
        phrasing=float(rng.uniform(0.5, 0.7)),
        bursts=(),
        decoys=(),
    )
    bursts = _bursts(rng, partial)
    decoys = _decoys(rng, partial)
    return replace(partial, bursts=bursts, decoys=decoys)


def _seasons(rng: np.random.Generator) -> Seasons:
    u = rng.uniform
    days = (u(0.95, 1.3), u(0.9, 1.1), u(0.9, 1.1), u(0.9, 1.1), u(0.75, 1.05), u(0.8, 1.2), u(0.8, 1.2))
    return Seasons(
        night=u(0.01, 0.05),
        morning=u(0.1, 0.35),
        open_peak=u(1.0, 1.4),
        lunch=u(0.3, 0.6),
        cutoff_peak=u(1.0, 1.5),
        afternoon=u(0.3, 0.6),
        evening=u(0.15, 0.45),
        weekend=u(0.04, 0.15),
        days=tuple(float(d) for d in days),
        holiday=int(rng.integers(0, 5)) if rng.random() < 0.25 else None,
    )


def _bursts(rng: np.random.Generator, scenario: Scenario) -> tuple[Burst, ...]:
    rates = scenario.rates()
    odds = rates.sum(axis=1) / rates.sum()
    bursts: list[Burst] = []
    for n in range(int(rng.integers(0, 5))):
        kind = KINDS[int(rng.integers(len(KINDS)))]
        taken = {b.topic for b in bursts}
        for _ in range(200):
            burst = _burst(rng, scenario, rates, odds, n, kind, taken)
            if burst.expected >= MIN_EXTRA:
                break
        bursts.append(burst)
    return tuple(bursts)


def _burst(
    rng: np.random.Generator,
    scenario: Scenario,
    rates: np.ndarray,
    odds: np.ndarray,
    n: int,
    kind: str,
    taken: set[int],
) -> Burst:
    minutes = int(rng.integers(10, 121))
    first = min(int(rng.choice(WEEK_MINUTES, p=odds)), WEEK_MINUTES - minutes)
    onset = "sharp" if rng.random() < 0.5 else "gradual"
    ramp = strength(minutes, onset)
    fund: str | None = None
    if kind == "new_topic":
        topic = len(scenario.peaks) + sum(1 for t in taken if t >= len(scenario.peaks))
        factor, baseline = None, 0.0
        rate = float(rng.uniform(1.0, 6.0))
        extra = rate / 5.0 * ramp
    else:
        topic = int(rng.choice([t for t in range(len(scenario.peaks)) if t not in taken]))
        factor = float(np.exp(rng.uniform(np.log(2.0), np.log(20.0))))
        base = rates[first : first + minutes, topic]
        baseline = float(base[0] * 5.0)
        rate = (factor - 1.0) * baseline
        extra = (factor - 1.0) * ramp * base
        if kind == "fund":
            fund = _codes(rng, 1, avoid=set(scenario.funds))[0] if rng.random() < FRESH_FUND_SHARE else None
            fund = fund or scenario.funds[int(rng.choice(len(scenario.funds), p=scenario.fund_popularity()))]
    start = scenario.start + timedelta(minutes=first)
    end = start + timedelta(minutes=minutes)
    return Burst(n, kind, topic, fund, factor, start, end, onset, rate, baseline, float(extra.sum()))


def _decoys(rng: np.random.Generator, scenario: Scenario) -> tuple[Decoy, ...]:
    week = scenario.seasons.week()
    decoys = []
    for _ in range(int(rng.choice(3, p=[0.5, 0.35, 0.15]))):
        minutes = int(rng.integers(30, 181))
        first = min(int(rng.choice(WEEK_MINUTES, p=week / week.sum())), WEEK_MINUTES - minutes)
        start = scenario.start + timedelta(minutes=first)
        onset = "sharp" if rng.random() < 0.5 else "gradual"
        decoys.append(Decoy(start, start + timedelta(minutes=minutes), float(rng.uniform(1.5, 3.0)), onset))
    return tuple(decoys)


# -- small helpers -----------------------------------------------------------------------------------------------


def zipf_weights(n: int, exponent: float) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1) ** exponent
    return np.asarray(weights / weights.sum())


def strength(minutes: int, onset: str) -> np.ndarray:
    """Strength per minute: 1 throughout (sharp), or rising linearly over the first third (gradual)."""
    if onset == "sharp":
        return np.ones(minutes)
    return np.asarray(np.minimum(1.0, (np.arange(minutes) + 1.0) / max(1.0, minutes / 3.0)))


def _codes(rng: np.random.Generator, n: int, avoid: set[str] | None = None) -> tuple[str, ...]:
    codes: list[str] = []
    taken = set(avoid or ())
    while len(codes) < n:
        code = f"{int(rng.integers(0, 1_000_000)):06d}"
        if code not in taken:
            taken.add(code)
            codes.append(code)
    return tuple(codes)


def _interpolate(anchors: list[tuple[int, float]]) -> np.ndarray:
    minutes, levels = zip(*anchors, strict=True)
    return np.asarray(np.interp(np.arange(1440), minutes, levels))

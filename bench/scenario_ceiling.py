"""How soon a burst of a simulated week could be caught at all: the detector's own test, given the true rates.

The protocol's headline asks that topic and fund bursts of 5x or more be detected within 10 minutes. Many generated
bursts are too small for that under any detector that keeps the product's false-alarm budget: a 5x rise of a topic
asked 0.2 times per 5 minutes adds 2 questions in 10 minutes. This module says which ones could be caught, so that the
report separates what the detector misses from what no detector of this kind could catch.

The *known-rate ceiling* of a burst is the first minute at which a test that knows the week's true expected counts
(:meth:`bench.scenario_weeks.Scenario.rates`, the trading-hours season, the decoys' market-wide rises) flags the burst's
series, with the detector's own rules and more generous ones everywhere else:

- the test: a window's count is significant when its tail probability, under the true mean and the week's true
  overdispersion (the per-topic and per-hour gamma multiplier of :mod:`bench.scenario_questions`, whose realised
  values it does not know: they are noise), is below the detector's per-test budget
  (:meth:`escalation.spikes.series.DetectorConfig.alpha`), and the window holds ``min_count`` questions or more;
- the budget is split over the topics that are live at that minute by their true rate (the detector's
  ``LIVE_LEVEL``, half a question a bucket), never over the fund, entry or cluster series the service adds, so
  each test gets at least the detector's share;
- the windows are the detector's lengths (``windows``, in buckets), ending at every question's arrival
  rather than at bucket boundaries (the detector judges its open bucket on every question too);
- the series: a topic burst's topic (every question of it); a fund burst's topic or its fund (every question naming
  the fund), whichever fires first.

New topics are left out: a known rate of zero would make their first question infinitely significant, and the
headline does not count them. The ceiling is not a bound on every conceivable detector (another test statistic or a
smaller budget per test could do better), but on this design run with perfect knowledge of the normal traffic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from scipy import stats

from bench.scenario_weeks import Burst, Stream
from escalation.spikes.bank import LIVE_LEVEL
from escalation.spikes.series import DetectorConfig

HORIZON_MINUTES = 60  # how far past a burst's start the ceiling is searched


@dataclass(frozen=True)
class Series:
    """One count series around a burst: when its questions came and their true expectation (mean, excess variance)."""

    times: np.ndarray  # sorted: minutes since the week's start at which a question of the series came
    mean: np.ndarray  # expected questions per minute of the week
    hourly: np.ndarray  # (hours, parts): expected questions of each independently multiplied part, per hour


def ceiling_delay(stream: Stream, burst: Burst, config: DetectorConfig | None = None) -> float | None:
    """Minutes from the burst's start until the known-rate test flags it; None if not within the hour or a new topic."""
    if burst.factor is None:
        return None
    config = config or DetectorConfig()
    scenario = stream.scenario
    true_rates = scenario.rates() * scenario.decoy_factor()[:, None]  # per minute and topic
    series = [_topic_series(stream, true_rates, burst.topic)]
    if burst.kind == "fund" and burst.fund:
        series.append(_fund_series(stream, true_rates, burst.fund))
    first = _minutes(stream, burst.start)
    live = live_topics(true_rates, config)
    delays = [d for s in series if (d := first_flag(s, first, live, scenario.hourly_shape, config)) is not None]
    return min(delays) if delays else None


def live_topics(true_rates: np.ndarray, config: DetectorConfig) -> np.ndarray:
    """Per minute: the topics whose true rate reaches the level at which the detector counts a series as live (it
    counts those below it in part, so its budget per series is never larger than the ceiling's)."""
    return np.asarray(np.sum(true_rates * (config.bucket_seconds / 60) >= LIVE_LEVEL, axis=1))


def first_flag(
    series: Series, first: float, live: np.ndarray, shape: float | None, config: DetectorConfig
) -> float | None:
    """Minutes after ``first`` until a window of ``series`` ending at one of its questions is significant, with
    ``live[m]`` series sharing the budget in minute ``m`` and the hourly multiplier's gamma ``shape`` (None: plain
    Poisson counts). Between two questions a window's count stays while its expectation grows, so only a question's
    arrival can make it significant."""
    window = config.bucket_seconds / 60
    cumulative = np.concatenate([[0.0], np.cumsum(series.mean)])
    minutes = np.arange(len(cumulative), dtype=np.float64)
    times = series.times
    for i in range(int(np.searchsorted(times, first)), int(np.searchsorted(times, first + HORIZON_MINUTES))):
        now = float(times[i])
        alpha = config.alpha(max(1, int(live[min(int(now), len(live) - 1)])), len(config.windows))
        for buckets in config.windows:
            start = max(0.0, now - buckets * window)
            count = i + 1 - int(np.searchsorted(times, start, side="right"))  # in (start, now]
            if count < config.min_count:
                continue
            mean = float(np.interp(now, minutes, cumulative) - np.interp(start, minutes, cumulative))
            excess = 0.0 if shape is None else _excess_variance(series, start, now, shape)
            if _tail(count, mean, excess) < alpha:
                return now - first
    return None


def _tail(count: int, mean: float, excess: float) -> float:
    """P(X >= count) for a count with this mean and variance mean + excess (negative binomial; Poisson at no excess)."""
    if mean <= 0.0:
        return 0.0
    if excess <= 1e-12:
        return float(stats.poisson.sf(count - 1, mean))
    size = mean * mean / excess
    return float(stats.nbinom.sf(count - 1, size, size / (size + mean)))


def _excess_variance(series: Series, start: float, end: float, shape: float) -> float:
    """The variance a window's count has beyond Poisson: each part's hourly gamma multiplier (mean 1, variance
    1 / shape) multiplies that part's expected questions in the window's minutes of that hour."""
    total = 0.0
    for hour in range(int(start // 60), int(np.ceil(end / 60))):
        lo, hi = max(start, hour * 60.0), min(end, hour * 60.0 + 60.0)
        share = (hi - lo) / 60.0  # of the hour's expectation, with the season linear within the hour
        total += float(np.sum((series.hourly[hour] * share) ** 2)) / shape
    return total


def _topic_series(stream: Stream, true_rates: np.ndarray, topic: int) -> Series:
    mean = true_rates[:, topic]
    return Series(_times(stream, [e.moment for e in stream.events if e.topic == topic]), mean, _hours(mean[:, None]))


def _fund_series(stream: Stream, true_rates: np.ndarray, fund: str) -> Series:
    scenario = stream.scenario
    if fund in scenario.funds:  # a fresh fund has no normal traffic
        share = scenario.fund_popularity()[scenario.funds.index(fund)]
        rates = true_rates * np.asarray(scenario.fund_naming)[None, :] * share
    else:
        rates = np.zeros_like(true_rates)
    times = _times(stream, [e.moment for e in stream.events if e.fund_code == fund])
    return Series(times, rates.sum(axis=1), _hours(rates))


def _hours(rates: np.ndarray) -> np.ndarray:
    return np.asarray(rates.reshape(-1, 60, rates.shape[1]).sum(axis=1))


def _times(stream: Stream, moments: list[datetime]) -> np.ndarray:
    return np.sort(np.array([_minutes(stream, m) for m in moments], dtype=np.float64))


def _minutes(stream: Stream, moment: datetime) -> float:
    return (moment - stream.scenario.start).total_seconds() / 60.0

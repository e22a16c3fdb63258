"""Weeks like the hidden one of issue 13, drawn many times, and how the spike pipeline does on each.

A week: five weekdays of ten Zipf topics with trading hours (9:30-15:00 busy, 0.15 of that otherwise), 8% of
the questions naming a fund; a 10x burst of one topic whose every burst question names 900001 (Tuesday 10:00),
a new topic at 3 questions a minute naming 161725 (Wednesday 14:00), a 5x burst of one topic with no fund
(Thursday 10:00), each for 30-40 minutes, and an hour on Friday 10:00 when every topic doubles (a market-wide
decoy: no incident should open). Questions are vectors around topic directions, so no model is loaded.

``python -m bench.hidden_weeks --first 0 --draws 80 --workers 2`` prints, per required burst, how many draws caught
it within 10 minutes and the delays' median and worst decile, beside the known-rate ceiling
(:mod:`bench.scenario_ceiling`: when the detector's own test could flag it, knowing the week's true rates); the
stray incidents (outside the bursts' hours, before the decoy) with when each opened, and the draws in which the
decoy fired.
``--history`` warms each pipeline on the quiet week before (:mod:`escalation.spikes.warm_start`) first;
``--history-age WEEKS`` on a week as quiet that ended that many weeks earlier (a log exported a while before going
live: the weeks between were watched by nobody).
``tests/unit/test_fund_surges.py`` asks the same of draws 3-22; these figures are for choosing, like the choose
seeds of :mod:`bench.spike_scenarios`.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

import numpy as np

from bench.scenario_ceiling import Series, first_flag, live_topics
from bench.stats import percentile
from escalation.spikes import warm_start
from escalation.spikes.pipeline import QuestionPipeline
from escalation.spikes.question import Question
from escalation.spikes.series import DetectorConfig

MONDAY = datetime(2026, 3, 2)
DIM = 64
FUND = "900001"
BURSTS = ("fund 10x", "new topic", "plain 5x")
IN_TIME_MINUTES = 10.0
MINUTES = 5 * 24 * 60
T = TypeVar("T")


def _zipf_rates() -> np.ndarray:
    rates = 4.0 / np.arange(1, 11)  # per minute at peak, 4 in all
    rates /= rates.sum() / 4.0
    return rates


RATES = _zipf_rates()
STARTS = tuple(MONDAY + timedelta(days=d, hours=h) for d, h in ((1, 10), (2, 14), (3, 10)))  # the BURSTS'
DECOY = MONDAY + timedelta(days=4, hours=10)
PLAIN_TOPIC = 1


def busy(moment: datetime) -> float:
    """Traffic relative to trading hours: 0.15 outside 9:30-15:00, doubled in the decoy's hour."""
    factor = 1.0 if 9.5 <= moment.hour + moment.minute / 60 < 15 else 0.15
    return factor * (2.0 if DECOY <= moment < DECOY + timedelta(hours=1) else 1.0)


class Topics:
    """Questions around fixed topic directions, each at a chosen cosine to its topic (a weaker model: lower)."""

    def __init__(self, topics: int, cosine: float, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)
        centres = self.rng.normal(size=(topics, DIM))
        self.centres = centres / np.linalg.norm(centres, axis=1, keepdims=True)
        self.cosine = cosine

    def ask(self, topic: int) -> np.ndarray:
        noise = self.rng.normal(size=DIM)
        noise -= (noise @ self.centres[topic]) * self.centres[topic]
        noise /= np.linalg.norm(noise)
        vector = self.cosine * self.centres[topic] + np.sqrt(1 - self.cosine**2) * noise
        return np.asarray(vector, dtype=np.float32)


def opened(pipeline: QuestionPipeline, questions: list[Question]) -> list[tuple[str, datetime]]:
    """(incident id, detected at) of every incident the stream opens, in order."""
    found = []
    for question in questions:
        for incident in pipeline.add(question).opened:
            found.append((incident.id, datetime.fromisoformat(incident.detected_at)))
    return found


def hidden_week_like(draw: int = 3) -> tuple[list[Question], tuple[datetime, ...], datetime]:
    """One draw of the week (see the module docstring): its questions, the three bursts' starts and the decoy's."""
    topics = Topics(12, 0.75, seed=draw)
    rng = np.random.default_rng(draw + 1)
    fund_burst, new_topic, plain_burst = STARTS
    questions = []
    for minute in range(MINUTES):
        moment = MONDAY + timedelta(minutes=minute)
        for topic, rate in enumerate(RATES):
            extra = 9.0 if topic == 2 and fund_burst <= moment < fund_burst + timedelta(minutes=40) else 0.0
            plain = 4.0 if topic == PLAIN_TOPIC and plain_burst <= moment < plain_burst + timedelta(minutes=40) else 0.0
            for _ in range(int(rng.poisson(rate * busy(moment) * (1 + plain)))):
                fund = "000001" if rng.random() < 0.08 else None
                questions.append(Question(moment, f"topic {topic}", topics.ask(topic), fund_code=fund))
            for _ in range(int(rng.poisson(rate * busy(moment) * extra))):
                questions.append(Question(moment, "why did 900001 fall", topics.ask(topic), fund_code=FUND))
        if new_topic <= moment < new_topic + timedelta(minutes=30):
            for _ in range(int(rng.poisson(3.0))):
                questions.append(Question(moment, "new topic", topics.ask(11), fund_code="161725"))
    return sorted(questions, key=lambda q: q.moment), STARTS, DECOY


@dataclass(frozen=True)
class WeekOutcome:
    draw: int
    delays: tuple[float | None, ...]  # minutes from each burst's start to its first incident (None: none in the hour)
    stray: int  # incidents before the decoy outside the bursts' hours
    decoy_fired: bool  # an incident opened during the decoy or after it
    ceilings: tuple[float | None, ...] = ()  # the known-rate ceiling's delay per burst (None: new topic, or none)
    stray_at: tuple[str, ...] = ()  # when each stray incident opened ("Mon 09:33"): where in the week strays come from


def week_before(draw: int, age: int = 0, stream: int = 2) -> list[Question]:
    """The quiet week before the draw's (a warm start's old chat log), or ``age`` weeks before that one: the same
    topics and traffic, fresh draws (another ``stream``: other draws), no burst and no decoy."""
    topics = Topics(12, 0.75, seed=draw)  # the week's topic directions; its questions' noise is drawn afresh
    return weekdays(topics, np.random.default_rng([draw, stream]), MONDAY - timedelta(weeks=1 + age), 5)


def weekdays(
    topics: Topics, rng: np.random.Generator, start: datetime, days: int, *, burst: datetime | None = None
) -> list[Question]:
    """``days`` days of the week's ten Zipf topics on trading hours from ``start``, weekends left out; a 40-minute
    5x rise of topic 1 at ``burst``."""
    questions = []
    for minute in range(days * 24 * 60):
        moment = start + timedelta(minutes=minute)
        if moment.weekday() >= 5:
            continue
        rising = burst is not None and burst <= moment < burst + timedelta(minutes=40)
        for topic, rate in enumerate(RATES):
            factor = 5.0 if rising and topic == 1 else 1.0
            for _ in range(int(rng.poisson(rate * busy(moment) * factor))):
                fund = "000001" if rng.random() < 0.08 else None
                questions.append(Question(moment, f"topic {topic}", topics.ask(topic), fund_code=fund))
    return questions


def outcome(draw: int, history: bool = False, age: int = 0) -> WeekOutcome:
    """The draw's week through a fresh pipeline, or one warmed on the week before (``history``; ``age`` weeks
    older)."""
    questions, bursts, decoy = hidden_week_like(draw)
    pipeline = QuestionPipeline()
    if history:
        warm_start.learn(pipeline, week_before(draw, age))
    found = [detected for _, detected in opened(pipeline, questions)]
    hours = [(start, start + timedelta(hours=1)) for start in bursts]
    delays = tuple(min(((d - s).total_seconds() / 60 for d in found if s <= d <= e), default=None) for s, e in hours)
    strays = [d for d in found if d < decoy and not any(s <= d <= e for s, e in hours)]
    at = tuple(d.strftime("%a %H:%M") for d in strays)
    return WeekOutcome(draw, delays, len(strays), any(d >= decoy for d in found), ceilings(questions), at)


def ceilings(questions: list[Question]) -> tuple[float | None, ...]:
    """When the detector's own test, knowing the week's true rates, could first flag each burst
    (:mod:`bench.scenario_ceiling`): the fund burst in its fund's series (no question named 900001 before), the plain
    burst in its topic's; a new topic has none (a known rate of zero)."""
    config = DetectorConfig()
    busyness = np.array([busy(MONDAY + timedelta(minutes=m)) for m in range(MINUTES)])
    live = live_topics(RATES[None, :] * busyness[:, None], config)

    def times(wanted: list[Question]) -> np.ndarray:
        return np.sort(np.array([(q.moment - MONDAY).total_seconds() / 60 for q in wanted], dtype=np.float64))

    def delay(arrivals: np.ndarray, mean: np.ndarray, start: datetime) -> float | None:
        first = (start - MONDAY).total_seconds() / 60
        return first_flag(Series(arrivals, mean, np.zeros((MINUTES // 60, 1))), first, live, None, config)

    fund = times([q for q in questions if q.fund_code == FUND])
    plain = times([q for q in questions if q.text == f"topic {PLAIN_TOPIC}"])
    fund_burst, _, plain_burst = STARTS
    return delay(fund, np.zeros(MINUTES), fund_burst), None, delay(plain, RATES[PLAIN_TOPIC] * busyness, plain_burst)


def in_time(delay: float | None) -> bool:
    return delay is not None and delay <= IN_TIME_MINUTES


def summarize(outcomes: list[WeekOutcome]) -> dict[str, Any]:
    """Per burst: draws caught in time, and the delay's median and worst decile, a miss counting as an infinite delay
    (None: that share was missed), as :mod:`bench.spike_scenarios` reports its delays."""

    def at(delays: list[float], share: float) -> float | None:
        value = percentile(delays, share) if delays else math.inf
        return None if math.isinf(value) else round(value, 1)

    bursts: dict[str, dict[str, Any]] = {}
    for i, name in enumerate(BURSTS):
        delays = [math.inf if (delay := o.delays[i]) is None else delay for o in outcomes]
        bursts[name] = {
            "in_time": sum(in_time(o.delays[i]) for o in outcomes),
            "median_min": at(delays, 0.5),
            "worst_decile_min": at(delays, 0.9),
            "missed_draws": [o.draw for o in outcomes if not in_time(o.delays[i])],
        }
        ceiling = [math.inf if (delay := o.ceilings[i]) is None else delay for o in outcomes if o.ceilings]
        if ceiling and name != "new topic":
            bursts[name]["ceiling"] = {
                "in_time": sum(c <= IN_TIME_MINUTES for c in ceiling),
                "median_min": at(ceiling, 0.5),
                "worst_decile_min": at(ceiling, 0.9),
            }
    return {
        "draws": len(outcomes),
        "bursts": bursts,
        "stray_incidents": sum(o.stray for o in outcomes),
        "stray_draws": [o.draw for o in outcomes if o.stray],
        "stray_at": [moment for o in outcomes for moment in o.stray_at],
        "decoy_fired_draws": [o.draw for o in outcomes if o.decoy_fired],
    }


def run(draws: range, workers: int = 1, history: bool = False, age: int = 0) -> list[WeekOutcome]:
    return each_draw(partial(outcome, history=history, age=age), draws, workers)


def each_draw(per_draw: Callable[[int], T], draws: range, workers: int = 1) -> list[T]:
    """``per_draw`` of every draw, in order, on ``workers`` processes."""
    if workers <= 1:
        return [per_draw(draw) for draw in draws]
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(per_draw, draws))


def _minutes(value: float | None) -> str:
    return "missed" if value is None else f"{value} min"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.hidden_weeks", description=__doc__.splitlines()[0])
    parser.add_argument("--first", type=int, default=0, help="first draw (default 0)")
    parser.add_argument("--draws", type=int, default=80, help="how many draws (default 80)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print every draw's outcome as JSON lines too")
    parser.add_argument("--history", action="store_true", help="warm each pipeline on the quiet week before first")
    parser.add_argument(
        "--history-age", type=int, default=0, metavar="WEEKS", help="with --history: that week WEEKS weeks older"
    )
    args = parser.parse_args(argv)
    if args.history_age < 0 or (args.history_age and not args.history):
        parser.error("--history-age takes a number of weeks >= 0, and --history")
    outcomes = run(range(args.first, args.first + args.draws), args.workers, args.history, args.history_age)
    if args.json:
        for o in outcomes:
            print(json.dumps(asdict(o)))
    summary = summarize(outcomes)
    print(f"{summary['draws']} draws from {args.first}")
    for name, row in summary["bursts"].items():
        print(
            f"  {name:10s} within {IN_TIME_MINUTES:.0f} min in {row['in_time']} of {summary['draws']}; "
            f"delay median {_minutes(row['median_min'])}, worst decile {_minutes(row['worst_decile_min'])}; "
            f"missed in {row['missed_draws']}"
        )
        if "ceiling" in row:
            known = row["ceiling"]
            print(
                f"  {'':10s} known-rate ceiling: within {IN_TIME_MINUTES:.0f} min in {known['in_time']}; delay median "
                f"{_minutes(known['median_min'])}, worst decile {_minutes(known['worst_decile_min'])}"
            )
    at = f" at {', '.join(summary['stray_at'])}" if summary["stray_at"] else ""
    print(f"  stray incidents {summary['stray_incidents']} (draws {summary['stray_draws']}){at}")
    print(f"  decoy fired in {len(summary['decoy_fired_draws'])} draws {summary['decoy_fired_draws']}")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())

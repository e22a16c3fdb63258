"""Which part of the spike test delays the hidden-like weeks' plain 5x burst: each question of the burst's first
minutes judged again with one part of the test made ideal.

The pipeline runs the week as served. At every question of the burst's topic in its first ``WATCH_MINUTES``, the
question's series is judged again, on a copy of its detector, as the served test would judge it (*served*) and with
one part replaced by its ideal: the learned dispersion at 0 (*no dispersion*), the share-of-traffic scale at 1 (*no
share scale*), the expectation at the topic's true rate with no uncertainty (*true expectation*), and all three at
once (*all ideal*). Each variant's delay is the first question at which it would alarm. Episodes and cool-downs are
ignored in the copies, so a variant may fire after the served test already has.

``python -m bench.burst_parts --first 0 --draws 80 --workers 2`` prints how many draws each variant catches within
10 minutes (about 90 seconds on 2 cores). On 2026-12-06 it said that the lag at the open helps and the dispersion that
the lag teaches hurts (README, "Weeks like the hidden one"). Like the draws of :mod:`bench.hidden_weeks`, these are
for choosing, not for reporting.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from datetime import timedelta

from bench.hidden_weeks import IN_TIME_MINUTES, PLAIN_TOPIC, RATES, STARTS, each_draw, hidden_week_like, in_time
from escalation.spikes.bank import DetectorBank
from escalation.spikes.detector import SpikeDetector
from escalation.spikes.pipeline import QuestionPipeline
from escalation.spikes.series import DetectorConfig, bucket_of

IDEALS = {
    "served": frozenset(),
    "no dispersion": frozenset({"dispersion"}),
    "no share scale": frozenset({"scale"}),
    "true expectation": frozenset({"expectation"}),
    "all ideal": frozenset({"dispersion", "scale", "expectation"}),
}
PARTS = tuple(IDEALS)
WATCH_MINUTES = 15
# A trading-hours bucket's questions of the burst's topic (RATES are per minute).
TRUE_RATE = float(RATES[PLAIN_TOPIC]) * DetectorConfig().bucket_seconds / 60


class KnownRate(SpikeDetector):
    """A series that knows its true rate exactly: no expectation to learn, none to be unsure of."""

    def expected(self, bucket: int) -> float:
        return TRUE_RATE

    def uncertainty(self, bucket: int) -> float:
        return 0.0


def alarms(bank: DetectorBank, key: str, bucket: int, ideal: frozenset[str]) -> bool:
    """Would the series ``key`` alarm on its count so far in ``bucket``, with the ``ideal`` parts made ideal?"""
    served = bank.detectors[key]
    state = copy.deepcopy(served.state)
    state.in_episode, state.last_alarm = False, None  # the served test may have fired: judge as if it had not
    if "dispersion" in ideal:
        state.dispersion_num = 0.0
    if "expectation" in ideal:
        state.recent = [[past, past_count, TRUE_RATE] for past, past_count, _ in state.recent]
    detector = (KnownRate if "expectation" in ideal else SpikeDetector)(served.config, state)
    count = bank.counts.get(key, 0.0)
    scale = 1.0 if "scale" in ideal else bank._scale(bucket, count, served)
    verdict = detector.check(
        bucket, count, scale=scale, live_series=bank.live, scale_variance=bank._scale_variance(count)
    )
    return verdict.alarm and bank._stands_out(bucket, verdict, detector=detector)  # the share test, as served


def first_catches(draw: int) -> dict[str, float | None]:
    """Minutes from the plain burst's start to the first question at which each variant alarms (None: not within
    ``WATCH_MINUTES``)."""
    questions, _, _ = hidden_week_like(draw)
    start = STARTS[2]
    pipeline = QuestionPipeline()
    first: dict[str, float | None] = dict.fromkeys(PARTS)
    for question in questions:
        if question.moment >= start + timedelta(minutes=WATCH_MINUTES):
            break
        cluster = pipeline.add(question).cluster_id
        if question.moment < start or question.text != f"topic {PLAIN_TOPIC}":
            continue
        series = pipeline.clusterer.topic_of(cluster)  # a satellite cluster counts in its topic's series
        bucket = bucket_of(question.moment)
        for part in PARTS:
            if first[part] is None and alarms(pipeline.bank, series, bucket, IDEALS[part]):
                first[part] = (question.moment - start).total_seconds() / 60
    return first


def summarize(draws: range, catches: list[dict[str, float | None]]) -> dict[str, dict[str, object]]:
    """Per variant: draws caught within 10 minutes, and the draws that were not."""
    summary: dict[str, dict[str, object]] = {}
    for part in PARTS:
        late = [draw for draw, row in zip(draws, catches, strict=True) if not in_time(row[part])]
        summary[part] = {"in_time": len(catches) - len(late), "missed_draws": late}
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.burst_parts", description=__doc__.splitlines()[0])
    parser.add_argument("--first", type=int, default=0, help="first draw (default 0)")
    parser.add_argument("--draws", type=int, default=80, help="how many draws (default 80)")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    draws = range(args.first, args.first + args.draws)
    summary = summarize(draws, each_draw(first_catches, draws, args.workers))
    print(f"plain 5x burst, {len(draws)} draws from {args.first}: caught within {IN_TIME_MINUTES:.0f} min")
    for part, row in summary.items():
        print(f"  {part:16s} {row['in_time']} of {len(draws)}; missed in {row['missed_draws']}")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())

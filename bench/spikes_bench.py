"""``python -m bench spikes``: spike detection on NAB realTweets, a synthetic NAV swing, and pipeline throughput.

- NAB: the service's detector with its default settings on the three realTweets series in ``../shared/data/nab/``,
  scored by :mod:`bench.nab` (normalized standard and reward-low-FP scores).
- Clustering: BANKING77 questions streamed through the online clusterer at a few thresholds: purity (share of
  questions in a cluster whose majority intent is theirs) and cohesion (share of an intent in its largest cluster).
- NAV swing: a week of traffic built from BANKING77 texts with trading-hour seasonality and Poisson noise (intents
  stand in for topics, five fund codes on a third of the questions), three steady topics (one intent for one fund
  each) and a 30-minute burst of each, at 3x, 5x and 10x its baseline, on three weekdays: delay from burst start to
  incident, and incidents that are not a burst.
- Throughput and memory: questions/s through the pipeline with embeddings given, and the size of its state.
"""

from __future__ import annotations

import csv
import json
import time
import tracemalloc
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from bench import nab
from bench.datasets import DATA
from escalation.spikes.clustering import ClusterConfig, OnlineClusterer
from escalation.spikes.detector import SpikeDetector
from escalation.spikes.pipeline import QuestionPipeline
from escalation.spikes.question import Question
from escalation.spikes.replay import alarming_rows
from escalation.spikes.series import bucket_of

MONDAY = datetime(2026, 3, 2)
FUNDS = ["110022", "000001", "161725", "519674", "005827"]
BURSTS = [(3.0, MONDAY + timedelta(days=1, hours=10)), (5.0, MONDAY + timedelta(days=2, hours=13, minutes=30)),
          (10.0, MONDAY + timedelta(days=3, hours=10, minutes=15))]  # fmt: skip
BURST_MINUTES = 30
PEAK_PER_BUCKET = 120.0  # all questions per 5 minutes in trading hours
TOPIC_PEAK_PER_BUCKET = 2.0  # the bursting topic's own baseline in trading hours (a few % of the traffic)


@dataclass(frozen=True)
class Topic:
    intent: str
    fund: str
    factor: float
    start: datetime


@dataclass(frozen=True)
class Corpus:
    texts: list[str]
    intents: list[str]
    vectors: np.ndarray
    ranked: list[list[str]] | None = None  # per text, the entries a real matcher ranks best, best first


def run(out: Path) -> dict[str, Any]:
    corpus = banking77(out)
    return {
        "nab": nab_scores(),
        "clustering": clustering_quality(corpus),
        "nav_swing": nav_swing(corpus),
        "throughput": throughput(corpus),
    }


def nab_scores() -> dict[str, Any]:
    result: dict[str, Any] = {}
    totals: dict[str, list[nab.FileScore]] = defaultdict(list)
    for series in nab.load_series():
        buckets = [bucket_of(datetime.fromisoformat(t)) for t in series.timestamps]
        alarms = alarming_rows(buckets, series.values, SpikeDetector())  # as replay-counts decides
        row: dict[str, Any] = {"alarms": len(alarms)}
        for profile in ("standard", "reward_low_FP_rate"):
            score = nab.score_file(series.timestamps, alarms, series.windows, nab.PROFILES[profile])
            totals[profile].append(score)
            row[profile] = round(nab.normalized([score]), 1)
            row["windows_caught"] = f"{score.true_positives}/{score.true_positives + score.missed}"
            row["false_positives"] = score.false_positives
        result[series.name] = row
    result["overall"] = {profile: round(nab.normalized(scores), 1) for profile, scores in totals.items()}
    return result


def banking77(out: Path) -> Corpus:
    """BANKING77 texts with their embeddings (computed once per model, cached in ``out``)."""
    with (DATA / "banking77_train.csv").open(newline="", encoding="utf-8") as handle:
        rows = [(r["text"].strip(), r["category"]) for r in csv.DictReader(handle)]
    texts = [t for t, _ in rows]
    return Corpus(texts, [i for _, i in rows], embedded(texts, "banking77", out))


def embedded(texts: list[str], name: str, out: Path) -> np.ndarray:
    """The configured model's embeddings of ``texts``, computed once and cached in ``out`` as ``name-<model>.npy``."""
    from funddesk import settings
    from knowledge_base.embedder import configured_embedder

    embedder = configured_embedder(settings.load())
    cache = out / f"{name}-{embedder.name}.npy"
    if cache.is_file():
        return np.asarray(np.load(cache))
    vectors = embedder.encode(texts)
    out.mkdir(parents=True, exist_ok=True)
    np.save(cache, vectors)
    return vectors


def clustering_quality(corpus: Corpus, thresholds: tuple[float, ...] = (0.6, 0.66, 0.72, 0.78, 0.84)) -> dict[str, Any]:
    order = np.random.default_rng(0).permutation(len(corpus.texts))
    result = {}
    for threshold in thresholds:
        clusterer = OnlineClusterer(ClusterConfig(threshold=threshold))
        members: dict[str, Counter[str]] = defaultdict(Counter)
        for i in order:
            cluster = clusterer.assign(corpus.vectors[i], corpus.texts[i], None, MONDAY).cluster_id
            members[clusterer.resolve(cluster)][corpus.intents[i]] += 1
        for merge in clusterer.merges:  # fold absorbed clusters' tallies into their survivors
            members[clusterer.resolve(merge.survivor)] += members.pop(merge.absorbed, Counter())
        purity = sum(c.most_common(1)[0][1] for c in members.values()) / len(order)
        largest: dict[str, int] = defaultdict(int)
        for tally in members.values():
            for intent, n in tally.items():
                largest[intent] = max(largest[intent], n)
        cohesion = sum(largest.values()) / len(order)
        result[str(threshold)] = {"clusters": len(members), "purity": round(purity, 3), "cohesion": round(cohesion, 3)}
    return result


def rate(moment: datetime) -> float:
    """Questions per 5-minute bucket: trading hours on weekdays peak, quiet nights and weekends."""
    minutes = moment.hour * 60 + moment.minute
    if moment.weekday() >= 5:
        return PEAK_PER_BUCKET * (0.08 if 9 * 60 <= minutes < 21 * 60 else 0.01)
    if 9 * 60 + 30 <= minutes < 15 * 60:
        return PEAK_PER_BUCKET
    if 8 * 60 <= minutes < 9 * 60 + 30 or 15 * 60 <= minutes < 22 * 60:
        return PEAK_PER_BUCKET * 0.3
    return PEAK_PER_BUCKET * 0.02


def traffic(corpus: Corpus, days: int, seed: int = 0) -> tuple[list[tuple[datetime, int, str | None]], list[Topic]]:
    """(moment, text index, fund) for ``days`` from Monday: background questions, three steady topics (an intent
    for one fund each, ``TOPIC_PEAK_PER_BUCKET`` at peak), and each topic's burst (``BURSTS``, in order)."""
    rng = np.random.default_rng(seed)
    by_intent: dict[str, list[int]] = defaultdict(list)
    for i, intent in enumerate(corpus.intents):
        by_intent[intent].append(i)
    intents = sorted(by_intent)
    popularity = 1.0 / np.arange(1, len(intents) + 1) ** 0.8
    popularity /= popularity.sum()
    chosen = rng.choice(np.arange(5, 40), size=len(BURSTS), replace=False)
    topics = [
        Topic(intents[int(i)], FUNDS[n], factor, start)
        for n, (i, (factor, start)) in enumerate(zip(chosen, BURSTS, strict=True))
    ]
    share = TOPIC_PEAK_PER_BUCKET / PEAK_PER_BUCKET
    events: list[tuple[datetime, int, str | None]] = []
    for bucket in range(days * 288):
        start = MONDAY + timedelta(minutes=5 * bucket)
        for _ in range(int(rng.poisson(rate(start)))):
            intent = intents[int(rng.choice(len(intents), p=popularity))]
            fund = FUNDS[int(rng.integers(len(FUNDS)))] if rng.random() < 1 / 3 else None
            events.append((start + timedelta(seconds=float(rng.uniform(0, 300))), _pick(rng, by_intent[intent]), fund))
        for topic in topics:  # each topic's own seasonal baseline
            for _ in range(int(rng.poisson(share * rate(start)))):
                moment = start + timedelta(seconds=float(rng.uniform(0, 300)))
                events.append((moment, _pick(rng, by_intent[topic.intent]), topic.fund))
    for topic in topics:
        extra = (topic.factor - 1.0) * share * rate(topic.start) * BURST_MINUTES / 5
        for _ in range(int(rng.poisson(extra))):
            moment = topic.start + timedelta(seconds=float(rng.uniform(0, 60 * BURST_MINUTES)))
            events.append((moment, _pick(rng, by_intent[topic.intent]), topic.fund))
    events.sort(key=lambda e: e[0])
    return events, topics


def nav_swing(corpus: Corpus, days: int = 7) -> dict[str, Any]:
    events, topics = traffic(corpus, days)
    pipeline = QuestionPipeline()
    tallies: dict[str, Counter[tuple[str, str | None]]] = defaultdict(Counter)
    opened = []
    for moment, index, fund in events:
        added = pipeline.add(Question(moment, corpus.texts[index], corpus.vectors[index], fund_code=fund))
        tallies[added.cluster_id][(corpus.intents[index], fund)] += 1
        opened += added.opened
    delays: dict[str, float | None] = {f"{t.factor:g}x": None for t in topics}
    false = []
    for incident in opened:
        detected = datetime.fromisoformat(incident.detected_at)
        major = tallies[incident.cluster_id].most_common(1)[0][0]
        topic = next((t for t in topics if (t.intent, t.fund) == major), None)
        in_burst = topic is not None and topic.start <= detected <= topic.start + timedelta(minutes=BURST_MINUTES)
        if topic is not None and in_burst:
            key = f"{topic.factor:g}x"
            minutes = round((detected - topic.start).total_seconds() / 60, 1)
            delays[key] = minutes if delays[key] is None else min(minutes, delays[key] or minutes)
        else:
            false.append({"detected_at": incident.detected_at, "label": incident.label, "count": incident.count})
    return {
        "days": days,
        "questions": len(events),
        "topics": [{"intent": t.intent, "fund": t.fund, "burst": f"{t.factor:g}x", "at": str(t.start)} for t in topics],
        "topic_baseline_per_bucket": TOPIC_PEAK_PER_BUCKET,
        "detection_minutes": delays,
        "incidents": len(opened),
        "false_incidents": len(false),
        "false_examples": false[:5],
        "clusters": pipeline.clusterer.next_id - 1,
    }


def throughput(corpus: Corpus, questions: int = 100_000) -> dict[str, Any]:
    """Questions/s with embeddings given over a month of traffic, and the state's size as it grows."""
    rng = np.random.default_rng(1)
    seconds = 30 * 86_400
    moments = np.sort(rng.uniform(0, seconds, questions))
    picks = rng.integers(len(corpus.texts), size=questions)
    funds = rng.integers(-2 * len(FUNDS), len(FUNDS), size=questions)
    pipeline = QuestionPipeline()
    checkpoints = {questions // 4, questions // 2, 3 * questions // 4, questions - 1}
    clusters = []
    started = time.perf_counter()
    busy = 0.0
    for n, (offset, index, fund) in enumerate(zip(moments, picks, funds, strict=True)):
        moment = MONDAY + timedelta(seconds=float(offset))
        code = FUNDS[fund] if fund >= 0 else None
        tick = time.perf_counter()
        pipeline.add(Question(moment, corpus.texts[index], corpus.vectors[index], fund_code=code))
        busy += time.perf_counter() - tick
        if n in checkpoints:
            clusters.append((n + 1, len(pipeline.clusterer.clusters)))
    wall = time.perf_counter() - started
    state = json.dumps(pipeline.to_dict())
    tracemalloc.start()
    copy = QuestionPipeline.from_dict(json.loads(state))  # the state rebuilt alone: its memory, measured
    memory_mb = tracemalloc.get_traced_memory()[0] / 1e6
    tracemalloc.stop()
    del copy
    return {
        "questions": questions,
        "per_second": round(questions / busy),
        "wall_seconds": round(wall, 1),
        "clusters_at": clusters,
        "state_json_mb": round(len(state) / 1e6, 1),
        "state_memory_mb": round(memory_mb, 1),
    }


def _pick(rng: np.random.Generator, options: list[int]) -> int:
    return options[int(rng.integers(len(options)))]


if __name__ == "__main__":
    print(json.dumps(run(Path(__file__).resolve().parent / "out"), indent=1))

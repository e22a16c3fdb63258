"""Scoring one simulated week: which burst, if any, each incident the pipeline opened is about.

The rules are the protocol's (:mod:`bench.spike_scenarios`): an incident detected between a burst's start and its
end + ``LATE`` is that burst's when it names the burst's fund (a fund burst), or when in the burst's window the
questions of its clusters come mostly from the burst's story; any other incident is false.
"""

from __future__ import annotations

import bisect
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cache
from typing import Protocol

from bench.scenario_ceiling import ceiling_delay
from bench.scenario_weeks import Burst, Event, Stream
from escalation.spikes.pipeline import QuestionPipeline
from escalation.spikes.question import Question

LATE = timedelta(minutes=30)  # an incident this long after a burst's end still counts for it
PEAK_WINDOW = timedelta(minutes=15)  # what a missed burst's description counts in (its "at most N in 15 min")


class IncidentLike(Protocol):
    @property
    def cluster_id(self) -> str: ...
    @property
    def fund_code(self) -> str | None: ...
    @property
    def detected_at(self) -> str: ...
    @property
    def clusters(self) -> Sequence[str]: ...
    @property
    def count(self) -> int: ...


class AddedLike(Protocol):
    @property
    def cluster_id(self) -> str: ...
    @property
    def opened(self) -> Sequence[IncidentLike]: ...


class PipelineLike(Protocol):
    def add(self, question: Question) -> AddedLike: ...
    def tick(self, now: datetime) -> Sequence[IncidentLike]: ...


@dataclass(frozen=True)
class BurstOutcome:
    burst: Burst
    detected: bool
    delay: float | None  # minutes from the burst's start to its first incident
    incidents: int  # incidents attributed to it
    clusters: int  # clusters its own questions landed in
    largest_share: float  # share of its own questions in the largest of them
    peak: int  # the most of its own questions one cluster got within 15 minutes (a detector needs min_count)
    trigger: str  # what opened its first incident: "topic" or "fund" (the pipeline's evidence), else ""
    first_ten: int = 0  # its own questions in its first 10 minutes, over all clusters
    ceiling: float | None = None  # minutes until the known-rate test flags it (:mod:`bench.scenario_ceiling`)


@dataclass(frozen=True)
class FalseIncident:
    detected_at: str
    cluster_id: str
    fund_code: str | None
    count: int
    in_decoy: bool
    label: str
    trigger: str


@dataclass(frozen=True)
class ScenarioResult:
    seed: int
    questions: int
    seconds: float  # inside the pipeline
    incidents: int
    bursts: list[BurstOutcome]
    false: list[FalseIncident]
    decoys: int


def evaluate(
    stream: Stream, make_pipeline: Callable[[], PipelineLike] = QuestionPipeline, *, entries: bool = True
) -> ScenarioResult:
    """Run a fresh pipeline over the week (a tick at its end) and attribute its incidents to the bursts.

    Each question carries the FAQ entry its matcher ranked first, as in the service, unless ``entries`` is False
    (as ``replay-questions`` runs without ``--knowledge-base``)."""
    pipeline = make_pipeline()
    clusters: list[str] = []
    opened: list[IncidentLike] = []
    started = time.perf_counter()
    for event in stream.events:
        entry = event.entry if entries else None
        added = pipeline.add(
            Question(event.moment, event.text, event.vector, fund_code=event.fund_code, entry_id=entry)
        )
        clusters.append(added.cluster_id)
        opened += added.opened
    opened += pipeline.tick(stream.scenario.end)
    seconds = time.perf_counter() - started
    resolve = _resolver(pipeline)
    clusters = [resolve(c) for c in clusters]
    moments = [event.moment for event in stream.events]
    matches = [_match(incident, stream, clusters, moments, resolve) for incident in opened]
    outcomes = [
        replace(_outcome(burst, opened, matches, stream.events, clusters), ceiling=ceiling_delay(stream, burst))
        for burst in stream.bursts
    ]
    false = [_false(incident, stream) for incident, burst in zip(opened, matches, strict=True) if burst is None]
    return ScenarioResult(
        stream.scenario.seed, len(stream.events), seconds, len(opened), outcomes, false, len(stream.decoys)
    )


def _resolver(pipeline: object) -> Callable[[str], str]:
    """The id a cluster lives on under after merges (identity for a pipeline without a clusterer)."""
    resolve = getattr(getattr(pipeline, "clusterer", None), "resolve", None)
    return cache(resolve) if callable(resolve) else (lambda cluster_id: cluster_id)


def _story(event: Event, burst: Burst) -> bool:
    """Is this question part of what the burst is about (its own, or an ordinary one of its topic and fund)?"""
    if event.burst == burst.id:
        return True
    return event.topic == burst.topic and (burst.kind != "fund" or event.fund_code == burst.fund)


def _match(
    incident: IncidentLike,
    stream: Stream,
    clusters: list[str],
    moments: list[datetime],
    resolve: Callable[[str], str],
) -> Burst | None:
    detected = datetime.fromisoformat(incident.detected_at)
    own = {resolve(c) for c in [incident.cluster_id, *incident.clusters]}
    entry = _entry(incident)  # an entry's surge is about the questions matched to it, whatever their cluster
    best: tuple[float, Burst | None] = (0.0, None)
    for burst in stream.bursts:
        if not burst.start <= detected <= burst.end + LATE:
            continue
        if burst.kind == "fund" and incident.fund_code == burst.fund:
            return burst
        lo, hi = bisect.bisect_left(moments, burst.start), bisect.bisect_right(moments, burst.end + LATE)
        tally: Counter[object] = Counter(
            "story" if _story(e, burst) else (e.topic, e.fund_code)
            for e, c in zip(stream.events[lo:hi], clusters[lo:hi], strict=True)
            if (e.entry == entry if entry else c in own)
        )
        if not tally["story"] or tally["story"] < max(tally.values()):
            continue
        share = tally["story"] / sum(tally.values())
        if share > best[0]:
            best = (share, burst)
    return best[1]


def _outcome(
    burst: Burst,
    opened: list[IncidentLike],
    matches: list[Burst | None],
    events: list[Event],
    clusters: list[str],
) -> BurstOutcome:
    mine = sorted(
        (
            (datetime.fromisoformat(i.detected_at), _trigger(i))
            for i, m in zip(opened, matches, strict=True)
            if m is burst
        ),
        key=lambda pair: pair[0],
    )
    landed: dict[str, list[datetime]] = {}
    for event, cluster in zip(events, clusters, strict=True):
        if event.burst == burst.id:
            landed.setdefault(cluster, []).append(event.moment)
    size = sum(len(moments) for moments in landed.values())
    delay = round((mine[0][0] - burst.start).total_seconds() / 60, 1) if mine else None
    largest = round(max(map(len, landed.values())) / size, 3) if size else 0.0
    peak = max((_densest(moments, PEAK_WINDOW) for moments in landed.values()), default=0)
    trigger = mine[0][1] if mine else ""
    ten = burst.start + timedelta(minutes=10)
    first_ten = sum(moment < ten for moments in landed.values() for moment in moments)
    return BurstOutcome(burst, bool(mine), delay, len(mine), len(landed), largest, peak, trigger, first_ten)


def _densest(moments: list[datetime], window: timedelta) -> int:
    """The most of these (sorted) moments within any ``window``."""
    best, first = 0, 0
    for last, moment in enumerate(moments):
        while moment - moments[first] >= window:
            first += 1
        best = max(best, last - first + 1)
    return best


def _trigger(incident: IncidentLike) -> str:
    return str(getattr(getattr(incident, "evidence", None), "trigger", ""))


def _entry(incident: IncidentLike) -> str | None:
    entry = getattr(getattr(incident, "evidence", None), "entry", None)
    return str(entry) if entry else None


def _false(incident: IncidentLike, stream: Stream) -> FalseIncident:
    detected = datetime.fromisoformat(incident.detected_at)
    in_decoy = any(d.start <= detected <= d.end + LATE for d in stream.decoys)
    label = str(getattr(incident, "label", ""))
    count = int(incident.count)
    return FalseIncident(
        incident.detected_at, incident.cluster_id, incident.fund_code, count, in_decoy, label, _trigger(incident)
    )

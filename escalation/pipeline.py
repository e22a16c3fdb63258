"""The question stream to incidents: cluster each question, count it, detect spikes, open one incident per spike.

Pure and in memory (the service adds the database log and the console around it). Every question goes through
:meth:`QuestionPipeline.add` with the embedding the matcher already computed. An alarm opens an incident unless one
is already open for that cluster or for a near-identical cluster of the same fund (a burst of paraphrases may found
two clusters at once): then the alarm, and every later question of the cluster, attaches to the open incident.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

import numpy as np

from escalation.bank import BankConfig, DetectorBank, SpikeAlarm
from escalation.clustering import ClusterConfig, OnlineClusterer
from funddesk.masking import mask


@dataclass(frozen=True)
class Question:
    moment: datetime
    text: str
    embedding: np.ndarray
    lang: str = "en"
    fund_code: str | None = None
    entry_id: str | None = None
    score: float | None = None
    decision: str | None = None
    conversation_id: str | None = None


@dataclass(frozen=True)
class PipelineConfig:
    clusters: ClusterConfig = field(default_factory=ClusterConfig)
    bank: BankConfig = field(default_factory=BankConfig)
    link_threshold: float = 0.6  # an alarming cluster this close to one with an open incident joins that incident
    samples: int = 10
    conversations: int = 200
    chart_buckets: int = 288


@dataclass
class Incident:
    id: str
    cluster_id: str
    label: str
    fund_code: str | None
    detected_at: str
    started_at: str
    count: int  # questions of the cluster since the spike's first bucket
    baseline: float  # expected questions per bucket when it fired
    samples: list[str] = field(default_factory=list)
    series: list[tuple[str, float, float]] = field(default_factory=list)  # (bucket start, count, expected)
    entries: dict[str, int] = field(default_factory=dict)  # matched FAQ entries (their team owns the incident)
    conversations: list[str] = field(default_factory=list)
    clusters: list[str] = field(default_factory=list)  # every cluster attached (linked or merged)
    open: bool = True


@dataclass(frozen=True)
class Added:
    """Where a question went: its cluster (log it with the question), incidents it opened, and the open incident
    it belongs to (the bot gives a holding reply instead of a handoff while that one is unanswered)."""

    cluster_id: str
    opened: list[Incident]
    incident: Incident | None


class QuestionPipeline:
    def __init__(self, config: PipelineConfig | None = None) -> None:
        self.config = config or PipelineConfig()
        self.clusterer = OnlineClusterer(self.config.clusters)
        self.bank = DetectorBank(self.config.bank)
        self.incidents: dict[str, Incident] = {}
        self.open_by_cluster: dict[str, str] = {}
        self.questions = 0
        self.next_incident = 1

    def add(self, question: Question) -> Added:
        """Take one question: cluster it, count it, and open incidents for spikes (its own or of closed buckets)."""
        self.questions += 1
        # Cluster labels and incident samples are shown, stored and sent: never a personal number
        # in them, whoever calls (the service, a replay, the bench).
        masked = mask(question.text)
        if masked.changed:
            question = replace(question, text=masked.text)
        assignment = self.clusterer.assign(question.embedding, question.text, question.fund_code, question.moment)
        if assignment.merged is not None:
            self._merged(assignment.merged, assignment.cluster_id)
        before = self.bank.bucket
        alarms = self.bank.add(question.moment, assignment.cluster_id)
        if self.bank.bucket != before:
            self._refresh_charts()
        opened = [incident for alarm in alarms if (incident := self._on_alarm(alarm)) is not None]
        # An alarm on the still-open bucket already counted this question.
        counted = any(a.key == assignment.cluster_id and a.bucket == self.bank.bucket for a in alarms)
        self._attach(assignment.cluster_id, question, count=not counted)
        return Added(assignment.cluster_id, opened, self.incident_for(assignment.cluster_id))

    def tick(self, now: datetime) -> list[Incident]:
        """Close buckets that ended before ``now`` when no question came to do it."""
        alarms = self.bank.advance(now)
        self._refresh_charts()
        return [incident for alarm in alarms if (incident := self._on_alarm(alarm)) is not None]

    def close(self, incident_id: str) -> None:
        incident = self.incidents[incident_id]
        incident.open = False
        for cluster_id in incident.clusters:
            self.open_by_cluster.pop(cluster_id, None)

    def incident_for(self, cluster_id: str) -> Incident | None:
        incident_id = self.open_by_cluster.get(self.clusterer.resolve(cluster_id))
        return self.incidents[incident_id] if incident_id else None

    def _on_alarm(self, alarm: SpikeAlarm) -> Incident | None:
        cluster_id = self.clusterer.resolve(alarm.key)
        cluster = self.clusterer.clusters.get(cluster_id)
        if cluster is None:
            return None
        existing = self.incident_for(cluster_id) or self._linked(cluster_id)
        if existing is not None:
            self._join(existing, cluster_id)
            existing.series = self._series(existing)
            return None
        incident = Incident(
            id=f"i{self.next_incident}",
            cluster_id=cluster_id,
            label=cluster.label,
            fund_code=cluster.fund_code,
            detected_at=alarm.detected_at.isoformat(sep=" "),
            started_at=alarm.bucket_start.isoformat(sep=" "),
            count=int(alarm.count),
            baseline=round(alarm.expected, 3),
            samples=list(dict.fromkeys(cluster.samples))[: self.config.samples],
            clusters=[cluster_id],
        )
        self.next_incident += 1
        incident.series = self._series(incident)
        self.incidents[incident.id] = incident
        self.open_by_cluster[cluster_id] = incident.id
        return incident

    def _linked(self, cluster_id: str) -> Incident | None:
        fund = self.clusterer.clusters[cluster_id].fund_code
        best: tuple[float, Incident | None] = (self.config.link_threshold, None)
        for other_id, incident_id in self.open_by_cluster.items():
            other = self.clusterer.clusters.get(other_id)
            if other is None or other.fund_code != fund or other_id == cluster_id:
                continue
            similarity = self.clusterer.similarity(cluster_id, other_id)
            if similarity >= best[0]:
                best = (similarity, self.incidents[incident_id])
        return best[1]

    def _join(self, incident: Incident, cluster_id: str) -> None:
        if cluster_id not in incident.clusters:
            incident.clusters.append(cluster_id)
            incident.count += int(self.bank.counts.get(cluster_id, 0.0))
        self.open_by_cluster[cluster_id] = incident.id

    def _attach(self, cluster_id: str, question: Question, *, count: bool = True) -> None:
        incident = self.incident_for(cluster_id)
        if incident is None:
            return
        incident.count += int(count)
        if len(incident.samples) < self.config.samples and question.text not in incident.samples:
            incident.samples.append(question.text)
        if question.entry_id:
            incident.entries[question.entry_id] = incident.entries.get(question.entry_id, 0) + 1
        conversation = question.conversation_id
        if conversation and conversation not in incident.conversations:
            incident.conversations.append(conversation)
            del incident.conversations[self.config.conversations :]

    def _merged(self, absorbed: str, survivor: str) -> None:
        self.bank.rename(absorbed, survivor)
        incident_id = self.open_by_cluster.pop(absorbed, None)
        if incident_id is not None and survivor not in self.open_by_cluster:
            self._join(self.incidents[incident_id], survivor)

    def chart(self, incident_id: str) -> list[tuple[str, float, float]]:
        """The incident's cluster counts against baseline per bucket, up to the last closed bucket."""
        incident = self.incidents[incident_id]
        incident.series = self._series(incident)
        return incident.series

    def _refresh_charts(self) -> None:
        for incident_id in set(self.open_by_cluster.values()):
            incident = self.incidents[incident_id]
            incident.series = self._series(incident)

    def _series(self, incident: Incident) -> list[tuple[str, float, float]]:
        """The incident's chart so far extended with the bank's recent buckets (bounded to a day of buckets)."""
        rows = {start: (start, count, expected) for start, count, expected in incident.series}
        for start, count, expected in self.bank.series(incident.cluster_id):
            key = start.isoformat(sep=" ")
            rows[key] = (key, count, round(expected, 3))
        return sorted(rows.values())[-self.config.chart_buckets :]

    def team_votes(self, incident_id: str) -> Counter[str]:
        """Matched FAQ entries of the incident's questions, most frequent first (the caller maps them to teams)."""
        return Counter(self.incidents[incident_id].entries)

    # -- persistence -----------------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "clusterer": self.clusterer.to_dict(),
            "bank": self.bank.to_dict(),
            "incidents": [asdict(i) for i in self.incidents.values()],
            "open_by_cluster": dict(self.open_by_cluster),
            "questions": self.questions,
            "next_incident": self.next_incident,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], config: PipelineConfig | None = None) -> QuestionPipeline:
        pipeline = cls(config)
        pipeline.clusterer = OnlineClusterer.from_dict(data["clusterer"], pipeline.config.clusters)
        pipeline.bank = DetectorBank.from_dict(data["bank"], pipeline.config.bank)
        for raw in data["incidents"]:
            incident = Incident(**{**raw, "series": [tuple(row) for row in raw["series"]]})
            pipeline.incidents[incident.id] = incident
        pipeline.open_by_cluster = dict(data["open_by_cluster"])
        pipeline.questions = int(data["questions"])
        pipeline.next_incident = int(data["next_incident"])
        return pipeline

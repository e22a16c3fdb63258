"""The question stream to incidents: cluster each question, count it, detect spikes, open one incident per spike.

Pure and in memory (the service adds the database log and the console around it). Every question goes through
:meth:`QuestionPipeline.add` with the embedding the matcher already computed. Each question counts in its cluster's
series and, when it names a fund, in that fund's series too (every topic of the fund together): a surge about one
fund is caught whether its questions land in one cluster, in several, or in clusters that did not exist before.
Each also counts in the series of the FAQ entry the matcher ranked first for it, so a topic the clustering scatters
(or a language the model cannot read) still adds up in one place; an entry's incident takes the entry's later
questions whatever their cluster. An alarm opens an incident unless one is already open for that cluster, for a
near-identical cluster of the same fund (a burst of paraphrases may found two clusters at once), for the same fund
or for the entry most of its questions ask: then it, and every later question of the cluster, attaches to that
incident. Each incident keeps its evidence: what was expected and observed over the window that fired, how
significant that was, and the funds of the questions that made it.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

from escalation.spikes.bank import ROLLUP, BankConfig, DetectorBank, SpikeAlarm
from escalation.spikes.clustering import ClusterConfig, OnlineClusterer
from escalation.spikes.evidence import Evidence
from escalation.spikes.question import Question
from escalation.spikes.series import bucket_of
from escalation.spikes.stored import known_fields
from escalation.spikes.surge import asked_entry, joins, members_of, most_asked
from funddesk.masking import mask


@dataclass(frozen=True)
class PipelineConfig:
    clusters: ClusterConfig = field(default_factory=ClusterConfig)
    bank: BankConfig = field(default_factory=BankConfig)
    link_threshold: float = 0.6  # an alarming cluster this close to one with an open incident joins that incident
    samples: int = 10
    conversations: int = 200
    chart_buckets: int = 288


FUND_SERIES = f"fund{ROLLUP}"  # a fund's series key prefix: a rollup to the bank (cluster ids are "c1", "c2", ...)
ENTRY_SERIES = f"entry{ROLLUP}"  # an FAQ entry's: every question the matcher ranked that entry first for


@dataclass
class Spike:
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
    open: bool = True  # always, since closing forgets it; read by releases before 2026-12-07, which kept closed ones
    evidence: Evidence | None = None


@dataclass(frozen=True)
class Added:
    """Where a question went: its cluster (log it with the question), incidents it opened, and the open incident
    it belongs to (the bot gives a holding reply instead of a handoff while that one is unanswered)."""

    cluster_id: str
    opened: list[Spike]
    incident: Spike | None


class QuestionPipeline:
    def __init__(self, config: PipelineConfig | None = None) -> None:
        self.config = config or PipelineConfig()
        self.clusterer = OnlineClusterer(self.config.clusters)
        self.bank = DetectorBank(self.config.bank)
        self.incidents: dict[str, Spike] = {}
        self.open_by_cluster: dict[str, str] = {}
        self.open_by_entry: dict[str, str] = {}  # FAQ entry -> the open incident its own series raised
        self.questions = 0
        self.next_incident = 1
        # The last buckets' questions as (bucket, cluster, fund, text, entry): what a rollup's alarm is made of.
        self.recent: deque[tuple[int, str, str | None, str, str | None]] = deque()

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
        # A topic's paraphrases scatter over many clusters; the fund team's own FAQ says which belong together: the
        # entry the matcher ranked first. Each rollup is a series of its own, so a surge adds up in one place.
        rollups = tuple(
            prefix + key
            for prefix, key in ((FUND_SERIES, question.fund_code), (ENTRY_SERIES, question.entry_id))
            if key
        )
        self._remember(assignment.cluster_id, question)
        # A cluster founded beside a topic's cluster (below its bar, at the pairwise level) counts in that topic's
        # series: a burst whose paraphrases scatter over satellites still adds up in one place.
        series = self.clusterer.topic_of(assignment.cluster_id)
        alarms = self.bank.add(question.moment, series, also=rollups)
        if self.bank.bucket != before:
            self._refresh_charts()
        opened = [incident for alarm in alarms if (incident := self._on_alarm(alarm)) is not None]
        # An alarm on the still-open bucket already counted this question.
        counted = any(a.key == series and a.bucket == self.bank.bucket for a in alarms)
        # While an entry's surge is open, its later questions belong to it, whichever cluster they found.
        incident = self.incident_for(assignment.cluster_id)
        asks = incident.evidence.asks if incident is not None and incident.evidence is not None else None
        if not joins(asks, question.entry_id, question.decision):
            incident = None  # its cluster holds other topics too (escalation/spikes/surge.py)
        incident = incident or self._of_entry(question.entry_id)
        self._attach(incident, question, count=not counted)
        return Added(assignment.cluster_id, opened, incident)

    def tick(self, now: datetime) -> list[Spike]:
        """Close buckets that ended before ``now`` when no question came to do it."""
        alarms = self.bank.advance(now)
        self._refresh_charts()
        return [incident for alarm in alarms if (incident := self._on_alarm(alarm)) is not None]

    def close(self, incident_id: str) -> None:  # done with it (surge_end.py): its row stays, the state forgets it
        incident = self.incidents.pop(incident_id)
        for cluster_id in incident.clusters:
            self.open_by_cluster.pop(cluster_id, None)
        for entry in [e for e, i in self.open_by_entry.items() if i == incident_id]:
            del self.open_by_entry[entry]

    def incident_for(self, cluster_id: str) -> Spike | None:
        resolved = self.clusterer.resolve(cluster_id)
        incident_id = self.open_by_cluster.get(resolved) or self.open_by_cluster.get(self.clusterer.topic_of(resolved))
        return self.incidents[incident_id] if incident_id else None

    def _remember(self, cluster_id: str, question: Question) -> None:
        bucket = bucket_of(question.moment, self.bank.bucket_seconds)
        self.recent.append((bucket, cluster_id, question.fund_code, question.text, question.entry_id))
        oldest = bucket - self.config.bank.detector.window_buckets + 1
        while self.recent and self.recent[0][0] < oldest:
            self.recent.popleft()

    def _window(self, alarm: SpikeAlarm) -> list[tuple[int, str, str | None, str, str | None]]:
        """The remembered questions of the alarm's window (its last ``window`` buckets)."""
        first = alarm.bucket - alarm.window + 1
        return [row for row in self.recent if first <= row[0] <= alarm.bucket]

    def _on_alarm(self, alarm: SpikeAlarm) -> Spike | None:
        if alarm.key.startswith(FUND_SERIES):
            return self._on_fund_alarm(alarm, alarm.key.removeprefix(FUND_SERIES))
        if alarm.key.startswith(ENTRY_SERIES):
            return self._on_entry_alarm(alarm, alarm.key.removeprefix(ENTRY_SERIES))
        cluster_id = self.clusterer.resolve(alarm.key)
        cluster = self.clusterer.clusters.get(cluster_id)
        if cluster is None:
            return None
        # The topic's series counts its satellites too (clusters founded beside it): the incident holds the clusters
        # whose questions made the alarm, at least a tenth of them each, named and sampled by them (or by the questions
        # of the FAQ entry most of them ask: surge.py). The topic's own cluster keeps the chart (its series fired), but
        # its routine askers join only if it is one of them: else they would get a holding reply about another question.
        rows = [(self.clusterer.resolve(c), f, text, e) for _, c, f, text, e in self._window(alarm)]
        mine = [row for row in rows if self.clusterer.topic_of(row[0]) == cluster_id]
        asks = asked_entry([e for *_, e in mine])
        existing = self.incident_for(cluster_id) or self._linked(cluster_id) or self._of_fund(cluster.fund_code)
        if (existing := existing or self._of_entry(asks)) is not None:  # a surge asking one entry is one incident
            self._join(existing, cluster_id)
            existing.series = self._series(existing)
            return None
        by_cluster = Counter(c for c, *_ in mine if c in self.clusterer.clusters)
        members = members_of(by_cluster, len(mine)) or [cluster_id]
        funds = Counter(f for _, f, _, _ in mine if f)
        evidence = Evidence.of(alarm, "topic", dict(funds.most_common()), self.bank.bucket_seconds, asks=asks)
        samples = [text for c, _, text, e in reversed(mine) if (e == asks if asks else c in members)] or cluster.samples
        incident = self._open(alarm, cluster_id, members, samples, evidence, own_main=cluster_id in members)
        incident.label = most_asked(samples) if asks else self.clusterer.clusters[members[0]].label
        return incident

    def _on_fund_alarm(self, alarm: SpikeAlarm, fund: str) -> Spike | None:
        """All questions naming ``fund`` rose together: the incident is about that fund's busiest clusters now."""
        rows = [(self.clusterer.resolve(c), text, e) for _, c, f, text, e in self._window(alarm) if f == fund]
        by_cluster = Counter(c for c, _, _ in rows if c in self.clusterer.clusters)
        if not by_cluster:
            return None
        main = by_cluster.most_common(1)[0][0]
        attached = (incident for c in by_cluster if (incident := self.incident_for(c)) is not None)
        asks = asked_entry([e for *_, e in rows])
        if (existing := self._of_fund(fund) or next(attached, None) or self._of_entry(asks)) is not None:
            for cluster_id in by_cluster:
                self._join(existing, cluster_id)
            existing.series = self._series(existing)
            return None
        members = members_of(by_cluster, len(rows))
        samples = [text for c, text, e in reversed(rows) if (e == asks if asks else c in members)]
        evidence = Evidence.of(alarm, "fund", {fund: len(rows)}, self.bank.bucket_seconds, asks=asks)
        incident = self._open(alarm, main, members, samples, evidence)
        incident.label = most_asked(samples) if asks else incident.label
        return incident

    def _on_entry_alarm(self, alarm: SpikeAlarm, entry: str) -> Spike | None:
        """Questions matched to one FAQ entry rose together, over however many clusters.

        The incident holds the clusters that are mostly this entry's questions in the window: a cluster that
        holds many topics (a model that cannot read the language puts them together) is not the surge, so its
        other questions must not join it. The entry's later questions join it whatever their cluster.
        """
        window = [(self.clusterer.resolve(c), f, text, e) for _, c, f, text, e in self._window(alarm)]
        window = [row for row in window if row[0] in self.clusterer.clusters]
        mine = Counter(c for c, _, _, e in window if e == entry)
        if not mine:
            return None
        everyone = Counter(c for c, _, _, _ in window)
        members = [c for c, n in mine.most_common() if 2 * n > everyone[c]]
        attached = (incident for c in mine if (incident := self.incident_for(c)) is not None)
        existing = self._of_entry(entry) or next(attached, None)
        if existing is not None:  # the same surge, already open: it takes the entry's questions too
            for cluster_id in members:
                self._join(existing, cluster_id)
            self.open_by_entry.setdefault(entry, existing.id)
            existing.series = self._series(existing)
            return None
        samples = [text for c, _, text, e in reversed(window) if e == entry]
        funds = Counter(f for _, f, _, e in window if e == entry and f)
        evidence = Evidence.of(alarm, "entry", dict(funds.most_common()), self.bank.bucket_seconds, entry, asks=entry)
        main = mine.most_common(1)[0][0]
        incident = self._open(alarm, main, members, samples, evidence, own_main=main in members)
        incident.label = most_asked(samples)
        return incident

    def _open(
        self,
        alarm: SpikeAlarm,
        cluster_id: str,
        members: list[str],
        samples: list[str],
        evidence: Evidence,
        *,
        own_main: bool = True,
    ) -> Spike:
        """A new incident about ``cluster_id`` (its label and chart) and ``members``; ``own_main=False``: the
        main cluster only names it (an entry's surge inside a cluster of many topics), its questions do not join."""
        cluster = self.clusterer.clusters[cluster_id]
        incident = Spike(
            id=f"i{self.next_incident}",
            cluster_id=cluster_id,
            label=cluster.label,
            fund_code=cluster.fund_code,
            detected_at=alarm.detected_at.isoformat(sep=" "),
            started_at=alarm.bucket_start.isoformat(sep=" "),
            count=int(alarm.count),
            baseline=round(alarm.expected, 3),
            samples=list(dict.fromkeys(samples))[: self.config.samples],
            clusters=[cluster_id] if own_main else [],
            evidence=evidence,
        )
        for member in members:
            if member != cluster_id:
                self._join(incident, member)
        self.next_incident += 1
        incident.series = self._series(incident)
        self.incidents[incident.id] = incident
        if own_main:
            self.open_by_cluster[cluster_id] = incident.id
        if evidence.asks:  # the entry's later questions join it whatever their cluster
            self.open_by_entry.setdefault(evidence.asks, incident.id)
        return incident

    def _of_fund(self, fund: str | None) -> Spike | None:
        """The open incident raised by this fund's own series: one surge about a fund is one incident."""
        if fund is None:
            return None
        for incident_id in dict.fromkeys(self.open_by_cluster.values()):
            incident = self.incidents[incident_id]
            if incident.evidence is not None and incident.evidence.trigger == "fund" and incident.fund_code == fund:
                return incident
        return None

    def _of_entry(self, entry: str | None) -> Spike | None:
        """The open incident raised by this FAQ entry's own series."""
        incident_id = self.open_by_entry.get(entry) if entry else None
        return self.incidents[incident_id] if incident_id else None

    def _linked(self, cluster_id: str) -> Spike | None:
        fund = self.clusterer.clusters[cluster_id].fund_code
        best: tuple[float, Spike | None] = (self.config.link_threshold, None)
        for other_id, incident_id in self.open_by_cluster.items():
            other = self.clusterer.clusters.get(other_id)
            if other is None or other.fund_code != fund or other_id == cluster_id:
                continue
            similarity = self.clusterer.similarity(cluster_id, other_id)
            if similarity >= best[0]:
                best = (similarity, self.incidents[incident_id])
        return best[1]

    def _join(self, incident: Spike, cluster_id: str) -> None:
        if cluster_id not in incident.clusters:
            incident.clusters.append(cluster_id)
            incident.count += int(self.bank.counts.get(cluster_id, 0.0))
        self.open_by_cluster[cluster_id] = incident.id

    def _attach(self, incident: Spike | None, question: Question, *, count: bool = True) -> None:
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
        self.bank.rename(absorbed, self.clusterer.topic_of(survivor))
        incident_id = self.open_by_cluster.pop(absorbed, None)
        if incident_id is not None and survivor not in self.open_by_cluster:
            self._join(self.incidents[incident_id], survivor)

    def chart(self, incident_id: str) -> list[tuple[Any, ...]]:
        """What the incident's row charts: its series (closed buckets, below), then the bucket still being counted,
        marked "open": its count so far against the whole bucket's expectation. The bucket whose questions raised the
        alarm is that one, and a new topic has no other."""
        incident = self.incidents[incident_id]
        incident.series = self._series(incident)
        if self.bank.bucket is None:
            return list(incident.series)
        key, start = self._charted(incident), self.bank.start_of(self.bank.bucket).isoformat(sep=" ")
        return [*incident.series, (start, self.bank.counts.get(key, 0.0), round(self.bank.expected(key), 3), "open")]

    def _refresh_charts(self) -> None:
        for incident_id in set(self.open_by_cluster.values()) | set(self.open_by_entry.values()):
            incident = self.incidents[incident_id]
            incident.series = self._series(incident)

    def _series(self, incident: Spike) -> list[tuple[str, float, float]]:
        """The incident's chart so far extended with the bank's recent buckets (bounded to a day of buckets): its
        main cluster's series, or for an entry's surge the entry's."""
        rows = {start: (start, count, expected) for start, count, expected in incident.series}
        for start, count, expected in self.bank.series(self._charted(incident)):
            key = start.isoformat(sep=" ")
            rows[key] = (key, count, round(expected, 3))
        return sorted(rows.values())[-self.config.chart_buckets :]

    @staticmethod
    def _charted(incident: Spike) -> str:
        entry = incident.evidence.entry if incident.evidence is not None else None  # an entry's surge: the entry's
        return ENTRY_SERIES + entry if entry else incident.cluster_id

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
            "open_by_entry": dict(self.open_by_entry),
            "questions": self.questions,
            "next_incident": self.next_incident,
            "recent": [list(row) for row in self.recent],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], config: PipelineConfig | None = None) -> QuestionPipeline:
        pipeline = cls(config)
        pipeline.clusterer = OnlineClusterer.from_dict(data["clusterer"], pipeline.config.clusters)
        pipeline.bank = DetectorBank.from_dict(data["bank"], pipeline.config.bank)
        for raw in (raw for raw in data["incidents"] if raw.get("open", True)):  # older releases kept closed ones
            evidence = Evidence(**known_fields(Evidence, raw["evidence"])) if raw.get("evidence") else None
            series = [tuple(row) for row in raw["series"]]
            incident = Spike(**{**known_fields(Spike, raw), "series": series, "evidence": evidence})
            pipeline.incidents[incident.id] = incident
        pipeline.open_by_cluster = dict(data["open_by_cluster"])
        pipeline.open_by_entry = dict(data.get("open_by_entry", {}))
        pipeline.questions = int(data["questions"])
        pipeline.next_incident = int(data["next_incident"])
        pipeline.recent = deque(
            (int(row[0]), str(row[1]), row[2], str(row[3]), row[4] if len(row) > 4 else None)
            for row in data.get("recent", [])
        )
        return pipeline

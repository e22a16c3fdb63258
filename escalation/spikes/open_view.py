"""The deployment's open incidents as an action server sees them when it does not run the detector itself.

With several action servers one elected worker runs the detector over the question log
(escalation/spikes/worker.py). The others still owe an investor the holding reply when the question belongs to an
open, unanswered incident: this view keeps, per open incident, the centroid of the latest questions the worker
filed under its cluster, and a new question belongs to the incident when it is as close to that centroid as the
clusterer asks of a cluster's members. An incident raised by an FAQ entry's series takes the questions matched to
that entry instead, whatever their embedding (its cluster may hold many topics), as does one whose questions were
mostly matched to one entry (escalation/spikes/surge.py). It is a few seconds behind the
worker, as the worker is behind the log. An answered incident owes nobody a holding reply, and neither does one whose
surge is over, so the view leaves both out: staff often leave one open for good, and the next surge of its question,
a new incident, must not find the old one (escalation/spikes/surge_end.py), nor every refresh reload each incident
ever answered.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from escalation.spikes.surge import joins
from funddesk.db import Incident, IncidentStatus, Question

MEMBERS = 20  # latest questions of an incident's cluster that make its centroid


@dataclass(frozen=True)
class OpenIncident:
    key: str
    label: str
    fund_code: str | None
    status: IncidentStatus
    centroid: np.ndarray | None  # unit length; None for an entry's incident
    entry: str | None = None  # the FAQ entry it asks (whose series raised it, or most of its questions')


class OpenIncidents:
    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self.incidents: list[OpenIncident] = []

    def refresh(self, session: Session) -> None:
        rows = session.execute(
            select(
                Incident.key,
                Incident.label,
                Incident.fund_code,
                Incident.status,
                Incident.cluster_id,
                Incident.evidence,
            ).where(Incident.status == IncidentStatus.OPEN, Incident.surge_ended_at.is_(None))
        ).all()
        fresh = []
        for key, label, fund_code, status, cluster_id, evidence in rows:
            entry = (evidence or {}).get("entry")
            if entry:
                fresh.append(OpenIncident(key, label, fund_code, status, None, str(entry)))
                continue
            # The cluster's index serves this; questions.incident_id has none.
            vectors = session.scalars(
                select(Question.embedding)
                .where(Question.cluster_id == cluster_id, Question.embedding.is_not(None))
                .order_by(Question.asked_at.desc())
                .limit(MEMBERS)
            ).all()
            centroid = _centroid([v for v in vectors if v])
            asks = (evidence or {}).get("asks")  # the entry most of its questions were matched to (surge.py)
            if centroid is not None or asks:
                fresh.append(OpenIncident(key, label, fund_code, status, centroid, str(asks) if asks else None))
        self.incidents = fresh

    def find(
        self, embedding: np.ndarray, fund_code: str | None, entry_id: str | None = None, decision: str | None = None
    ) -> OpenIncident | None:
        """The open incident this question belongs to: its FAQ entry's, or the closest centroid past the bar, of the
        same fund (one asking no entry takes only what the FAQ could not answer: surge.joins)."""
        if entry_id is not None:
            mine = next((i for i in self.incidents if i.entry == entry_id), None)
            if mine is not None:
                return mine
        vector = _unit(np.asarray(embedding, dtype=np.float32))
        best: tuple[float, OpenIncident | None] = (self.threshold, None)
        for incident in self.incidents:
            if incident.fund_code is not None and incident.fund_code != fund_code:
                continue  # the fund is part of a topic: a fund's incident is not another fund's question
            if incident.centroid is None or incident.centroid.shape != vector.shape:
                continue
            if not joins(incident.entry, entry_id, decision):
                continue  # it asks another entry, or nothing the FAQ answered: its cluster holds other topics too
            similarity = float(incident.centroid @ vector)
            if similarity >= best[0]:
                best = (similarity, incident)
        return best[1]


def _centroid(blobs: list[bytes]) -> np.ndarray | None:
    if not blobs:
        return None
    vectors = [_unit(np.frombuffer(blob, dtype=np.float32)) for blob in blobs]
    if len({v.shape for v in vectors}) != 1:
        return None
    return _unit(np.mean(vectors, axis=0))


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector

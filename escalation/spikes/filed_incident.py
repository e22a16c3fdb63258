"""An incident as its row stores it: the row that opens it, and what later writes update (count, samples, chart)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from escalation.spikes.pipeline import Spike
from funddesk.db import IncidentStatus


def incident_row(
    spike: Spike, chart: Sequence[Sequence[Any]], team: str, detected_at: datetime, zone: ZoneInfo
) -> dict[str, Any]:
    """The ``incidents`` row of a new incident (its times UTC; the pipeline's are local to ``zone``); ``chart`` is
    :meth:`escalation.spikes.pipeline.QuestionPipeline.chart`'s."""
    return dict(
        key=spike.id,
        cluster_id=spike.cluster_id,
        label=spike.label,
        fund_code=spike.fund_code,
        team_id=team,
        status=IncidentStatus.OPEN,
        started_at=utc(spike.started_at, zone),
        detected_at=detected_at,
        count=spike.count,
        baseline=spike.baseline,
        samples=list(spike.samples),
        series=[list(point) for point in chart],
        evidence=asdict(spike.evidence) if spike.evidence is not None else None,
    )


@dataclass(frozen=True)
class Filed:
    """What the pipeline knows of an incident, as its row stores it (read under the pipeline's lock)."""

    count: int
    samples: list[str]
    series: list[list[Any]]
    clusters: list[str]
    started: datetime  # UTC
    asks: str | None = None  # the FAQ entry most of its questions asked (surge.py)

    @classmethod
    def of(cls, spike: Spike, chart: Sequence[Sequence[Any]], zone: ZoneInfo) -> Filed:
        series = [list(point) for point in chart]
        asks = spike.evidence.asks if spike.evidence is not None else None
        return cls(spike.count, list(spike.samples), series, list(spike.clusters), utc(spike.started_at, zone), asks)


def utc(local: str, zone: ZoneInfo) -> datetime:
    """A pipeline moment (local ISO time) in UTC."""
    return datetime.fromisoformat(local).replace(tzinfo=zone).astimezone(UTC)

"""Per-stage latency from the replicas' own Prometheus metrics (``funddesk_stage_seconds``).

Every process has its own registry and a killed one takes its counts with it, so the scraper
keeps the last scrape of every process it saw (keyed by the URL and when its series were created)
and adds them up at the end, as Prometheus would across targets. Quantiles are estimated from
the histogram buckets the way PromQL's ``histogram_quantile`` does (linear within a bucket).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

STAGE = "funddesk_stage_seconds"
QUANTILES = (0.5, 0.95, 0.99)


@dataclass
class Snapshot:
    buckets: dict[str, dict[float, float]] = field(default_factory=dict)  # stage -> le -> cumulative count
    counters: dict[str, float] = field(default_factory=dict)  # "name{label=value}" -> value


def parse(text: str) -> tuple[str, Snapshot]:
    """The process's identity (when its first series was created) and what it counted."""
    snapshot, created = Snapshot(), math.inf
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name.endswith("_created"):
                created = min(created, sample.value)
            elif sample.name == f"{STAGE}_bucket":
                stage = sample.labels["stage"]
                snapshot.buckets.setdefault(stage, {})[float(sample.labels["le"])] = sample.value
            elif sample.name.endswith("_total") and sample.name.startswith("funddesk_"):
                labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
                snapshot.counters[f"{sample.name}{{{labels}}}"] = sample.value
    return ("" if math.isinf(created) else repr(created)), snapshot


def quantile(q: float, cumulative: dict[float, float]) -> float | None:
    """``histogram_quantile``: the bucket holding rank q, interpolated linearly inside it."""
    bounds = sorted(cumulative)
    total = cumulative.get(math.inf, 0.0)
    if not total:
        return None
    rank, previous_bound, previous_count = q * total, 0.0, 0.0
    for bound in bounds:
        count = cumulative[bound]
        if count >= rank:
            if math.isinf(bound):
                return previous_bound  # above the last finite bucket: its bound is all we know
            share = (rank - previous_count) / (count - previous_count) if count > previous_count else 0.0
            return previous_bound + (bound - previous_bound) * share
        previous_bound, previous_count = bound, count
    return None


@dataclass
class Scraper:
    urls: list[str]
    token: str
    latest: dict[tuple[str, str], Snapshot] = field(default_factory=dict)
    failures: int = 0

    async def scrape(self, http: httpx.AsyncClient) -> None:
        for url in self.urls:
            try:
                response = await http.get(url, headers={"Authorization": f"Bearer {self.token}"}, timeout=5)
                response.raise_for_status()
            except httpx.HTTPError:
                self.failures += 1  # a replica being restarted: its last scrape stands
                continue
            started, snapshot = parse(response.text)
            self.latest[(url, started)] = snapshot

    async def every(self, seconds: float, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient() as http:
            while not stop.is_set():
                await self.scrape(http)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), seconds)
            await self.scrape(http)

    def since(self, baseline: dict[tuple[str, str], Snapshot] | None = None) -> dict[str, Any]:
        """Stage quantiles (ms) and counters over every process seen, minus ``baseline``'s counts."""
        before = baseline or {}
        stages: dict[str, dict[float, float]] = defaultdict(lambda: defaultdict(float))
        counters: dict[str, float] = defaultdict(float)
        for key, snapshot in self.latest.items():
            earlier = before.get(key, Snapshot())
            for stage, cumulative in snapshot.buckets.items():
                for bound, count in cumulative.items():
                    stages[stage][bound] += count - earlier.buckets.get(stage, {}).get(bound, 0.0)
            for name, value in snapshot.counters.items():
                counters[name] += value - earlier.counters.get(name, 0.0)
        figures: dict[str, Any] = {"processes_scraped": len(self.latest), "scrape_failures": self.failures}
        for stage, cumulative in sorted(stages.items()):
            figures[f"stage_{stage}"] = {
                "count": int(cumulative.get(math.inf, 0)),
                **{f"p{round(q * 100)}_ms": _ms(quantile(q, cumulative)) for q in QUANTILES},
            }
        figures["counters"] = {k: v for k, v in sorted(counters.items()) if v}
        return figures

    def snapshot(self) -> dict[tuple[str, str], Snapshot]:
        return dict(self.latest)


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)

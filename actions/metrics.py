"""The action server's Prometheus metrics (``/metrics`` with ``FUNDDESK_METRICS_TOKEN``).

- ``funddesk_stage_seconds{stage="match"}``: knowledge-base matching of one question, its embedding included;
- ``funddesk_decisions_total{decision, lang}``: the matcher's decisions (answer, clarify, fallback);
- ``funddesk_kb_reloads_total{outcome}``: hot reloads of the FAQ folder, ``ok`` or ``failed`` (the previous
  index serves on);
- ``funddesk_incidents_opened_total``: incidents the spike watch opened.

The knowledge base and the spike watch are wrapped, not changed: the actions see the same
interfaces (:mod:`actions.runtime`), and the knowledge base knows nothing of Prometheus.
"""

from __future__ import annotations

import functools
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter
from sanic import Sanic

from actions.runtime import KnowledgeBaseLike, MatchLike, SpikeWatchLike
from escalation.spikes.watch import Asked, Observed
from funddesk import metrics
from knowledge_base.entries import Entry


class ActionMetrics:
    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        self.stages = metrics.stage_histogram(r)
        self.decisions = Counter("funddesk_decisions", "Matcher decisions.", ["decision", "lang"], registry=r)
        self.reloads = Counter("funddesk_kb_reloads", "FAQ hot reloads, by outcome.", ["outcome"], registry=r)
        self.incidents = Counter("funddesk_incidents_opened", "Incidents opened.", registry=r)


class MeteredKnowledgeBase:
    """The knowledge base as the actions use it, timing each match and counting its decision."""

    def __init__(self, kb: KnowledgeBaseLike, metrics: ActionMetrics) -> None:
        self._kb = kb
        self._metrics = metrics

    def ask(self, text: str, *, fund: str | None = None) -> MatchLike:
        started = time.perf_counter()
        match = self._kb.ask(text, fund=fund)
        self._metrics.stages.labels("match").observe(time.perf_counter() - started)
        self._metrics.decisions.labels(match.decision.kind, match.lang).inc()
        return match

    def entry(self, entry_id: str) -> Entry | None:
        return self._kb.entry(entry_id)


class MeteredSpikeWatch:
    """The spike watch, counting the incidents its questions open."""

    def __init__(self, watch: SpikeWatchLike, metrics: ActionMetrics) -> None:
        self._watch = watch
        self._metrics = metrics

    def observe(self, asked: Asked) -> Observed:
        observed = self._watch.observe(asked)
        self._metrics.incidents.inc(len(observed.opened))
        return observed


def count_reloads(kb: Any, metrics: ActionMetrics) -> None:
    """Count ``kb``'s reloads from now on (its watcher thread calls ``kb.reload()``), ok or failed."""
    reload = kb.reload

    @functools.wraps(reload)
    def counted(*args: Any, **kwargs: Any) -> Any:
        try:
            report = reload(*args, **kwargs)
        except Exception:
            metrics.reloads.labels("failed").inc()
            raise
        metrics.reloads.labels("ok").inc()
        return report

    kb.reload = counted


def install(app: Sanic[Any, Any], token: str) -> ActionMetrics:
    """The server's metrics, served at ``/metrics`` when ``token`` is set."""
    action_metrics = ActionMetrics()
    metrics.add_route(app, token, action_metrics.registry)
    return action_metrics

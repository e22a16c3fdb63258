"""The action server's Prometheus metrics (``/metrics`` with ``FUNDDESK_METRICS_TOKEN``).

- ``funddesk_stage_seconds{stage="match"}``: knowledge-base matching of one question, its embedding (and any
  wait for the model while it embeds other questions) included;
- ``funddesk_match_decisions_total{decision, lang}``: the matcher's decisions (answer, clarify, fallback),
  named apart from the web service's ``funddesk_decisions_total`` (the bot's replies), so that summing a
  name over every target never adds the two up;
- ``funddesk_kb_reloads_total{outcome}``: hot reloads of the FAQ folder: ``ok``; ``rejected``, a file has
  errors and its last good version (or nothing) serves instead, as ``knowledge_base lint`` shows; ``failed``, the
  reload raised and the previous index serves on;
- ``funddesk_kb_entries`` and ``funddesk_kb_problems{severity}``: what the knowledge base serves and how many
  problems its files have (``error``, ``warning``) as of its last read, to alert on a broken edit left unfixed;
- ``funddesk_incidents_opened_total``: incidents the spike watch opened;
- ``funddesk_embedding_batch_size``: questions per call of the embedding model (several when they
  arrive while it is busy: :mod:`knowledge_base.batching`).

The knowledge base and the spike watch are wrapped, not changed: the actions see the same
interfaces (:mod:`actions.runtime`), and the knowledge base knows nothing of Prometheus (it tells
listeners the outcome of each reload).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sanic import Sanic

from actions.runtime import KnowledgeBaseLike, MatchLike, SpikeWatchLike
from escalation.spikes.watch import Asked, Observed
from funddesk import metrics
from knowledge_base.entries import Entry
from knowledge_base.followups import Answered

if TYPE_CHECKING:
    from knowledge_base.reloads import ReloadOutcome
    from knowledge_base.service import KnowledgeBase  # heavy: imported when serving starts

RELOAD_OUTCOMES: tuple[ReloadOutcome, ...] = ("ok", "rejected", "failed")


class ActionMetrics:
    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        self.stages = metrics.stage_histogram(r)
        self.decisions = Counter("funddesk_match_decisions", "Matcher decisions.", ["decision", "lang"], registry=r)
        self.reloads = Counter("funddesk_kb_reloads", "FAQ hot reloads, by outcome.", ["outcome"], registry=r)
        for outcome in RELOAD_OUTCOMES:  # every outcome exported from the start, at 0
            self.reloads.labels(outcome)
        self.kb_entries = Gauge("funddesk_kb_entries", "FAQ entries serving, last good versions included.", registry=r)
        self.kb_problems = Gauge("funddesk_kb_problems", "FAQ files' problems, by severity.", ["severity"], registry=r)
        self.incidents = Counter("funddesk_incidents_opened", "Incidents opened.", registry=r)
        self.embedding_batches = Histogram(
            "funddesk_embedding_batch_size", "Questions per embedding call.", registry=r, buckets=(1, 2, 4, 8, 16)
        )


class MeteredKnowledgeBase:
    """The knowledge base as the actions use it, timing each match and counting its decision."""

    def __init__(self, kb: KnowledgeBaseLike, metrics: ActionMetrics) -> None:
        self._kb = kb
        self._metrics = metrics

    def ask(self, text: str, *, fund: str | None = None, after: Answered | None = None) -> MatchLike:
        started = time.perf_counter()
        return self._count(self._kb.ask(text, fund=fund, after=after), started)

    async def ask_soon(self, text: str, *, fund: str | None = None, after: Answered | None = None) -> MatchLike:
        started = time.perf_counter()
        return self._count(await self._kb.ask_soon(text, fund=fund, after=after), started)

    def _count(self, match: MatchLike, started: float) -> MatchLike:
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


def count_reloads(kb: KnowledgeBase, metrics: ActionMetrics) -> None:
    """Count ``kb``'s reloads from now on (its watcher thread reloads on every saved edit), by outcome, and keep
    the gauges of what it serves (set now, and after each reload)."""

    def reloaded(outcome: ReloadOutcome) -> None:
        metrics.reloads.labels(outcome).inc()
        gauge_health(kb, metrics)

    kb.on_reload(reloaded)
    gauge_health(kb, metrics)


def gauge_health(kb: KnowledgeBase, metrics: ActionMetrics) -> None:
    health = kb.health
    if health is None:
        return
    metrics.kb_entries.set(health.entries)
    for severity in ("error", "warning"):
        metrics.kb_problems.labels(severity).set(sum(p.severity == severity for p in health.problems))


def install(app: Sanic[Any, Any], token: str) -> ActionMetrics:
    """The server's metrics, served at ``/metrics`` when ``token`` is set."""
    action_metrics = ActionMetrics()
    metrics.add_route(app, token, action_metrics.registry)
    return action_metrics

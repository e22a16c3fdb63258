"""The web service's Prometheus metrics (``/metrics`` with ``FUNDDESK_METRICS_TOKEN``).

- ``funddesk_messages_total{role}``: messages stored: investor, bot, system, staff (replies) and note (staff-only);
- ``funddesk_stage_seconds{stage}``: ``web``, an investor message from arrival to replies (Rasa included);
  ``rasa``, the round trip to Rasa (the action server included);
- ``funddesk_decisions_total{decision, lang}``: the bot's replies (answer, clarify, fallback, chosen, ...);
- ``funddesk_handoffs_total{reason}``: conversations handed to staff;
- ``funddesk_incidents_opened_total``: incidents the spike watch opened on a question this replica relayed;
- ``funddesk_queue_waiting{team}``: conversations waiting in each team's queue, read at each scrape;
- ``funddesk_http_errors_total{status}``: responses with a 4xx or 5xx status.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Gauge

from funddesk import metrics
from funddesk.db import Message


class WebMetrics:
    """One app's metrics, in a registry of its own (tests build several apps in one process)."""

    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        self.messages = Counter("funddesk_messages", "Messages stored, by role.", ["role"], registry=r)
        self.stages = metrics.stage_histogram(r)
        self.decisions = Counter("funddesk_decisions", "Bot replies by decision.", ["decision", "lang"], registry=r)
        self.handoffs = Counter("funddesk_handoffs", "Conversations handed to staff.", ["reason"], registry=r)
        self.incidents = Counter("funddesk_incidents_opened", "Incidents opened.", registry=r)
        self.queue = Gauge("funddesk_queue_waiting", "Conversations waiting, by team.", ["team"], registry=r)
        self.errors = Counter("funddesk_http_errors", "Error responses, by status.", ["status"], registry=r)

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.stages.labels(stage).observe(time.perf_counter() - started)

    def stored(self, rows: Iterable[Message]) -> None:
        for row in rows:
            self.messages.labels(str(row.role)).inc()
            if row.decision:
                self.decisions.labels(row.decision, row.language or "").inc()

    def waiting(self, counts: dict[str, int]) -> None:
        self.queue.clear()  # a team deleted since the last scrape disappears
        for team, count in counts.items():
            self.queue.labels(team).set(count)

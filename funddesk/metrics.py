"""Prometheus metrics: each process serves its own registry at ``/metrics``, behind a bearer token.

Prometheus scrapes every replica (web service and action server alike) and adds them up, so a
registry per process is the whole design: no shared multiprocess directory. The route exists
only when ``metrics_token`` is set (otherwise 404); a scrape without the token gets 401. Names
follow Prometheus' conventions: ``funddesk_`` prefix, ``_total`` counters, ``_seconds`` histograms.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from sanic import Request, Sanic
from sanic.response import HTTPResponse, json, raw
from sanic_ext import openapi

# Seconds: from a cached answer (a few ms) to Rasa's timeout (10 s).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
ROUTE = "/metrics"


def stage_histogram(registry: CollectorRegistry) -> Histogram:
    """Latency by stage: ``web`` (an investor message, Rasa included), ``rasa`` (its round trip,
    actions included), ``match`` (the action server's knowledge-base matching)."""
    help_text = "Latency of each stage of a message."
    return Histogram("funddesk_stage_seconds", help_text, ["stage"], registry=registry, buckets=LATENCY_BUCKETS)


def authorized(request: Request, token: str) -> bool:
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(presented.strip().encode(), token.encode())


def add_route(
    app: Sanic[Any, Any],
    token: str,
    registry: CollectorRegistry,
    before_scrape: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Serve ``registry`` at ``/metrics`` to whoever presents ``token``; with no token, no route."""
    if not token:
        return

    @openapi.exclude()  # for Prometheus, not part of the API
    async def metrics(request: Request) -> HTTPResponse:
        if not authorized(request, token):
            body = {"error": {"code": "unauthorized", "message": "Send the metrics token: Authorization: Bearer."}}
            return json(body, status=401, headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
        if before_scrape is not None:
            await before_scrape()
        return raw(generate_latest(registry), content_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})

    app.add_route(metrics, ROUTE, methods=["GET"], name="metrics")

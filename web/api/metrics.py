"""``/metrics`` on the web service, and the error counter every response passes."""

from __future__ import annotations

from sanic.response import BaseHTTPResponse

from escalation.staff import queues
from funddesk import metrics
from web.context import WebApp, WebRequest


def install(app: WebApp) -> None:
    """Count error responses, and serve ``/metrics`` when a token is configured."""
    ctx = app.ctx

    async def count_errors(request: WebRequest, response: BaseHTTPResponse) -> None:
        if response.status >= 400:
            ctx.metrics.errors.labels(str(response.status)).inc()

    async def read_queues() -> None:
        ctx.metrics.waiting(await ctx.run_db(queues.waiting_counts))

    app.register_middleware(count_errors, "response")
    metrics.add_route(app, ctx.settings.metrics_token, ctx.metrics.registry, read_queues)

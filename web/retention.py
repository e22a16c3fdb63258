"""The web service applies ``retention_days`` by itself: at start, then every hour.

The task starts in ``after_server_start`` (never at import) and stops with the server. Every
replica runs it; a sweep only touches rows not yet anonymized, so replicas sweeping at once
repeat nothing. A failed sweep (the database away) is logged and tried again at the next hour.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from funddesk.db import retention
from web.context import WebApp

log = logging.getLogger("web.retention")
EVERY_SECONDS = 3600.0


async def sweep_now(app: WebApp, since: datetime | None = None, now: datetime | None = None) -> retention.Swept:
    ctx = app.ctx
    moment = now or datetime.now(UTC)
    swept = await asyncio.to_thread(retention.sweep, ctx.db, ctx.settings.retention_days, moment, since)
    if swept.conversations or swept.questions or swept.incident_links or swept.dialog_events:
        log.info(
            "retention: anonymized %d conversations (%d messages), %d questions and %d incident links, "
            "deleted %d dialog events, older than %d days",
            swept.conversations,
            swept.messages,
            swept.questions,
            swept.incident_links,
            swept.dialog_events,
            ctx.settings.retention_days,
        )
    return swept


async def sweep_periodically(app: WebApp, every: float = EVERY_SECONDS) -> None:
    since = None  # the first sweep reads the whole question log; later ones only what aged since
    while True:
        now = datetime.now(UTC)
        try:
            await sweep_now(app, since, now)
            since = retention.cutoff(app.ctx.settings.retention_days, now)
        except Exception:  # the next hour tries again
            log.exception("retention sweep failed")
        await asyncio.sleep(every)


def install(app: WebApp) -> None:
    running: list[asyncio.Task[None]] = []

    async def start(app: WebApp) -> None:
        if app.ctx.settings.retention_days > 0:
            running.append(asyncio.create_task(sweep_periodically(app), name="retention"))

    async def stop(app: WebApp) -> None:
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        running.clear()

    app.register_listener(start, "after_server_start")
    app.register_listener(stop, "before_server_stop")

"""The web service's app factory: widget, investor API, staff console and staff API.

    app = create_app(settings)                              # everything
    app = create_app(settings, modules=["web.api"])         # only the API, e.g. in a test

Nothing heavy happens here: the database (checked to be at the newest schema: migrating it is the
launcher's job, see ``funddesk.db.migrate``), the Rasa client, the
live-push hub and the rate limiters are opened in ``before_server_start`` and closed in
``after_server_stop``. ``rasa_transport`` is the seam tests use to stand in for Rasa.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Sequence
from contextlib import AsyncExitStack
from typing import Any

import httpx
from sanic import Sanic
from sanic.response import HTTPResponse, json
from sanic_ext import Extend, openapi

from escalation.staff import accounts
from escalation.staff.hours import BusinessHours
from escalation.staff.teams import Router, load_fund_teams, load_teams
from funddesk import logs
from funddesk.db import Database, database_url, migrate
from funddesk.settings import Settings
from web import errors, retention, security
from web import metrics as web_metrics
from web.api import metrics as metrics_route
from web.context import KeyedLocks, TokenHashes, WebApp, WebContext, WebRequest
from web.hub import make_hub
from web.rasa_client import RasaClient
from web.ratelimit import make_limiter

log = logging.getLogger("web")
DEFAULT_MODULES = ("web.widget", "web.console", "web.api")
WEBSOCKET_MAX_SIZE = 4096  # clients send only small commands (typing, watch)


def create_app(
    settings: Settings,
    *,
    modules: Sequence[str] = DEFAULT_MODULES,
    rasa_transport: httpx.AsyncBaseTransport | None = None,
    name: str = "funddesk_web",
) -> WebApp:
    app: WebApp = Sanic(name, ctx=WebContext(settings), env_prefix=None)
    app.ctx.metrics = web_metrics.WebMetrics()
    _configure(app, settings)
    Extend(app)
    errors.install(app)
    metrics_route.install(app)
    security.install(app)
    logs.track_conversations(app, lambda request: request.match_info.get("conversation_id"))
    app.add_route(health, "/health", name="health")
    for module in modules:
        importlib.import_module(module).setup(app)
    app.register_listener(_open(rasa_transport), "before_server_start")
    app.register_listener(close_services, "after_server_stop")
    retention.install(app)  # sweeps from after_server_start, once the database is open
    return app


def _configure(app: WebApp, settings: Settings) -> None:
    app.config.update(
        REQUEST_MAX_SIZE=settings.web_max_body,
        WEBSOCKET_MAX_SIZE=WEBSOCKET_MAX_SIZE,
        PROXIES_COUNT=settings.web_proxies_count or None,
        CORS_ORIGINS=settings.web_cors_origins,
        CORS_ALLOW_HEADERS=["authorization", "content-type", "idempotency-key"],
        CORS_EXPOSE_HEADERS=["retry-after"],
        # sanic-ext leaves every route under its own prefix out of the document, so its pages
        # live under /api/v1/docs; web.api serves the document at /api/v1/openapi.json too.
        OAS_URL_PREFIX="/api/v1/docs",
        OAS_URI_TO_JSON="/openapi.json",
        OAS_UI_DEFAULT="redoc",
        OAS_UI_SWAGGER=False,
    )


def _open(rasa_transport: httpx.AsyncBaseTransport | None) -> Any:
    async def open_services(app: WebApp) -> None:
        ctx, settings = app.ctx, app.ctx.settings
        ctx.db = Database.from_url(database_url(settings.database_url, settings.data_dir))
        await asyncio.to_thread(migrate.require_current, ctx.db.engine)  # SchemaNotCurrent names the command
        ctx.hours = BusinessHours.parse(settings.business_hours, settings.timezone)
        teams = load_teams(settings.teams_file)
        if settings.default_team not in {t.id for t in teams}:
            raise ValueError(f"FUNDDESK_DEFAULT_TEAM={settings.default_team!r} is not a team in {settings.teams_file}")
        await ctx.run_db(lambda s: accounts.sync_teams(s, teams), write=True)
        ctx.router = Router(frozenset(t.id for t in teams), load_fund_teams(settings.funds_file), settings.default_team)
        ctx.rasa = RasaClient(settings.rasa_url, timeout=settings.rasa_timeout, transport=rasa_transport)
        ctx.hub = make_hub(settings.redis_url)
        await ctx.hub.start()
        # In Redis when it is configured, so every replica counts against one limit.
        ctx.conversation_limit = make_limiter(settings.web_rate_conversation, settings.redis_url, "conversation")
        ctx.client_limit = make_limiter(settings.web_rate_client, settings.redis_url, "client")
        ctx.login_limit = make_limiter(settings.staff_login_rate, settings.redis_url, "login")
        ctx.turn_locks = KeyedLocks()
        ctx.token_hashes = TokenHashes()
        log.info("web service ready: database %s, rasa %s", ctx.db.engine.url.render_as_string(), settings.rasa_url)

    return open_services


async def close_services(app: WebApp) -> None:
    """Close what ``open_services`` opened, each whatever the one before raised (Redis gone at the stop, say): the
    hub, the Rasa client and the limits, then the database's pool."""
    ctx = app.ctx
    async with AsyncExitStack() as closing:
        if getattr(ctx, "db", None) is not None:
            closing.callback(ctx.db.dispose)  # registered first: runs last
        for name in ("login_limit", "client_limit", "conversation_limit", "rasa", "hub"):
            closer = getattr(ctx, name, None)
            if closer is not None:
                closing.push_async_callback(closer.close)


@openapi.exclude()
async def health(request: WebRequest) -> HTTPResponse:
    return json({"status": "ok"})

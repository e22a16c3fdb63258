"""The action server: ``python -m actions`` (port: FUNDDESK_ACTIONS_PORT).

rasa-sdk's Sanic app, run in a single process so the knowledge base (model, index and its
hot-reload watcher) and the hand-off router (teams and funds files) are loaded once, in
``before_server_start``, and the knowledge base is closed on stop.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from rasa_sdk.endpoint import create_app
from sanic import Request, Sanic
from sanic.exceptions import MethodNotAllowed, NotFound, SanicException
from sanic.response import HTTPResponse, json

from actions import metrics, runtime
from actions.kb_status import KbStatusReporter, server_name
from actions.slot_changes import ChangesOnlyExecutor
from escalation.spikes.watch import SpikeWatch, pipeline_config
from escalation.spikes.worker import DetectorWorker
from escalation.staff import accounts
from escalation.staff.teams import Router, load_fund_teams, load_teams
from funddesk import logs
from funddesk.db import Database, database_url, migrate
from funddesk.settings import Settings, load
from knowledge_base import funds

log = logging.getLogger("actions")
HOST = "127.0.0.1"


def build_app(settings: Settings, *, embedder: Any = None) -> Sanic[Any, Any]:
    """The action server app; ``embedder`` (e.g. a fake in tests) overrides the configured model."""
    executor = ChangesOnlyExecutor()  # only slot events that change something: Rasa re-reads them every turn
    executor.register_package("actions")
    app: Sanic[Any, Any] = create_app(executor, cors_origins=None)
    counters = metrics.install(app, settings.metrics_token)

    @app.exception(NotFound, MethodNotAllowed)  # rasa-sdk answers every exception 500 with a traceback in the log
    async def not_here(request: Request, exception: SanicException) -> HTTPResponse:
        code = "not_found" if exception.status_code == 404 else "method_not_allowed"
        return json({"error": {"code": code, "message": str(exception)}}, status=exception.status_code)

    logs.track_conversations(app, conversation_of)

    async def open_kb(app: Sanic[Any, Any]) -> None:
        from knowledge_base.batching import BatchedKnowledgeBase
        from knowledge_base.service import KnowledgeBase  # heavy: numpy, faiss, the model

        router = handoff_router(settings)  # first: a broken teams file stops the start at once
        app.ctx.kb = KnowledgeBase.open(settings, embedder=embedder)
        names = funds.display_names(funds.read_funds(settings.funds_file))
        # Questions that arrive while one is being embedded are embedded together: far less CPU each.
        batched = BatchedKnowledgeBase(app.ctx.kb, on_batch=counters.embedding_batches.observe)
        runtime.install(metrics.MeteredKnowledgeBase(batched, counters), names, router)
        metrics.count_reloads(app.ctx.kb, counters)
        # One pool for this server's database work: what its knowledge base serves, and the question log.
        app.ctx.db = Database.from_url(database_url(settings.database_url, settings.data_dir))
        migrate.require_current(app.ctx.db.engine)  # the launcher migrates; this only checks, before any write
        app.ctx.kb_status = KbStatusReporter(app.ctx.db, server_name(settings), app.ctx.kb)
        app.ctx.kb_status.report()  # the first read, before any reload
        app.ctx.kb.on_reload(app.ctx.kb_status.report)
        log.info("knowledge base loaded from %s; hand-offs route to %d teams", settings.kb_dir, len(router.known))
        app.ctx.spikes, app.ctx.spike_detector = open_spike_watch(
            settings, router, app.ctx.kb, app.ctx.db, counters.incidents.inc
        )
        runtime.install_spikes(metrics.MeteredSpikeWatch(app.ctx.spikes, counters))

    async def close_kb(app: Sanic[Any, Any]) -> None:
        runtime.install_spikes(None)
        runtime.install(None)
        # Each step runs whatever the one before raised (a database gone at the stop, an incident it still refuses).
        with ExitStack() as closing:
            if getattr(app.ctx, "db", None) is not None:
                closing.callback(app.ctx.db.dispose)  # last, once nothing uses it
            for name in ("kb_status", "kb", "spikes", "spike_detector"):  # closed in reverse: the detector first
                engine = getattr(app.ctx, name, None)
                if engine is not None:
                    closing.callback(engine.close)

    app.register_listener(open_kb, "before_server_start")
    app.register_listener(close_kb, "after_server_stop")
    return app


def open_spike_watch(
    settings: Settings, router: Router, kb: Any, db: Database, opened: Callable[[int], None] | None = None
) -> tuple[SpikeWatch, DetectorWorker | None]:
    """The question log and spike detector, on the conversations database ``db`` (at the newest schema).

    On SQLite one process detects in line, as each question comes. On PostgreSQL several action servers may
    share the database: each only logs its questions, and one of them, elected, runs the detector over the log
    (README: Spikes)."""
    unread = unread_languages(kb)
    if unread:
        # Measured (bench spike_scenarios, corpus-zh): an English-only model puts Chinese questions of different
        # topics at cosine ~0.96, so their clusters merge and only surges naming a fund are caught.
        log.warning(
            "spike clustering uses %s, which does not read %s: those questions fall into a few large topics, so "
            "only surges that name a fund are caught reliably; configure a multilingual model (README: the "
            "Chinese deployment profile)",
            settings.embedding_model,
            ", ".join(unread),
        )
    with db.session(write=True) as session:
        accounts.sync_teams(session, load_teams(settings.teams_file))  # incidents name their team

    def team_of_entry(entry_id: str) -> str | None:
        entry = kb.entry(entry_id)
        return entry.team if entry is not None else None

    def spike_watch(*, detect: bool) -> SpikeWatch:
        return SpikeWatch(
            db,
            router=router,
            team_of_entry=team_of_entry,
            state_file=settings.spike_state_path,
            timezone=settings.timezone,
            webhook_url=settings.incident_webhook,
            config=pipeline_config(settings.spike_warmup_minutes),
            detect=detect,
        )

    shared = db.engine.dialect.name == "postgresql"
    watch = spike_watch(detect=not shared)
    watch.start()
    if not shared:
        return watch, None
    detector = DetectorWorker(db, lambda: spike_watch(detect=True), on_opened=opened)
    detector.start()
    return watch, detector


def unread_languages(kb: Any) -> list[str]:
    """Languages of the knowledge base that its embedding model's card does not list (none when undeclared)."""
    from knowledge_base.embedder import languages_of

    read = languages_of(kb.embedder)
    if read is None:
        return []
    return sorted({entry.lang for entry in kb.index.entries} - read)


def conversation_of(request: Request) -> str | None:
    """The conversation an action call is for (Rasa's sender id), for the log records."""
    try:
        body = request.json
    except SanicException:  # a malformed body: rasa-sdk answers it with 400
        return None
    sender = body.get("sender_id") if isinstance(body, dict) else None
    return sender if isinstance(sender, str) else None


def handoff_router(settings: Settings) -> Router:
    """Routes hand-offs to the configured teams (a bad teams file is an error, not a silent default)."""
    teams = frozenset(team.id for team in load_teams(settings.teams_file))
    return Router(known=teams, fund_teams=load_fund_teams(settings.funds_file), default=settings.default_team)


def main() -> None:
    # One question is embedded at a time: a single torch thread answers it in ~10-30 ms, while
    # two threads on this 2-core machine spin against Rasa and each other (~800 ms measured
    # under load). Set before the knowledge base imports torch; an explicit value wins.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    # Rasa 3.6 talks to rasa-sdk 3.21 by design (the action server runs on Python 3.11).
    warnings.filterwarnings("ignore", message="Your versions of rasa and rasa_sdk might not be compatible")
    settings = load()
    app = build_app(settings)
    logs.configure(settings.log_format)  # after the app: Sanic(...) installs log handlers of its own
    app.run(host=HOST, port=settings.actions_port, single_process=True, access_log=False, motd=False)


if __name__ == "__main__":
    main()

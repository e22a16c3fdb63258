"""The action server: ``python -m actions`` (port: FUNDDESK_ACTIONS_PORT).

rasa-sdk's Sanic app, run in a single process so the knowledge base (model, index and its
hot-reload watcher) is loaded once, in ``before_server_start``, and closed on stop.
"""

from __future__ import annotations

import logging
import os
import warnings
from typing import Any

from rasa_sdk.endpoint import create_app
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic

from actions import runtime
from funddesk import fund_lookup
from funddesk.settings import Settings, load

log = logging.getLogger("actions")
HOST = "127.0.0.1"


def build_app(settings: Settings, *, embedder: Any = None) -> Sanic[Any, Any]:
    """The action server app; ``embedder`` (e.g. a fake in tests) overrides the configured model."""
    executor = ActionExecutor()
    executor.register_package("actions")
    app: Sanic[Any, Any] = create_app(executor, cors_origins=None)

    async def open_kb(app: Sanic[Any, Any]) -> None:
        from knowledge_base.service import KnowledgeBase  # heavy: numpy, faiss, the model

        app.ctx.kb = KnowledgeBase.open(settings, embedder=embedder)
        runtime.install(app.ctx.kb, fund_lookup.display_names(fund_lookup.read_funds(settings.funds_file)))
        log.info("knowledge base loaded from %s", settings.kb_dir)

    async def close_kb(app: Sanic[Any, Any]) -> None:
        runtime.install(None)
        kb = getattr(app.ctx, "kb", None)
        if kb is not None:
            kb.close()

    app.register_listener(open_kb, "before_server_start")
    app.register_listener(close_kb, "after_server_stop")
    return app


def main() -> None:
    # One question is embedded at a time: a single torch thread answers it in ~10-30 ms, while
    # two threads on this 2-core machine spin against Rasa and each other (~800 ms measured
    # under load). Set before the knowledge base imports torch; an explicit value wins.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    # Rasa 3.6 talks to rasa-sdk 3.21 by design (the action server runs on Python 3.11).
    warnings.filterwarnings("ignore", message="Your versions of rasa and rasa_sdk might not be compatible")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = load()
    app = build_app(settings)
    app.run(host=HOST, port=settings.actions_port, single_process=True, access_log=False, motd=False)


if __name__ == "__main__":
    main()

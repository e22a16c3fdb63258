"""Each action server tells the staff console what its knowledge base serves: at start and after every reload,
it replaces its row in ``kb_status`` (:mod:`funddesk.db.kb_status`), which the console's "Knowledge base" page
reads. A fund team then sees its broken edit as ``file:line``, and what serves meanwhile, without a server log.
"""

from __future__ import annotations

import logging
import socket
from typing import Protocol

from funddesk.db import Database
from funddesk.db import kb_status as repository
from funddesk.settings import Settings
from knowledge_base.health import Health
from knowledge_base.reloads import ReloadOutcome

log = logging.getLogger("actions.kb_status")


class HasHealth(Protocol):
    @property
    def health(self) -> Health | None: ...


class KbStatusReporter:
    """Records ``kb``'s health as ``server``'s in ``db`` (the action server's, which its owner disposes); a database
    that refuses costs a warning, never a reload."""

    def __init__(self, db: Database, server: str, kb: HasHealth) -> None:
        self.db = db
        self.server = server
        self.kb = kb

    def report(self, outcome: ReloadOutcome | None = None) -> None:
        """Write what the knowledge base serves now (``outcome``: a reload's, unused: its health says it too)."""
        health = self.kb.health
        if health is None:
            return
        try:
            with self.db.session(write=True) as session:
                repository.report(
                    session,
                    self.server,
                    checked_at=health.checked_at,
                    outcome=health.outcome,
                    files=health.files,
                    entries=health.entries,
                    problems=health.problems_as_dicts(),
                )
        except Exception as exc:  # called on the reloading thread, which must not fail for it
            log.warning("could not record what the knowledge base serves for the console: %s", exc)

    def close(self) -> None:
        """Stopping: the console stops listing this server (a crash leaves its row until it starts again)."""
        try:
            with self.db.session(write=True) as session:
                repository.forget(session, self.server)
        except Exception as exc:
            log.warning("could not remove this server from the console's knowledge base page: %s", exc)


def server_name(settings: Settings) -> str:
    """This action server as staff would tell it from its replicas: host and port."""
    return f"{socket.gethostname()}:{settings.actions_port}"

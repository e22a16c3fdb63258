"""``python -m web``: the web service on FUNDDESK_WEB_HOST:FUNDDESK_WEB_PORT.

One process: live push and rate limits are kept in process (set FUNDDESK_REDIS_URL to share
both across several replicas).

The service only checks that the database is at the newest schema; migrating it is the launcher's
job (``make run``, ``python -m funddesk.db upgrade``). One exception, for development: started on
the embedded SQLite file (no FUNDDESK_DATABASE_URL), this command upgrades the file first, so
``python -m web`` works on its own. That file belongs to one checkout and has no deploy step; a
database server does, and is never migrated from here.
"""

from __future__ import annotations

import logging

from funddesk import logs
from funddesk.db import database_url, make_engine, migrate
from funddesk.settings import Settings, load
from web.app import create_app

log = logging.getLogger("web")


def main() -> None:
    settings = load()
    app = create_app(settings)
    logs.configure(settings.log_format)  # after the app: Sanic(...) installs log handlers of its own
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per call to Rasa
    upgrade_embedded_database(settings)
    app.run(host=settings.web_host, port=settings.web_port, single_process=True, access_log=False, motd=False)


def upgrade_embedded_database(settings: Settings) -> None:
    """Bring the embedded SQLite file up to the newest schema; leave a configured database alone."""
    if settings.database_url:
        return
    engine = make_engine(database_url("", settings.data_dir))
    try:
        problem = migrate.check(engine)
        if problem is not None and problem.behind:  # a newer release's file is refused at start instead
            log.info(
                "upgrading the embedded database %s from %s to %s", problem.database, problem.current, problem.head
            )
            migrate.upgrade(engine)
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()

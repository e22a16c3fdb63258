"""``python -m web``: the web service on FUNDDESK_WEB_HOST:FUNDDESK_WEB_PORT.

One process: live push and rate limits are kept in process (set FUNDDESK_REDIS_URL to push
across several replicas).
"""

from __future__ import annotations

import logging

from funddesk.settings import load
from web.app import create_app


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per call to Rasa
    settings = load()
    app = create_app(settings)
    app.run(host=settings.web_host, port=settings.web_port, single_process=True, access_log=False, motd=False)


if __name__ == "__main__":
    main()

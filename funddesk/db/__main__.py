"""``python -m funddesk.db upgrade|downgrade REV|current``: schema migrations by hand;
``retention [--days N]``: anonymize what is older than the retention period, now.

Launchers own migrations: ``make run`` upgrades before it starts the services, and a deployment
runs ``upgrade`` once before its replicas. The services only check the schema at start and name
this command when it is not the newest.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from datetime import UTC, datetime

from funddesk.db import migrate, retention
from funddesk.db.engine import Database, database_url, make_engine
from funddesk.settings import load


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m funddesk.db", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("upgrade", help="migrate to a revision (default: the newest)")
    up.add_argument("revision", nargs="?", default="head")
    down = sub.add_parser("downgrade", help="migrate back to a revision (`base`: no tables)")
    down.add_argument("revision")
    sub.add_parser("current", help="print the database's revision and the newest one")
    sweep = sub.add_parser("retention", help="anonymize conversations and questions older than the retention period")
    sweep.add_argument("--days", type=retention_days, help="override FUNDDESK_RETENTION_DAYS (0: keep everything)")
    args = parser.parse_args(argv)

    settings = load()
    url = database_url(settings.database_url, settings.data_dir)
    engine = make_engine(url)
    try:
        if args.command == "retention":
            days = settings.retention_days if args.days is None else args.days
            swept = retention.sweep(Database(engine), days, datetime.now(UTC))
            print(json.dumps({"retention_days": days, **asdict(swept)}))
            return 0
        if args.command == "upgrade":
            migrate.upgrade(engine, args.revision)
        elif args.command == "downgrade":
            migrate.downgrade(engine, args.revision)
        print(f"{_safe(url)}: at {migrate.current_revision(engine)} (newest: {migrate.head_revision()})")
    finally:
        engine.dispose()
    return 0


def retention_days(text: str) -> int:
    """A retention period on the command line: 0 (keep everything) or as many days as the calendar counts back."""
    value = int(text)  # not a number: argparse says "invalid retention_days value"
    longest = (datetime.now(UTC) - datetime.min.replace(tzinfo=UTC)).days
    if not 0 <= value < longest:
        raise argparse.ArgumentTypeError(f"must be from 0 to {longest - 1} days, not {value}")
    return value


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    raise SystemExit(main())

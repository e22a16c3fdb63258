"""Two action servers that see the same spike open one incident: the database decides who wins."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from escalation.spikes.pipeline import Spike
from escalation.spikes.watch import Asked, SpikeWatch, pipeline_config
from escalation.staff import accounts
from escalation.staff.teams import TeamConfig
from funddesk.db import Database, Incident, make_engine, migrate
from tests.web.db_fixtures import postgres_schema
from tests.web.spike_watch_helpers import ROUTER, T0, quiet_traffic, vector


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        database = Database(make_engine(f"sqlite:///{tmp_path / 'spikes.sqlite3'}"))
        migrate.upgrade(database.engine)
        yield _with_teams(database)
        database.dispose()
        return
    with postgres_schema() as engine:
        migrate.upgrade(engine)
        yield _with_teams(Database(engine))


def _with_teams(database: Database) -> Database:
    with database.session(write=True) as session:
        accounts.sync_teams(session, [TeamConfig("desk", "Desk"), TeamConfig("ir", "IR")])
    return database


def action_server(db: Database, state: Path, webhooks: list[str]) -> SpikeWatch:
    watch = SpikeWatch(db, router=ROUTER, team_of_entry=lambda entry_id: None, state_file=state,
                       webhook_url="http://127.0.0.1:9/hook", config=pipeline_config(0))  # fmt: skip

    def notify(spike: Spike, team: str) -> None:
        webhooks.append(spike.id)

    watch._notify = notify  # type: ignore[method-assign]
    return watch


def test_two_action_servers_seeing_the_same_burst_open_one_incident_and_send_one_webhook(
    db: Database, tmp_path: Path
) -> None:
    webhooks: list[str] = []
    servers = [action_server(db, tmp_path / f"state-{n}.json", webhooks) for n in (1, 2)]
    moment = T0
    for server in servers:  # identical input: identical pipelines, down to the incident key
        moment = quiet_traffic(server, T0, 2)
    opened: list[list[str]] = [[], []]
    for i in range(40):
        asked = Asked("why did 900001 drop 5% today?", "en", vector(0), f"conv{i}", "900001", "nav", 0.3,
                      "fallback", moment=moment + timedelta(seconds=15 * i))  # fmt: skip
        for n, server in enumerate(servers):
            opened[n].extend(server.observe(asked).opened)
    for server in servers:
        server.close()
    assert opened[0] == opened[1] and len(opened[0]) == 1  # both saw it open; neither failed
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Incident)) == 1
        assert session.scalar(select(Incident.key)) == opened[0][0]
    assert webhooks == opened[0]  # only the action server whose insert won pages anyone

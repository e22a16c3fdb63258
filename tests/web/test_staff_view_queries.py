"""Staff views read through the repositories in a fixed number of queries, however many rows they show."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError

from escalation.staff import canned_responses
from escalation.staff.errors import Conflict
from funddesk.db import Database, database_url, unique_violation
from tests.web.conftest import Api
from tests.web.staff_helpers import StaffClient, add_user


@contextmanager
def counted(api: Api) -> Iterator[list[str]]:
    """The statements the app sends to its database meanwhile (every thread, one engine)."""
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    engine = api.client.app.ctx.db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


@pytest.fixture
def admin(api: Api) -> Iterator[StaffClient]:
    add_user(api, "root", "admin", [])
    client = StaffClient(api, "root")
    assert client.login().status_code == 200
    yield client
    client.close()


def add_teams(admin: StaffClient, count: int) -> None:
    for n in range(count):
        team = {"id": f"desk-{n}", "name": f"Desk {n}", "sla_seconds": 60}
        assert admin.request("post", "/api/v1/staff/teams", json=team).status_code == 201


def test_the_teams_view_costs_the_same_queries_for_few_teams_as_for_many(api: Api, admin: StaffClient) -> None:
    with counted(api) as few:
        before = admin.request("get", "/api/v1/staff/teams").json()["teams"]
    add_teams(admin, 8)
    with counted(api) as many:
        after = admin.request("get", "/api/v1/staff/teams").json()["teams"]
    assert len(after) == len(before) + 8
    assert len(many) == len(few), many


def test_the_teams_view_counts_who_is_online_in_each_team(api: Api, admin: StaffClient) -> None:
    add_user(api, "anna", "agent", ["service-desk"])
    agent = StaffClient(api, "anna")
    agent.login()

    async def online() -> dict[str, int]:
        async with agent.live():
            teams = (await admin.arequest("get", "/api/v1/staff/teams")).json()["teams"]
        return {team["id"]: team["online"] for team in teams}

    counts = api.run(online())
    assert counts["service-desk"] == 1 and set(counts.values()) == {0, 1}
    agent.close()


def test_the_queue_and_audit_views_cost_the_same_queries_for_a_short_log_as_for_a_long_one(
    api: Api, admin: StaffClient
) -> None:
    with counted(api) as few:
        admin.request("get", "/api/v1/staff/queues")
        short = admin.request("get", "/api/v1/staff/audit").json()["entries"]
    add_teams(admin, 8)  # eight more queues, and eight more entries in the log
    with counted(api) as many:
        admin.request("get", "/api/v1/staff/queues")
        long = admin.request("get", "/api/v1/staff/audit").json()["entries"]
    assert len(long) == len(short) + 8
    assert len(many) == len(few), many


def test_canned_responses_are_listed_added_and_deleted_within_their_team(api: Api, admin: StaffClient) -> None:
    path = "/api/v1/staff/teams/service-desk/canned"
    added = admin.request("post", path, json={"shortcut": "/hours", "text": "We answer 9:00-17:00."}).json()
    again = admin.request("post", path, json={"shortcut": "hours", "text": "twice"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "shortcut_taken"
    assert admin.request("get", path).json()["canned"] == [added]
    elsewhere = admin.request("delete", f"/api/v1/staff/teams/trading-desk/canned/{added['id']}")
    assert elsewhere.status_code == 404 and elsewhere.json()["error"]["code"] == "canned_not_found"
    assert admin.request("delete", f"{path}/{added['id']}").status_code == 204
    assert admin.request("get", path).json()["canned"] == []
    missing = admin.request("get", "/api/v1/staff/teams/nowhere/canned")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "team_not_found"
    taken = admin.request("post", "/api/v1/staff/teams", json={"id": "service-desk", "name": "Again"})
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "team_exists"


def test_only_a_taken_shortcut_is_a_conflict_and_a_team_that_is_not_there_is_a_fault(api: Api) -> None:
    db = Database.from_url(database_url("", api.settings.data_dir))
    try:
        with db.session(write=True) as session:
            canned_responses.add(session, "service-desk", "hours", "We answer 9:00-17:00.")
        with pytest.raises(Conflict), db.session(write=True) as session:
            canned_responses.add(session, "service-desk", "hours", "twice")
        # A foreign-key failure must surface as the error it is, not as "the shortcut exists".
        with pytest.raises(IntegrityError) as raised, db.session(write=True) as session:
            canned_responses.add(session, "no-such-team", "hours", "nowhere")
        assert not unique_violation(raised.value, "shortcut")
    finally:
        db.dispose()

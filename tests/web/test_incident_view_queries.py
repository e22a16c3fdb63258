"""The incident list reads through its repository in a fixed number of queries, however many incidents it shows."""

from __future__ import annotations

from datetime import UTC, datetime

from funddesk.db import Database, Incident, IncidentConversation, IncidentStatus, database_url
from tests.web.conftest import Api
from tests.web.staff_helpers import StaffClient, add_user
from tests.web.test_staff_view_queries import counted

T0 = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)


def add_incidents(api: Api, first: int, count: int, asked: int) -> None:
    """``count`` open incidents of the investor-relations team, each asked about in ``asked`` conversations."""
    db = Database.from_url(database_url("", api.settings.data_dir))
    try:
        with db.session(write=True) as session:
            for n in range(first, first + count):
                row = Incident(
                    key=f"i{n}", cluster_id=f"c{n}", label=f"Why did fund 9000{n:02d} drop?", fund_code=None,
                    team_id="investor-relations", status=IncidentStatus.OPEN, started_at=T0, detected_at=T0,
                    count=20, baseline=0.5, samples=["why did it drop"], series=[],
                )  # fmt: skip
                session.add(row)
                session.flush()
                for c in range(asked):
                    session.add(IncidentConversation(incident_id=row.id, conversation_id=f"conv-{n}-{c}", asked_at=T0))
    finally:
        db.dispose()


def test_the_incident_list_costs_the_same_queries_for_one_incident_as_for_many(api: Api) -> None:
    add_user(api, "ivy", "agent", ["investor-relations"])
    staff = StaffClient(api, "ivy")
    assert staff.login().status_code == 200
    add_incidents(api, 0, 1, asked=1)
    with counted(api) as few:
        one = staff.request("get", "/api/v1/staff/incidents").json()["incidents"]
    add_incidents(api, 1, 8, asked=3)
    with counted(api) as many:
        nine = staff.request("get", "/api/v1/staff/incidents").json()["incidents"]
    assert [i["conversations"] for i in one] == [1]
    assert [i["conversations"] for i in nine] == [3] * 8 + [1]
    assert len(many) == len(few), many
    staff.close()

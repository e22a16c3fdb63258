"""``GET /api/v1/staff/knowledge``: what each action server's knowledge base serves and its FAQ problems as
``file:line``, for leads and admins; an agent gets 403 and nobody signed in 401."""

from __future__ import annotations

from datetime import UTC, datetime

from funddesk.db import Database, database_url
from funddesk.db import kb_status as repository
from tests.web.conftest import Api
from tests.web.staff_helpers import StaffClient, add_user

BROKEN = {
    "file": "faq/fees.md", "line": 12, "severity": "error", "message": "invalid id 'Bad'", "scope": "entry",
    "serving": "last_good",
}  # fmt: skip
REPEATED = dict(
    BROKEN, line=30, severity="warning", message="duplicate phrasing 'fees' (same as line 30); only the first is kept",
    serving="as_written", code="duplicate_phrasing", params={"text": "fees", "first": "30"},
)  # fmt: skip


def _report(api: Api, server: str, checked_at: datetime, problems: list[dict[str, object]]) -> None:
    db = Database.from_url(database_url("", api.settings.data_dir))
    try:
        with db.session(write=True) as session:
            outcome = "rejected" if any(p["severity"] == "error" for p in problems) else "ok"
            repository.report(
                session, server, checked_at=checked_at, outcome=outcome, files=4, entries=76, problems=problems
            )
    finally:
        db.dispose()


def _staff(api: Api, name: str, role: str) -> StaffClient:
    add_user(api, name, role, ["service-desk"])
    client = StaffClient(api, name)
    assert client.login().status_code == 200
    return client


def test_a_lead_sees_each_action_servers_problems_newest_first_with_their_counts(api: Api) -> None:
    _report(api, "host-a:5055", datetime(2026, 12, 7, 15, 0, tzinfo=UTC), [BROKEN, REPEATED])
    _report(api, "host-b:5055", datetime(2026, 12, 7, 14, 0, tzinfo=UTC), [])
    servers = _staff(api, "lena", "lead").request("get", "/api/v1/staff/knowledge").json()["servers"]
    assert [(s["server"], s["outcome"], s["errors"], s["warnings"]) for s in servers] == [
        ("host-a:5055", "rejected", 1, 1),
        ("host-b:5055", "ok", 0, 0),
    ]
    # As stored (an older release stored no code: English only), and in every language the console speaks.
    assert servers[0]["problems"] == [{**BROKEN, "messages": {"en": BROKEN["message"]}}, {**REPEATED, "messages": {
        "en": REPEATED["message"], "zh": "问法“fees”重复（与第 30 行相同）；只保留第一个"
    }}]  # fmt: skip
    assert servers[0]["checked_at"] == "2026-12-07T15:00:00Z" and servers[0]["entries"] == 76


def test_a_servers_next_report_replaces_its_last(api: Api) -> None:
    _report(api, "host-a:5055", datetime(2026, 12, 7, 15, 0, tzinfo=UTC), [BROKEN])
    _report(api, "host-a:5055", datetime(2026, 12, 7, 15, 5, tzinfo=UTC), [])
    servers = _staff(api, "adam", "admin").request("get", "/api/v1/staff/knowledge").json()["servers"]
    assert [(s["checked_at"], s["problems"]) for s in servers] == [("2026-12-07T15:05:00Z", [])]


def test_an_agent_may_not_read_it_and_nobody_signed_in_gets_401(api: Api) -> None:
    assert _staff(api, "anna", "agent").request("get", "/api/v1/staff/knowledge").status_code == 403
    assert api.request("get", "/api/v1/staff/knowledge").status_code == 401

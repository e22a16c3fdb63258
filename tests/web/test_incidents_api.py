"""Incidents in the staff API: listed for the owning team, charted, answered once for everyone, closed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from funddesk.db import Database, Incident, IncidentConversation, IncidentStatus, database_url
from knowledge_base.parser import parse_file
from knowledge_base.published import published_dir
from tests.web.conftest import Api, MakeApi
from tests.web.staff_helpers import StaffClient, add_user

T0 = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)


@pytest.fixture
def api(make_api: MakeApi, tmp_path: Path) -> Api:
    return make_api(kb_dir=tmp_path / "faq")  # published answers must never be written here


def _incident(
    api: Api,
    conversation_ids: list[str],
    team: str = "investor-relations",
    key: str = "i1",
    label: str = "Why did fund 900001 drop 5% today?",
    surge_ended_at: datetime | None = None,
) -> int:
    db = Database.from_url(database_url("", api.settings.data_dir))
    try:
        with db.session(write=True) as session:
            row = Incident(
                key=key, cluster_id="c1", label=label, fund_code="900001",
                team_id=team, status=IncidentStatus.OPEN, started_at=T0, detected_at=T0, count=34, baseline=0.4,
                samples=["why did 900001 fall today", "900001 dropped 5%?"],
                series=[["2026-11-26 13:55:00", 0, 0.4], ["2026-11-26 14:00:00", 22, 0.5]],
                surge_ended_at=surge_ended_at,
            )  # fmt: skip
            session.add(row)
            session.flush()
            for conversation_id in conversation_ids:
                session.add(IncidentConversation(incident_id=row.id, conversation_id=conversation_id, asked_at=T0))
            return row.id
    finally:
        db.dispose()


def _staff(api: Api, name: str, role: str = "agent", team: str = "investor-relations") -> StaffClient:
    add_user(api, name, role, [team])
    client = StaffClient(api, name)
    assert client.login().status_code == 200
    return client


def test_the_owning_team_sees_the_incident_with_its_chart_and_other_teams_do_not(api: Api) -> None:
    incident = _incident(api, [])
    mine, theirs = _staff(api, "ivy"), _staff(api, "tom", team="trading-desk")
    listed = mine.request("get", "/api/v1/staff/incidents").json()["incidents"]
    assert [(i["id"], i["status"], i["count"]) for i in listed] == [(incident, "open", 34)]
    assert theirs.request("get", "/api/v1/staff/incidents").json()["incidents"] == []
    assert theirs.request("get", f"/api/v1/staff/incidents/{incident}").status_code == 403
    chart = mine.request("get", f"/api/v1/staff/incidents/{incident}/chart.svg")
    assert chart.headers["content-type"] == "image/svg+xml" and chart.text.startswith("<svg")
    assert "<script" not in chart.text and "drop 5%" in chart.text
    chinese = mine.request("get", f"/api/v1/staff/incidents/{incident}/chart.svg?lang=zh").text
    assert f"事件 {incident}：" in chinese and "■ 提问量" in chinese


def test_a_published_answer_becomes_a_valid_faq_entry_and_reaches_those_who_asked(api: Api) -> None:
    asked, auth = api.start()
    busy, busy_auth = api.start()
    api.say(busy, busy_auth, text="person")  # with staff now: the bot stays out of that conversation
    incident = _incident(api, [asked, busy])
    ivy = _staff(api, "ivy")
    answer = "The fund's NAV fell with the CSI 300 index today. **Nothing is wrong with your holding.**"
    published = ivy.request("post", f"/api/v1/staff/incidents/{incident}/answer", json={"answer": answer})
    assert published.status_code == 200, published.text
    assert published.json()["status"] == "answered" and published.json()["entry_id"] == f"incident-{incident}"
    written = published_dir(api.settings) / "incidents" / f"incident-{incident}.md"
    parsed = parse_file(written, published_dir(api.settings))
    assert not api.settings.kb_dir.exists()
    assert parsed.clean and parsed.entries[0].team == "investor-relations" and parsed.entries[0].funds == ("900001",)
    assert "why did 900001 fall today" in parsed.entries[0].phrasings
    history = api.request("get", f"/api/v1/conversations/{asked}/messages", headers=auth).json()["messages"]
    assert history[-1]["role"] == "bot" and history[-1]["text"] == answer
    other = api.request("get", f"/api/v1/conversations/{busy}/messages", headers=busy_auth).json()["messages"]
    assert all(m["text"] != answer for m in other)


def test_an_answer_published_after_the_surge_ended_still_reaches_those_who_asked_during_it(api: Api) -> None:
    asked, auth = api.start()
    incident = _incident(api, [asked], surge_ended_at=T0 + timedelta(hours=1))
    ivy = _staff(api, "ivy")
    shown = ivy.request("get", f"/api/v1/staff/incidents/{incident}").json()
    assert (shown["status"], shown["surge_ended_at"]) == ("open", "2026-11-26T07:00:00Z")
    answer = "The fund's NAV fell with the CSI 300 index today."
    published = ivy.request("post", f"/api/v1/staff/incidents/{incident}/answer", json={"answer": answer})
    assert published.status_code == 200, published.text
    history = api.request("get", f"/api/v1/conversations/{asked}/messages", headers=auth).json()["messages"]
    assert history[-1]["role"] == "bot" and history[-1]["text"] == answer


def test_an_answer_that_would_break_the_faq_is_refused_and_nothing_is_written(api: Api) -> None:
    incident = _incident(api, [])
    ivy = _staff(api, "ivy")
    refused = ivy.request("post", f"/api/v1/staff/incidents/{incident}/answer", json={"answer": "   "})
    assert refused.status_code == 400
    assert not (published_dir(api.settings) / "incidents").exists()


def test_closing_with_retire_removes_the_entry(api: Api) -> None:
    incident = _incident(api, [])
    ivy = _staff(api, "ivy")
    ivy.request("post", f"/api/v1/staff/incidents/{incident}/answer", json={"answer": "An answer."})
    closed = ivy.request("post", f"/api/v1/staff/incidents/{incident}/close", json={"retire": True})
    assert closed.json()["status"] == "closed"
    assert not (published_dir(api.settings) / "incidents" / f"incident-{incident}.md").exists()
    again = ivy.request("post", f"/api/v1/staff/incidents/{incident}/close", json={"retire": True})
    assert again.status_code == 409


def test_every_incident_action_is_in_the_audit_log(api: Api) -> None:
    incident = _incident(api, [])
    lead = _staff(api, "lea", role="lead")
    lead.request("post", f"/api/v1/staff/incidents/{incident}/answer", json={"answer": "An answer."})
    lead.request("post", f"/api/v1/staff/incidents/{incident}/close", json={})
    actions = [e["action"] for e in lead.request("get", "/api/v1/staff/audit").json()["entries"]]
    assert {"incident_answer", "incident_close"} <= set(actions)


def test_answering_a_surge_that_came_back_supersedes_the_earlier_answer_to_the_same_question(api: Api) -> None:
    """Both answers serving, the bot offered investors "Why did fund 900001 drop 5% today?" twice, or last time's
    answer alone. Another question's answer, and another team's, stay."""
    last_week = _incident(api, [])
    other_question = _incident(api, [], key="i2", label="Can I still redeem fund 900001?")
    other_team = _incident(api, [], team="trading-desk", key="i3")
    today = _incident(api, [], key="i4")
    ivy, tom = _staff(api, "ivy"), _staff(api, "tom", team="trading-desk")
    for staff, earlier in ((ivy, last_week), (ivy, other_question), (tom, other_team)):
        staff.request("post", f"/api/v1/staff/incidents/{earlier}/answer", json={"answer": "Last week's answer."})
    published = ivy.request("post", f"/api/v1/staff/incidents/{today}/answer", json={"answer": "Today's answer."})
    assert published.status_code == 200, published.text
    folder = published_dir(api.settings) / "incidents"
    assert sorted(path.name for path in folder.glob("*.md")) == sorted(
        f"incident-{n}.md" for n in (other_question, other_team, today)
    )
    statuses = {i["id"]: i["status"] for i in ivy.request("get", "/api/v1/staff/incidents?all=1").json()["incidents"]}
    assert statuses[last_week] == "closed" and statuses[other_question] == "answered" and statuses[today] == "answered"
    entries = _staff(api, "lea", role="lead").request("get", "/api/v1/staff/audit").json()["entries"]
    [closing] = [e for e in entries if e["action"] == "incident_close"]
    assert closing["detail"]["superseded_by"] == today and closing["detail"]["incident"] == last_week

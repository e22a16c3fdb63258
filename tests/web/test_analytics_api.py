"""The analytics API (a contract): leads and admins only, the summary's and the gaps' keys, a draft per gap
that lints once answered and publishes into the published folder, and every table as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from escalation.analytics import drafts, report
from funddesk.db import Database, Incident, IncidentStatus, database_url
from knowledge_base.lint import lint
from knowledge_base.parser import parse_file
from knowledge_base.published import published_dir
from tests.web.analytics_data import Traffic, paraphrase, topic
from tests.web.conftest import Api, MakeApi
from tests.web.staff_helpers import StaffClient, add_user

PENSION = ["Can I hold the fund in my pension account?", "Is the fund allowed in a private pension account?",
           "pension account: can I buy this fund?", "Can my personal pension buy fund 900001?"]  # fmt: skip


@pytest.fixture
def api(make_api: MakeApi, tmp_path: Path) -> Api:
    return make_api(kb_dir=tmp_path / "faq")


@pytest.fixture
def today(api: Api) -> str:
    return datetime.now(UTC).astimezone(ZoneInfo(api.settings.timezone)).date().isoformat()


@pytest.fixture
def traffic(api: Api) -> Iterator[None]:
    """Today: a contained conversation, and investors asking about pension accounts, which no entry answers."""
    db = Database.from_url(database_url("", api.settings.data_dir))
    now = datetime.now(UTC)
    midnight = datetime.combine(
        now.astimezone(ZoneInfo(api.settings.timezone)).date(), time(), ZoneInfo(api.settings.timezone)
    )
    moment = max(now - timedelta(minutes=5), midnight.astimezone(UTC))  # today, even in its first five minutes
    try:
        with db.session(write=True) as session:
            data = Traffic(session, moment)
            contained = data.conversation()
            data.question(contained, "How do I redeem?", "answer", entry_id="redemption-arrival")
            data.feedback(contained, "redemption-arrival", True)
            data.feedback(contained, "redemption-arrival", False)
            direction = topic(7)
            for n, text in enumerate(PENSION):
                asking = data.conversation()
                data.question(asking, text, "fallback", embedding=paraphrase(direction, n), cluster_id="c9",
                              at=moment + timedelta(seconds=n))  # fmt: skip
            data.handoff(asking, "fallback", first_response_after=30, resolved_after=300)
            session.add(
                Incident(
                    key="i1", cluster_id="c3", label="Why did 900001 fall?", team_id="service-desk",
                    status=IncidentStatus.ANSWERED, started_at=moment, detected_at=moment, count=34, baseline=0.4,
                    answered_at=moment + timedelta(minutes=12),
                )
            )  # fmt: skip
        yield
    finally:
        db.dispose()


def _staff(api: Api, name: str, role: str, team: str = "service-desk") -> StaffClient:
    add_user(api, name, role, [team])
    client = StaffClient(api, name)
    assert client.login().status_code == 200
    return client


def test_agents_get_403_and_leads_and_admins_get_the_summary(api: Api, traffic: None, today: str) -> None:
    query = f"?from={today}&to={today}"
    agent, lead, admin = _staff(api, "ann", "agent"), _staff(api, "lee", "lead"), _staff(api, "ada", "admin")
    for path in ("summary", "gaps", "export/overview.csv", "charts/heatmap.svg"):
        assert agent.request("get", f"/api/v1/staff/analytics/{path}{query}").status_code == 403
    assert agent.request("post", "/api/v1/staff/analytics/gaps/gap-c9/draft").status_code == 403
    for member in (lead, admin):
        assert member.request("get", f"/api/v1/staff/analytics/summary{query}").status_code == 200


def test_without_a_session_the_analytics_are_401(api: Api) -> None:
    assert api.request("get", "/api/v1/staff/analytics/summary").status_code == 401


def test_the_summary_holds_the_contracts_keys(api: Api, traffic: None, today: str) -> None:
    body = _staff(api, "lee", "lead").request("get", f"/api/v1/staff/analytics/summary?from={today}&to={today}").json()
    assert body["conversations"] == 5 and body["messages"] == 5
    assert body["containment_rate"] == pytest.approx(4 / 5)
    assert (body["answer_rate"], body["clarify_rate"], body["fallback_rate"]) == (0.2, 0.0, 0.8)
    assert body["handoffs"] == {"fallback": 1}
    assert body["feedback"] == {"helpful": 1, "not_helpful": 1}


def test_a_lead_may_ask_for_their_team_but_not_for_another(api: Api, traffic: None, today: str) -> None:
    lead = _staff(api, "lee", "lead")
    mine = lead.request("get", f"/api/v1/staff/analytics/summary?from={today}&to={today}&team=service-desk")
    assert mine.status_code == 200 and mine.json()["conversations"] == 5
    assert lead.request("get", "/api/v1/staff/analytics/summary?team=trading-desk").status_code == 403


def test_a_bad_range_is_400(api: Api) -> None:
    lead = _staff(api, "lee", "lead")
    assert lead.request("get", "/api/v1/staff/analytics/summary?from=2026-12-02&to=2026-12-01").status_code == 400
    assert lead.request("get", "/api/v1/staff/analytics/gaps?from=yesterday").status_code == 400


def test_the_gaps_are_listed_largest_first_with_masked_samples_languages_and_funds(
    api: Api, traffic: None, today: str
) -> None:
    body = _staff(api, "lee", "lead").request("get", f"/api/v1/staff/analytics/gaps?from={today}&to={today}").json()
    [gap] = body["gaps"]
    assert gap["id"] == "gap-c9" and gap["size"] == 4
    assert sorted(gap["samples"]) == sorted(PENSION)
    assert gap["languages"] == ["en"] and gap["funds"] == []


def test_a_gaps_draft_is_one_faq_file_that_lints_once_answered_and_publishes_live(
    api: Api, traffic: None, today: str, tmp_path: Path
) -> None:
    lead = _staff(api, "lee", "lead")
    drafted = lead.request("post", f"/api/v1/staff/analytics/gaps/gap-c9/draft?from={today}&to={today}")
    assert drafted.status_code == 200, drafted.text
    body = drafted.json()
    markdown, path = body["markdown"], Path(body["path"])
    assert path.read_text(encoding="utf-8") == markdown and path.is_relative_to(api.settings.data_dir / "drafts")
    folder = tmp_path / "check"
    folder.mkdir()
    (folder / "draft.md").write_text(markdown, encoding="utf-8")
    assert [p.message for p in lint(folder) if p.severity == "error"] == ["empty answer (the list under the "
            "heading holds alternative phrasings; write the answer after it)"]  # fmt: skip
    answered = markdown.rstrip() + "\n\nYes: any fund on our platform may be held in a personal pension account.\n"
    (folder / "draft.md").write_text(answered, encoding="utf-8")
    assert lint(folder) == []
    [entry] = parse_file(folder / "draft.md", folder).entries
    assert entry.team == "service-desk" and entry.question in PENSION
    assert sorted([entry.question, *entry.alternatives]) == sorted(PENSION)
    assert not list(published_dir(api.settings).rglob("*.md"))  # a draft is not published

    unanswered = lead.request("post", f"/api/v1/staff/analytics/drafts/{body['entry_id']}/publish",
                              json={"markdown": markdown})  # fmt: skip
    assert unanswered.status_code == 400 and "empty answer" in unanswered.text
    [empty] = unanswered.json()["error"]["problems"]  # each problem on its own, in every console language
    assert empty["code"] == "empty_answer_after_list" and empty["messages"]["zh"].startswith("答案为空")
    done = lead.request(
        "post", f"/api/v1/staff/analytics/drafts/{body['entry_id']}/publish", json={"markdown": answered}
    )
    assert done.status_code == 200, done.text
    assert done.json()["entries"] == [body["entry_id"]]  # what the published file serves
    target = Path(done.json()["path"])
    assert target.is_relative_to(published_dir(api.settings)) and target.read_text(encoding="utf-8") == answered
    assert not path.exists()


def test_a_published_gap_is_listed_and_taken_back_by_removing_its_file(api: Api, traffic: None, today: str) -> None:
    lead = _staff(api, "lee", "lead")
    base = "/api/v1/staff/analytics"
    assert lead.request("get", f"{base}/published").json() == {"published": []}
    markdown = lead.request("post", f"{base}/gaps/gap-c9/draft?from={today}&to={today}").json()["markdown"]
    answered = markdown.rstrip() + "\n\nYes, in a personal pension account.\n"
    path = Path(lead.request("post", f"{base}/drafts/gap-c9/publish", json={"markdown": answered}).json()["path"])

    [listed] = lead.request("get", f"{base}/published").json()["published"]
    assert (listed["entry_id"], listed["entries"], Path(listed["path"])) == ("gap-c9", ["gap-c9"], path)
    assert datetime.fromisoformat(listed["published_at"]) <= datetime.now(UTC)
    assert lead.request("delete", f"{base}/published/gap-c9").status_code == 204
    assert not path.exists() and lead.request("get", f"{base}/published").json() == {"published": []}
    [audit] = [
        e for e in lead.request("get", "/api/v1/staff/audit").json()["entries"] if e["action"] == "gap_unpublish"
    ]
    assert audit["detail"] == {"entry": "gap-c9"}

    again = lead.request("delete", f"{base}/published/gap-c9")
    assert again.status_code == 404 and again.json()["error"]["code"] == "not_published"
    assert lead.request("delete", f"{base}/published/..%2Fsecrets").status_code == 404  # no gap id: nothing there
    assert _staff(api, "amy", "agent").request("delete", f"{base}/published/gap-c9").status_code == 403


def _answer(team: str, entry: str = "gap-c9", question: str = PENSION[0]) -> str:
    return f"---\nteam: {team}\n---\n## {question} {{#{entry}}}\n\nYes.\n"


def test_a_lead_may_not_publish_in_another_teams_name_and_nothing_is_written(api: Api) -> None:
    lead = _staff(api, "lee", "lead")
    base = "/api/v1/staff/analytics"
    refused = lead.request("post", f"{base}/drafts/gap-c9/publish", json={"markdown": _answer("trading-desk")})
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == "other_team" and "'trading-desk'" in error["message"]
    nameless = "## Can I hold the fund in my pension account? {#gap-c9}\n\nYes.\n"  # speaks for no team
    assert lead.request("post", f"{base}/drafts/gap-c9/publish", json={"markdown": nameless}).status_code == 403
    assert not list(published_dir(api.settings).rglob("*.md"))


def test_an_admin_may_publish_for_any_team(api: Api) -> None:
    admin = _staff(api, "ada", "admin")
    done = admin.request(
        "post", "/api/v1/staff/analytics/drafts/gap-c9/publish", json={"markdown": _answer("trading-desk")}
    )
    assert done.status_code == 200, done.text
    assert Path(done.json()["path"]).read_text(encoding="utf-8") == _answer("trading-desk")


def test_a_lead_may_neither_take_back_nor_replace_another_teams_published_gap(api: Api) -> None:
    base = "/api/v1/staff/analytics"
    theirs = _staff(api, "tom", "lead", team="trading-desk")
    done = theirs.request("post", f"{base}/drafts/gap-c9/publish", json={"markdown": _answer("trading-desk")})
    path = Path(done.json()["path"])
    lead = _staff(api, "lee", "lead")
    taken = lead.request("delete", f"{base}/published/gap-c9")
    assert taken.status_code == 403 and taken.json()["error"]["code"] == "other_team"
    replaced = lead.request("post", f"{base}/drafts/gap-c9/publish", json={"markdown": _answer("service-desk")})
    assert replaced.status_code == 403 and "'trading-desk'" in replaced.json()["error"]["message"]
    assert path.read_text(encoding="utf-8") == _answer("trading-desk")  # still theirs, still served
    assert lead.request("delete", f"{base}/published/gap-c404").status_code == 404  # nothing published: still 404
    assert theirs.request("delete", f"{base}/published/gap-c9").status_code == 204


def test_a_lead_lists_only_their_teams_published_gaps_and_an_admin_all_with_their_teams(api: Api) -> None:
    base = "/api/v1/staff/analytics"
    admin = _staff(api, "ada", "admin")
    for entry, team, question in (("gap-c1", "service-desk", PENSION[0]), ("gap-c2", "trading-desk", PENSION[1])):
        answered = _answer(team, entry, question)
        published = admin.request("post", f"{base}/drafts/{entry}/publish", json={"markdown": answered})
        assert published.status_code == 200, published.text
    everything = admin.request("get", f"{base}/published").json()["published"]
    assert sorted((gap["entry_id"], gap["teams"]) for gap in everything) == [
        ("gap-c1", ["service-desk"]),
        ("gap-c2", ["trading-desk"]),
    ]
    [mine] = _staff(api, "lee", "lead").request("get", f"{base}/published").json()["published"]
    assert (mine["entry_id"], mine["entries"], mine["teams"]) == ("gap-c1", ["gap-c1"], ["service-desk"])
    assert set(mine) >= {"entry_id", "path", "entries", "published_at"}  # the contract's keys stay


def test_taking_back_a_published_gap_makes_its_published_text_the_gaps_draft_again(api: Api) -> None:
    base = "/api/v1/staff/analytics"
    lead = _staff(api, "lee", "lead")
    assert lead.request("post", f"{base}/drafts/gap-c9/publish", json={"markdown": _answer("service-desk")}).is_success
    assert not drafts.draft_path(api.settings, "gap-c9").exists()  # publishing dropped the draft
    assert lead.request("delete", f"{base}/published/gap-c9").status_code == 204
    assert drafts.draft_path(api.settings, "gap-c9").read_text(encoding="utf-8") == _answer("service-desk")
    assert not list(published_dir(api.settings).rglob("*.md"))


def test_drafting_a_gap_again_returns_the_teams_saved_draft_unless_asked_for_a_fresh_one(
    api: Api, traffic: None, today: str
) -> None:
    lead = _staff(api, "lee", "lead")
    url = f"/api/v1/staff/analytics/gaps/gap-c9/draft?from={today}&to={today}"
    first = lead.request("post", url).json()
    assert first["kept"] is False
    written = first["markdown"].rstrip() + "\n\nYes, in a personal pension account.\n"
    drafts.save_draft(api.settings, first["entry_id"], written)  # the team's answer, e.g. restored by a take-back
    again = lead.request("post", url).json()
    assert (again["markdown"], again["kept"], again["path"]) == (written, True, first["path"])
    fresh = lead.request("post", url + "&fresh=1").json()
    assert (fresh["markdown"], fresh["kept"]) == (first["markdown"], False)


def test_a_lead_drafts_a_gap_near_another_teams_entries_in_their_own_teams_name(
    api: Api, traffic: None, today: str
) -> None:
    tom = _staff(api, "tom", "lead", team="trading-desk")
    drafted = tom.request("post", f"/api/v1/staff/analytics/gaps/gap-c9/draft?from={today}&to={today}").json()
    assert "team: trading-desk" in drafted["markdown"]  # the gap sits near service-desk's entries
    answered = drafted["markdown"].rstrip() + "\n\nYes, in a personal pension account.\n"
    published = tom.request("post", "/api/v1/staff/analytics/drafts/gap-c9/publish", json={"markdown": answered})
    assert published.status_code == 200, published.text


def test_publishing_and_taking_back_a_gap_are_in_its_teams_audit(api: Api) -> None:
    base = "/api/v1/staff/analytics"
    lead = _staff(api, "lee", "lead")
    assert lead.request("post", f"{base}/drafts/gap-c9/publish", json={"markdown": _answer("service-desk")}).is_success
    assert lead.request("delete", f"{base}/published/gap-c9").status_code == 204
    colleague = _staff(api, "liz", "lead")  # a lead sees their teams' entries, not only their own doings
    audit = colleague.request("get", "/api/v1/staff/audit").json()["entries"]
    assert {e["action"] for e in audit} >= {"gap_publish", "gap_unpublish"}


def test_drafting_an_unknown_gap_is_404(api: Api, traffic: None) -> None:
    assert _staff(api, "lee", "lead").request("post", "/api/v1/staff/analytics/gaps/gap-nope/draft").status_code == 404


def test_every_table_exports_as_csv_with_the_apis_numbers(api: Api, traffic: None, today: str) -> None:
    lead = _staff(api, "lee", "lead")
    query = f"?from={today}&to={today}"
    for table in report.TABLES:
        response = lead.request("get", f"/api/v1/staff/analytics/export/{table}.csv{query}")
        assert response.status_code == 200, table
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(response.text)))
        assert len(rows) >= 2, table  # a header and at least one row of today's traffic
    overview = dict(
        csv.reader(io.StringIO(lead.request("get", f"/api/v1/staff/analytics/export/overview.csv{query}").text))
    )
    assert overview["conversations"] == "5" and float(overview["fallback_rate"]) == 0.8
    assert lead.request("get", "/api/v1/staff/analytics/export/nothing.csv").status_code == 404


def test_an_export_for_excel_is_the_same_csv_after_a_byte_order_mark_and_the_plain_one_has_none(
    api: Api, traffic: None, today: str
) -> None:
    lead = _staff(api, "lee", "lead")
    plain = lead.request("get", f"/api/v1/staff/analytics/export/gaps.csv?from={today}&to={today}")
    excel = lead.request("get", f"/api/v1/staff/analytics/export/gaps.csv?from={today}&to={today}&excel=1")
    assert excel.status_code == 200 and excel.headers["content-type"] == plain.headers["content-type"]
    assert excel.content == b"\xef\xbb\xbf" + plain.content
    assert not plain.content.startswith(b"\xef\xbb\xbf")  # the contract's export is unchanged
    refused = lead.request("get", "/api/v1/staff/analytics/export/gaps.csv?excel=maybe")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "bad_excel"


def test_the_charts_are_svg_drawn_from_the_summary(api: Api, traffic: None, today: str) -> None:
    lead = _staff(api, "lee", "lead")
    for chart in ("questions", "handoffs", "incidents", "heatmap"):
        response = lead.request("get", f"/api/v1/staff/analytics/charts/{chart}.svg?from={today}&to={today}")
        assert response.status_code == 200 and response.headers["content-type"] == "image/svg+xml"
        assert response.text.startswith("<svg") and "<script" not in response.text
    heatmap = lead.request("get", f"/api/v1/staff/analytics/charts/heatmap.svg?from={today}&to={today}").text
    assert heatmap.count('class="cell"') == 7 * 24 and 'data-value="5"' in heatmap


def test_the_charts_speak_the_consoles_language_and_refuse_another(api: Api, traffic: None, today: str) -> None:
    lead = _staff(api, "lee", "lead")
    query = f"?from={today}&to={today}"
    heatmap = lead.request("get", f"/api/v1/staff/analytics/charts/heatmap.svg{query}&lang=zh").text
    assert "最繁忙时段" in heatmap and "周一" in heatmap and "Busiest" not in heatmap
    handoffs = lead.request("get", f"/api/v1/staff/analytics/charts/handoffs.svg{query}&lang=zh").text
    assert "按原因统计的转人工" in handoffs
    english = lead.request("get", f"/api/v1/staff/analytics/charts/heatmap.svg{query}").text
    assert "Busiest hours" in english and "Mon" in english
    reasons = lead.request("get", f"/api/v1/staff/analytics/charts/handoffs.svg{query}").text
    assert "Bot could not answer" in reasons and ">fallback<" not in reasons  # as the console's tables say it
    refused = lead.request("get", f"/api/v1/staff/analytics/charts/heatmap.svg{query}&lang=fr")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "bad_lang"

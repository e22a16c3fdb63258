"""`python -m actions`: rasa-sdk's app with the knowledge base loaded at start, not at import."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
import rasa_sdk
from sanic import Sanic

with warnings.catch_warnings():
    # sanic-testing imports websockets.legacy (deprecated upstream); pyproject's "error" filter
    # for the project's `web.*` modules also matches "websockets".
    warnings.simplefilter("ignore", DeprecationWarning)
    import sanic_testing  # noqa: F401

from actions import runtime
from actions.__main__ import build_app, handoff_router
from escalation.spikes.watch import IncidentsUnwritten, SpikeWatch
from escalation.staff.teams import BadTeamsFile
from funddesk.db import Database, database_url
from funddesk.settings import Settings
from funddesk.stack import migrate_database
from knowledge_base.embedder import HashingEmbedder
from tests.conftest import WriteFaq

FAQ = """
## How do I change the bank card linked to my account? {#change-bank-card}

Open Account > Bank cards.
"""


@pytest.fixture
def app(faq_dir: Path, write_faq: WriteFaq, tmp_path: Path) -> Sanic[Any, Any]:
    Sanic.test_mode = True
    write_faq("accounts.md", FAQ)
    settings = Settings(kb_dir=faq_dir, data_dir=tmp_path / "var", funds_file=tmp_path / "none.yml")
    migrate_database(database_url(settings.database_url, settings.data_dir))  # as a launcher does
    return build_app(settings, embedder=HashingEmbedder())


def action_call(action: str, text: str, intent: str = "ask_question", **slots: Any) -> dict[str, Any]:
    latest = {"text": text, "intent": {"name": intent}, "entities": []}
    tracker = {"sender_id": "t", "slots": slots, "latest_message": latest, "events": [], "paused": False}
    return {"next_action": action, "sender_id": "t", "tracker": tracker, "domain": {}, "version": rasa_sdk.__version__}


def test_building_the_app_loads_nothing(app: Sanic[Any, Any]) -> None:
    with pytest.raises(runtime.NotLoaded):
        runtime.knowledge_base()
    with pytest.raises(runtime.NotLoaded):
        runtime.router()


def test_the_server_answers_health_and_runs_actions_against_the_loaded_kb(app: Sanic[Any, Any]) -> None:
    _, health = app.test_client.get("/health")
    assert health.status == 200
    _, response = app.test_client.post(
        "/webhook", json=action_call("action_answer_faq", "How do I change the bank card linked to my account?")
    )
    assert response.status == 200
    assert response.json["responses"][0]["text"] == "Open Account > Bank cards."
    slots = {e["name"]: e["value"] for e in response.json["events"]}
    assert slots["faq_id"] == "change-bank-card"


def test_a_path_the_server_does_not_serve_is_a_404_not_a_500(app: Sanic[Any, Any]) -> None:
    _, missing = app.test_client.get("/metrics")  # no metrics token configured: no such route
    assert missing.status == 404 and missing.json["error"]["code"] == "not_found"
    _, wrong = app.test_client.get("/webhook")
    assert wrong.status == 405


def test_the_server_sends_rasa_only_the_slots_an_action_changes(app: Sanic[Any, Any]) -> None:
    # The same question again, in a conversation already holding what the first answer set.
    question = "How do I change the bank card linked to my account?"
    _, first = app.test_client.post("/webhook", json=action_call("action_answer_faq", question))
    held = {e["name"]: e["value"] for e in first.json["events"]}
    _, again = app.test_client.post("/webhook", json=action_call("action_answer_faq", question, **held))
    assert again.json["responses"] == first.json["responses"]
    assert again.json["events"] == []


def test_the_server_routes_hand_offs_with_the_configured_teams(app: Sanic[Any, Any]) -> None:
    _, response = app.test_client.post(
        "/webhook", json=action_call("action_escalate", "talk to a person", "request_human", faq_id="change-bank-card")
    )
    assert response.status == 200
    assert response.json["responses"][0]["custom"]["team"] == "service-desk"  # the entry has no team, no fund


def test_the_router_reads_the_teams_file_and_the_funds_teams(tmp_path: Path) -> None:
    teams = tmp_path / "teams.yml"
    teams.write_text("teams:\n  - id: service-desk\n  - id: savings-plans\n", encoding="utf-8")
    funds = tmp_path / "funds.yml"
    funds.write_text('funds:\n  - code: "900003"\n    team: savings-plans\n', encoding="utf-8")
    router = handoff_router(Settings(teams_file=teams, funds_file=funds, default_team="service-desk"))
    assert router.route(entry_team="complaints", fund_code="900003") == "savings-plans"
    assert router.route(entry_team=None, fund_code=None) == "service-desk"


def test_a_broken_teams_file_is_an_error_not_a_silent_default_queue(tmp_path: Path) -> None:
    broken = tmp_path / "teams.yml"
    broken.write_text("teams: nobody\n", encoding="utf-8")
    with pytest.raises(BadTeamsFile):
        handoff_router(Settings(teams_file=broken))


def test_the_knowledge_base_is_closed_when_the_server_stops(app: Sanic[Any, Any]) -> None:
    app.test_client.get("/health")
    with pytest.raises(runtime.NotLoaded):
        runtime.knowledge_base()


def test_the_server_does_its_database_work_on_one_pool_and_disposes_it_when_it_stops(
    app: Sanic[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    disposed: list[Database] = []
    monkeypatch.setattr(Database, "dispose", lambda self: disposed.append(self))
    app.test_client.get("/health")
    assert app.ctx.kb_status.db is app.ctx.spikes.db is app.ctx.db
    assert disposed == [app.ctx.db]


def test_the_knowledge_base_is_closed_even_when_the_spike_watch_fails_to_close(
    app: Sanic[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, a spike watch that raised at the stop (the database gone, an incident it still refused) left the
    knowledge base's watcher threads running."""

    def refused(self: SpikeWatch) -> None:
        raise IncidentsUnwritten("incidents ['i1'] are not written yet")

    monkeypatch.setattr(SpikeWatch, "close", refused)
    app.test_client.get("/health")
    assert app.ctx.kb._stop.is_set()


def test_every_action_is_listed(app: Sanic[Any, Any]) -> None:
    _, response = app.test_client.get("/actions")
    assert {a["name"] for a in response.json} == {
        "action_answer_faq",
        "action_back_from_staff",
        "action_decline_human",
        "action_detect_language",
        "action_escalate",
        "action_feedback",
    }

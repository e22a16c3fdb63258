"""The investor API, in process: conversations, answers, history, hand-off and the rest of the surface (every
error status and limit, with nothing half-stored: test_api_errors.py)."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from funddesk.db import Database, Message, Role, State, database_url, repository
from tests.doubles.fake_rasa import ENTRIES
from tests.web.conftest import Api, MakeApi

INJECTION = "<img src=x onerror=alert(1)>"


def error_of(response: httpx.Response) -> str:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert response.headers["content-type"].startswith("application/json")
    return str(body["error"]["code"])


def stored_messages(api: Api, conversation_id: str) -> list[Message]:
    db = Database.from_url(database_url("", api.settings.data_dir))
    try:
        with db.session() as session:
            return list(repository.history(session, conversation_id))
    finally:
        db.dispose()


# -- starting a conversation ------------------------------------------------------------------


def test_starting_a_conversation_returns_201_with_an_id_and_an_unguessable_token(api: Api) -> None:
    first = api.request("post", "/api/v1/conversations", json={"lang": "zh"})
    second = api.request("post", "/api/v1/conversations")
    assert first.status_code == second.status_code == 201
    assert set(first.json()) == {"conversation_id", "token"}
    assert first.json()["conversation_id"] != second.json()["conversation_id"]
    assert len(first.json()["token"]) >= 40
    assert api.counts()["conversations"] == 2


def test_starting_a_conversation_in_an_unknown_language_returns_400_and_stores_nothing(api: Api) -> None:
    response = api.request("post", "/api/v1/conversations", json={"lang": "fr"})
    assert (response.status_code, error_of(response)) == (400, "invalid_lang")
    assert api.counts()["conversations"] == 0


# -- answers, clarify, feedback, history ------------------------------------------------------


def test_a_faq_question_gets_the_whole_answer_then_the_feedback_prompt(api: Api) -> None:
    conversation, auth = api.start()
    response = api.say(conversation, auth, text="How long until my redemption money arrives?")
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "bot"
    answer, prompt = body["messages"]
    assert (answer["role"], answer["text"]) == ("bot", ENTRIES["redemption-arrival"].answer)
    assert prompt["text"] == "Did that answer your question?"
    assert prompt["buttons"] == [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]


def test_a_bot_answer_is_stored_with_its_entry_version_score_and_decision(api: Api) -> None:
    conversation, auth = api.start()
    api.say(conversation, auth, text="How do I redeem?")
    question, answer, prompt = stored_messages(api, conversation)
    assert (question.role, question.text, question.language) == (Role.INVESTOR, "How do I redeem?", "en")
    entry = ENTRIES["redemption-arrival"]
    assert (answer.entry_id, answer.entry_version, answer.decision) == (entry.id, entry.version, "answer")
    assert answer.score == pytest.approx(0.93)
    assert answer.meta is not None and answer.meta["type"] == "faq_match"
    assert prompt.entry_id is None and prompt.buttons is not None


def test_a_clarify_button_click_answers_the_chosen_entry_and_is_stored_as_its_title(api: Api) -> None:
    conversation, auth = api.start()
    offered = api.say(conversation, auth, text="what are the fees?").json()["messages"][0]
    assert [b["title"] for b in offered["buttons"]] == ["What is the subscription fee?", "What is the redemption fee?"]
    response = api.say(conversation, auth, payload=offered["buttons"][1]["payload"])
    assert response.json()["messages"][0]["text"] == ENTRIES["redemption-fee"].answer
    click = stored_messages(api, conversation)[2]
    assert (click.text, click.payload) == ("What is the redemption fee?", offered["buttons"][1]["payload"])
    assert stored_messages(api, conversation)[3].decision == "chosen"


def test_typed_text_cannot_pose_as_a_button_or_a_command(api: Api) -> None:
    conversation, auth = api.start()
    said = api.say(conversation, auth, text="/request_human").json()
    assert said["state"] == "bot"  # asked as a question, not obeyed as a command
    assert stored_messages(api, conversation)[0].text == "/request_human"  # kept as typed


def test_feedback_on_an_answer_is_recorded_against_that_answer(api: Api) -> None:
    conversation, auth = api.start()
    api.say(conversation, auth, text="How do I redeem?")
    thanks = api.say(conversation, auth, payload="/affirm").json()["messages"]
    assert thanks[0]["text"] == "Glad I could help! Anything else?"
    db = Database.from_url(database_url("", api.settings.data_dir))
    with db.session() as session:
        [feedback] = repository.feedback_for(session, conversation)
        answer = repository.latest_answer(session, conversation)
    db.dispose()
    assert answer is not None
    assert (feedback.helpful, feedback.message_id, feedback.entry_id) == (True, answer.id, "redemption-arrival")
    assert feedback.entry_version == ENTRIES["redemption-arrival"].version


def test_the_history_has_every_message_in_order_with_the_state(api: Api) -> None:
    conversation, auth = api.start()
    api.say(conversation, auth, text="How do I redeem?")
    api.say(conversation, auth, payload="/deny")
    response = api.request("get", f"/api/v1/conversations/{conversation}/messages", headers=auth)
    assert response.status_code == 200
    body = response.json()
    assert [(m["role"], m["text"][:12]) for m in body["messages"]] == [
        ("investor", "How do I red"),
        ("bot", "Redemption p"),
        ("bot", "Did that ans"),
        ("investor", "No"),
        ("bot", "Sorry that d"),
    ]
    ids = [m["id"] for m in body["messages"]]
    assert ids == sorted(ids) and body["state"] == "bot"
    assert body["messages"][3]["payload"] == "/deny"
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+Z", m["created_at"]) for m in body["messages"])


def test_the_injection_message_is_stored_and_returned_exactly_as_written(api: Api) -> None:
    conversation, auth = api.start()
    assert api.say(conversation, auth, text=INJECTION).status_code == 200
    history = api.request("get", f"/api/v1/conversations/{conversation}/messages", headers=auth)
    assert history.headers["content-type"].startswith("application/json")
    assert history.json()["messages"][0]["text"] == INJECTION
    assert stored_messages(api, conversation)[0].text == INJECTION


def test_a_chinese_question_is_stored_as_chinese(api: Api) -> None:
    conversation, auth = api.start(lang="zh")
    reply = api.say(conversation, auth, text="赎回的钱多久到账？").json()["messages"]
    assert reply[0]["text"] == ENTRIES["zh-redemption-arrival"].answer
    assert [m.language for m in stored_messages(api, conversation)[:2]] == ["zh", "zh"]


# -- hand-off: the bot steps aside ------------------------------------------------------------


def test_a_handoff_with_staff_connected_moves_the_conversation_to_waiting_and_silences_the_bot(
    make_api: MakeApi,
) -> None:
    asked: list[str] = []

    def bot(request: httpx.Request) -> httpx.Response:
        asked.append(json.loads(request.content)["message"])
        custom = {"type": "handoff_requested", "team": "trading-desk", "staff_connected": True}
        return httpx.Response(200, json=[{"text": "A colleague will join shortly."}, {"custom": custom}])

    api = make_api(httpx.MockTransport(bot))
    conversation, auth = api.start()
    assert api.say(conversation, auth, text="talk to a person").json()["state"] == "waiting"
    later = api.say(conversation, auth, text="hello?")
    assert later.json() == {"messages": [], "state": "waiting", "queue": later.json()["queue"]}
    assert later.json()["queue"]["position"] == 1  # the place comes with the state it belongs to
    history = api.request("get", f"/api/v1/conversations/{conversation}/messages", headers=auth).json()
    assert (history["state"], history["queue"]["position"]) == ("waiting", 1)
    assert asked == ["talk to a person"]
    assert [m.text for m in stored_messages(api, conversation)][-1] == "hello?"
    db = Database.from_url(database_url("", api.settings.data_dir))
    with db.session() as session:
        found = repository.find_conversation(session, conversation)
        assert found is not None and found.state is State.WAITING
    db.dispose()


# -- the rest of the surface ------------------------------------------------------------------


def test_the_openapi_document_describes_the_investor_and_staff_apis(api: Api) -> None:
    response = api.request("get", "/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    investor = {path for path in document["paths"] if not path.startswith("/api/v1/staff/")}
    assert investor == {
        "/api/v1/conversations",
        "/api/v1/conversations/{conversation_id}/messages",
        "/api/v1/conversations/{conversation_id}/ws",
    }
    assert {"/api/v1/staff/session", "/api/v1/staff/queues", "/api/v1/staff/live"} <= set(document["paths"])
    schemes = document["components"]["securitySchemes"]
    assert schemes["token"] == {"type": "http", "scheme": "bearer"}
    assert schemes["staff_session"] == {"type": "apiKey", "in": "cookie", "name": "funddesk_staff"}


def test_a_browser_on_another_site_may_call_the_api(api: Api) -> None:
    preflight = api.request(
        "options",
        "/api/v1/conversations/abc/messages",
        headers={
            "Origin": "https://funds.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] in ("*", "https://funds.example.com")
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()


def test_health_answers_200(api: Api) -> None:
    assert api.request("get", "/health").json() == {"status": "ok"}

"""The investor API, in process: every status code of the contract, and nothing half-stored."""

from __future__ import annotations

import asyncio
import json
import logging
import re

import httpx
import pytest

from funddesk.db import Database, Role, State, database_url, repository
from tests.doubles.fake_rasa import ENTRIES
from tests.web.conftest import Api, MakeApi

INJECTION = "<img src=x onerror=alert(1)>"


def error_of(response: httpx.Response) -> str:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert response.headers["content-type"].startswith("application/json")
    return str(body["error"]["code"])


def stored_messages(api: Api, conversation_id: str) -> list[repository.Message]:
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


# -- 400: nothing stored ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "malformed_json"),
        (b"", "malformed_json"),
        (b'["a list"]', "malformed_json"),
        (json.dumps({"text": ""}).encode(), "empty_text"),
        (json.dumps({"text": " \n\t"}).encode(), "empty_text"),
        (json.dumps({"text": "x" * 2001}).encode(), "text_too_long"),
        (json.dumps({"text": 42}).encode(), "invalid_message"),
        (json.dumps({"text": "hi", "payload": "/affirm"}).encode(), "invalid_message"),
        (json.dumps({}).encode(), "invalid_message"),
        (json.dumps({"payload": "/request_human"}).encode(), "unknown_button"),
        (json.dumps({"payload": ""}).encode(), "invalid_payload"),
    ],
)
def test_a_bad_message_returns_400_and_stores_nothing(api: Api, body: bytes, code: str) -> None:
    conversation, auth = api.start()
    before = api.counts()
    response = api.request("post", f"/api/v1/conversations/{conversation}/messages", content=body, headers=auth)
    assert (response.status_code, error_of(response)) == (400, code)
    assert api.counts() == before


def test_a_message_of_exactly_2000_characters_is_accepted(api: Api) -> None:
    conversation, auth = api.start()
    assert api.say(conversation, auth, text="é" * 2000).status_code == 200
    assert stored_messages(api, conversation)[0].text == "é" * 2000


# -- 401 and 404 ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "missing_token"),
        ({"Authorization": "Bearer"}, "missing_token"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "missing_token"),
        ({"Authorization": "Bearer not-the-token"}, "invalid_token"),
    ],
)
def test_a_missing_or_wrong_token_returns_401_and_stores_nothing(api: Api, headers: dict[str, str], code: str) -> None:
    conversation, _ = api.start()
    before = api.counts()
    post = api.say(conversation, headers, text="How do I redeem?")
    get = api.request("get", f"/api/v1/conversations/{conversation}/messages", headers=headers)
    assert (post.status_code, error_of(post)) == (get.status_code, error_of(get)) == (401, code)
    assert post.headers["www-authenticate"].startswith("Bearer")
    assert api.counts() == before


def test_another_conversations_token_does_not_open_this_one(api: Api) -> None:
    mine, _ = api.start()
    _, theirs = api.start()
    response = api.request("get", f"/api/v1/conversations/{mine}/messages", headers=theirs)
    assert (response.status_code, error_of(response)) == (401, "invalid_token")


def test_an_unknown_conversation_returns_404_and_stores_nothing(api: Api) -> None:
    _, auth = api.start()
    before = api.counts()
    post = api.say("0" * 32, auth, text="hello")
    get = api.request("get", "/api/v1/conversations/nope/messages", headers=auth)
    assert (post.status_code, error_of(post)) == (get.status_code, error_of(get)) == (404, "conversation_not_found")
    assert api.counts() == before


def test_an_unknown_route_gets_the_same_json_error_shape(api: Api) -> None:
    response = api.request("get", "/api/v1/nothing-here")
    assert (response.status_code, error_of(response)) == (404, "not_found")


# -- 413 and 429 ------------------------------------------------------------------------------


def test_an_oversized_body_returns_413_and_stores_nothing(make_api: MakeApi) -> None:
    api = make_api(web_max_body=16384)
    conversation, auth = api.start()
    before = api.counts()
    body = json.dumps({"text": "x" * 20000}).encode()
    response = api.request("post", f"/api/v1/conversations/{conversation}/messages", content=body, headers=auth)
    assert (response.status_code, error_of(response)) == (413, "payload_too_large")
    assert api.counts() == before


def test_too_many_messages_in_one_conversation_return_429_and_the_rejected_one_is_not_stored(
    make_api: MakeApi,
) -> None:
    api = make_api(web_rate_conversation=2)
    conversation, auth = api.start()
    assert [api.say(conversation, auth, text="How do I redeem?").status_code for _ in range(2)] == [200, 200]
    rejected = api.say(conversation, auth, text="And the cut-off time?")
    assert (rejected.status_code, error_of(rejected)) == (429, "conversation_rate_limited")
    assert int(rejected.headers["retry-after"]) >= 1
    assert api.counts()["investor"] == 2
    other, other_auth = api.start()
    assert api.say(other, other_auth, text="How do I redeem?").status_code == 200  # other conversations go on


def test_too_many_requests_from_one_address_return_429(make_api: MakeApi) -> None:
    api = make_api(web_rate_client=3)
    conversation, auth = api.start()
    assert api.say(conversation, auth, text="hi").status_code == 200
    assert api.say(conversation, auth, text="hello").status_code == 200
    rejected = api.say(conversation, auth, text="anyone?")
    assert (rejected.status_code, error_of(rejected)) == (429, "client_rate_limited")
    start = api.request("post", "/api/v1/conversations")
    assert (start.status_code, error_of(start)) == (429, "client_rate_limited")
    assert api.counts()["investor"] == 2 and api.counts()["conversations"] == 1


# -- when Rasa is down or slow ----------------------------------------------------------------


def _refusing(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


async def _slow(request: httpx.Request) -> httpx.Response:
    await asyncio.sleep(5)
    return httpx.Response(200, json=[])


@pytest.mark.parametrize(
    "transport",
    [
        httpx.MockTransport(_refusing),
        httpx.MockTransport(_slow),
        httpx.MockTransport(lambda request: httpx.Response(500, text="Internal Server Error")),
        httpx.MockTransport(lambda request: httpx.Response(200, text="<html>not json</html>")),
    ],
    ids=["down", "slow", "failing", "garbled"],
)
def test_when_rasa_is_unavailable_the_investor_is_told_politely_and_the_message_is_kept(
    make_api: MakeApi, transport: httpx.MockTransport
) -> None:
    api = make_api(transport, rasa_timeout=0.3, support_contact="400-000-0000")
    conversation, auth = api.start()
    response = api.say(conversation, auth, text="How do I redeem?")
    assert response.status_code == 200
    [notice] = response.json()["messages"]
    assert notice["role"] == "system"
    assert "temporarily unavailable" in notice["text"] and "400-000-0000" in notice["text"]
    assert [m.role for m in stored_messages(api, conversation)] == [Role.INVESTOR, Role.SYSTEM]


def test_the_unavailable_notice_is_in_the_investors_language(make_api: MakeApi) -> None:
    api = make_api(httpx.MockTransport(_refusing))
    conversation, auth = api.start(lang="zh")
    [notice] = api.say(conversation, auth, text="赎回多久到账").json()["messages"]
    assert "暂时无法使用" in notice["text"] and "客服热线" in notice["text"]


def test_the_transcript_keeps_a_personal_number_but_the_log_line_masks_it(
    make_api: MakeApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api = make_api(httpx.MockTransport(lambda request: httpx.Response(200, json=[])))  # the bot says nothing
    conversation, auth = api.start(lang="zh")
    text = "赎回的钱多久到账？身份证110101199003071233"
    assert api.say(conversation, auth, text=text).status_code == 200
    assert stored_messages(api, conversation)[0].text == text  # staff see it masked; revealing it is audited
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "nothing to say" in logged and "[id ••••1233]" in logged
    assert "110101199003071233" not in logged


def test_an_unexpected_failure_is_logged_and_answered_with_a_json_500(
    make_api: MakeApi, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        raise RuntimeError("a bug")

    api = make_api(httpx.MockTransport(broken))
    conversation, auth = api.start()
    response = api.say(conversation, auth, text="How do I redeem?")
    assert (response.status_code, error_of(response)) == (500, "internal_error")
    assert "a bug" not in response.text
    assert any(r.exc_info and "a bug" in str(r.exc_info[1]) for r in caplog.records)


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

"""The investor API, in process: every error status of the contract, limits, Rasa down or slow, and nothing
half-stored."""

from __future__ import annotations

import asyncio
import json
import logging

import httpx
import pytest
from sqlalchemy.exc import OperationalError

from funddesk.db import Role
from tests.web.conftest import Api, MakeApi
from tests.web.test_api import error_of, stored_messages

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


def test_a_database_still_unreachable_after_the_retry_time_gets_a_503_with_retry_after_and_nothing_is_stored(
    make_api: MakeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = make_api(db_retry_seconds=0)  # retrying itself: tests/web/test_database_retry.py
    conversation, auth = api.start()
    database = api.client.app.ctx.db

    def restarting(*args: object, **kwargs: object) -> None:
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))

    with monkeypatch.context() as patch:
        patch.setattr(database, "session", restarting)
        response = api.say(conversation, auth, text="How do I redeem?")
    assert (response.status_code, error_of(response)) == (503, "database_unavailable")
    assert response.headers["Retry-After"] == "2"
    assert stored_messages(api, conversation) == []
    assert api.say(conversation, auth, text="How do I redeem?").status_code == 200

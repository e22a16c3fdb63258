"""Hostile request bodies on the investor and staff APIs, on SQLite and on the real PostgreSQL: each
is answered with a clear 4xx JSON error, stores nothing, and the next valid message is stored and
answered. (The contract's own errors, one case each: test_api_errors.py.)"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from escalation.staff import accounts
from funddesk.db import Database, Role, StaffRole, repository
from tests.web.conftest import Api, MakeApi
from tests.web.db_fixtures import postgres_schema_url
from tests.web.staff_helpers import PASSWORD, StaffClient

EMOJI_AND_SCRIPTS = [
    "How do I redeem? 🙂👍🏽👨‍👩‍👧",
    "赎回多久到账？ how long? сколько ждать? كم من الوقت؟ 얼마나?",
    "e\u0301 cafe\u0301 — zero\u200bwidth, right-to-left \u202eevil\u202c, tab\tand\nnew line",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 beyond the BMP 𠮷",
]
SQL_INJECTION = [
    "Robert'); DROP TABLE messages;--",
    "1' OR '1'='1",
    '" OR ""="',
    "'; UPDATE conversations SET token_hash = ''; --",
    "\\'; SELECT pg_sleep(5); --",
]
# Each a body the investor API must refuse with this code, storing nothing.
HOSTILE_MESSAGES = [
    (b"\xff\xfe\xfa not utf-8", "malformed_json"),
    (b'{"text": "caf\xe9"}', "malformed_json"),  # Latin-1, not UTF-8
    (b"[" * 15_000 + b"]" * 15_000, "malformed_json"),  # nested deeper than any parser recursion
    (b'{"text": "hi"} trailing', "malformed_json"),
    (b"null", "malformed_json"),
    (b'"just a string"', "malformed_json"),
    (json.dumps({"text": ["How do I redeem?"]}).encode(), "invalid_message"),
    (json.dumps({"text": {"nested": "object"}}).encode(), "invalid_message"),
    (json.dumps({"text": True}).encode(), "invalid_message"),
    (json.dumps({"text": None}).encode(), "invalid_message"),
    (json.dumps({"payload": 7}).encode(), "invalid_payload"),
    (json.dumps({"payload": "x" * 501}).encode(), "invalid_payload"),
    (json.dumps({"text": "x" * 10_000}).encode(), "text_too_long"),
    (json.dumps({"text": "赎" * 10_000}, ensure_ascii=False).encode(), "text_too_long"),
    (json.dumps({"text": "nul \u0000 byte"}).encode(), "invalid_characters"),
    (json.dumps({"text": "escape \u001b[31m red"}).encode(), "invalid_characters"),
    (json.dumps({"text": "bell \u0007 and delete \u007f"}).encode(), "invalid_characters"),
    (b'{"text": "lone surrogate \\ud800"}', "invalid_characters"),
    (b'{"text": "encoded surrogate \xed\xa0\x80"}', "invalid_characters"),
    (json.dumps({"payload": "/affirm\u0000"}).encode(), "invalid_characters"),
]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def database(request: pytest.FixtureRequest) -> Iterator[str]:
    """The app's database URL: empty (SQLite in the data folder) or a schema of its own on PostgreSQL."""
    if request.param == "sqlite":
        yield ""
        return
    with postgres_schema_url("funddesk_bad") as url:
        yield url


@pytest.fixture
def api(make_api: MakeApi, database: str) -> Api:
    return make_api(database_url=database)


def _database(api: Api) -> Database:
    return Database.from_url(api.settings.database_url or f"sqlite:///{api.settings.data_dir / 'funddesk.sqlite3'}")


def counts(api: Api) -> dict[str, int]:
    db = _database(api)
    try:
        with db.session() as session:
            return {
                "conversations": repository.count_conversations(session),
                "messages": repository.count_messages(session),
            }
    finally:
        db.dispose()


def history(api: Api, conversation: str, auth: dict[str, str]) -> list[tuple[str, str]]:
    response = api.request("get", f"/api/v1/conversations/{conversation}/messages", headers=auth)
    assert response.status_code == 200, response.text
    return [(m["role"], m["text"]) for m in response.json()["messages"]]


def error_code(response: object) -> tuple[int, str]:
    status, body = response.status_code, response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"} and body["error"]["message"], body
    assert response.headers["content-type"].startswith("application/json")  # type: ignore[attr-defined]
    return status, str(body["error"]["code"])


# -- the investor API ----------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "code"), HOSTILE_MESSAGES, ids=range(len(HOSTILE_MESSAGES)))
def test_a_hostile_message_gets_a_clear_400_stores_nothing_and_the_next_one_is_answered(
    api: Api, body: bytes, code: str
) -> None:
    conversation, auth = api.start()
    before = counts(api)
    headers = auth | {"Content-Type": "application/json"}
    rejected = api.request("post", f"/api/v1/conversations/{conversation}/messages", content=body, headers=headers)
    assert error_code(rejected) == (400, code)
    assert counts(api) == before
    answered = api.say(conversation, auth, text="How do I redeem?")
    assert answered.status_code == 200 and answered.json()["messages"][0]["role"] == "bot"
    assert history(api, conversation, auth)[0] == ("investor", "How do I redeem?")


def test_a_body_over_the_size_limit_gets_413_stores_nothing_and_the_next_one_is_answered(api: Api) -> None:
    conversation, auth = api.start()
    before = counts(api)
    escaped = json.dumps({"text": "赎" * 10_000}).encode()  # \\uXXXX each: 60 kB, over the 32 kB default
    rejected = api.request("post", f"/api/v1/conversations/{conversation}/messages", content=escaped, headers=auth)
    assert error_code(rejected) == (413, "payload_too_large")
    assert counts(api) == before
    assert api.say(conversation, auth, text="How do I redeem?").status_code == 200


@pytest.mark.parametrize("body", [b"", b"   ", b"{}"])
def test_an_empty_body_starts_an_english_conversation_but_never_sends_a_message(api: Api, body: bytes) -> None:
    started = api.request("post", "/api/v1/conversations", content=body)
    assert started.status_code == 201
    conversation, token = started.json()["conversation_id"], started.json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    rejected = api.request("post", f"/api/v1/conversations/{conversation}/messages", content=body, headers=auth)
    assert error_code(rejected)[0] == 400
    assert history(api, conversation, auth) == []


@pytest.mark.parametrize(
    "body", [b'{"lang": 5}', b'{"lang": ["en"]}', b'{"lang": "en\\u0000"}', b"[1]", b"\xff"], ids=range(5)
)
def test_a_hostile_new_conversation_gets_400_and_creates_nothing(api: Api, body: bytes) -> None:
    before = counts(api)
    assert error_code(api.request("post", "/api/v1/conversations", content=body))[0] == 400
    assert counts(api) == before


@pytest.mark.parametrize("text", EMOJI_AND_SCRIPTS)
def test_emoji_and_mixed_scripts_are_stored_and_returned_exactly_as_written(api: Api, text: str) -> None:
    conversation, auth = api.start()
    assert api.say(conversation, auth, text=text).status_code == 200
    assert history(api, conversation, auth)[0] == ("investor", text)


def test_sql_injection_strings_round_trip_as_text_and_open_nothing(api: Api, agent: StaffClient) -> None:
    conversation, auth = api.start()
    for hostile in SQL_INJECTION:
        assert api.say(conversation, auth, text=hostile).status_code == 200
        login = api.request("post", "/api/v1/staff/session", json={"username": hostile, "password": hostile})
        assert error_code(login) == (401, "bad_login")
    said = [text for role, text in history(api, conversation, auth) if role == "investor"]
    assert said == SQL_INJECTION
    assert counts(api)["conversations"] == 1
    assert agent.request("get", "/api/v1/staff/session").status_code == 200


@pytest.mark.parametrize(
    ("path", "answer"),
    [
        ("/api/v1/conversations/%00/messages", (404, "not_found")),
        ("/api/v1/conversations/abc%1bdef/messages", (404, "not_found")),
        ("/api/v1/staff/conversations/%7f", (404, "not_found")),
        ("/api/v1/conversations/%ED%A0%80/messages", (404, "conversation_not_found")),  # read as U+FFFD
        ("/api/v1/staff/analytics/summary?team=%00", (400, "invalid_characters")),
        ("/api/v1/conversations/abc/ws?token=%00", (400, "invalid_characters")),
        ("/api/v1/staff/incidents/-712420482216936978250168474271744", (404, "not_found")),
        ("/api/v1/staff/incidents/2147483648/chart.svg", (404, "not_found")),
    ],
)
def test_a_control_character_in_the_path_names_nothing_and_in_the_query_is_a_400(
    api: Api, path: str, answer: tuple[int, str]
) -> None:
    _, auth = api.start()
    assert error_code(api.request("get", path, headers=auth)) == answer


def test_keys_the_api_does_not_read_are_ignored_whatever_they_hold(api: Api) -> None:
    conversation, auth = api.start()
    body = json.dumps({"text": "How do I redeem?", "\u0000extra": ["\u001b", {"deep": "\u0000"}]}).encode()
    sent = api.request("post", f"/api/v1/conversations/{conversation}/messages", content=body, headers=auth)
    assert sent.status_code == 200
    assert history(api, conversation, auth)[0] == ("investor", "How do I redeem?")


# -- the staff API -------------------------------------------------------------------------------


@pytest.fixture
def agent(api: Api) -> Iterator[StaffClient]:
    db = _database(api)
    with db.session(write=True) as session:
        accounts.create_user(
            session, "anna", PASSWORD, role=StaffRole.AGENT, display_name="Anna", teams=["service-desk"]
        )
    db.dispose()
    client = StaffClient(api, "anna")
    assert client.login().status_code == 200
    yield client
    client.close()


HOSTILE_REPLIES = [
    (b"{not json", 400),
    (b"", 400),
    (b"\xff\xfe", 400),
    (b"[" * 20_000, 400),
    (json.dumps({"text": 42}).encode(), 400),
    (json.dumps({"text": ["hi"]}).encode(), 400),
    (json.dumps({"text": "hi", "internal": "yes"}).encode(), 400),
    (json.dumps({"text": "x" * 10_000}).encode(), 400),
    (json.dumps({"text": "nul \u0000"}).encode(), 400),
    (b'{"text": "\\udfff"}', 400),
    (json.dumps({"text": "y" * 40_000}).encode(), 413),
]


@pytest.mark.parametrize(("body", "status"), HOSTILE_REPLIES, ids=range(len(HOSTILE_REPLIES)))
def test_a_hostile_staff_reply_gets_a_clear_4xx_stores_nothing_and_the_next_one_reaches_the_investor(
    api: Api, agent: StaffClient, body: bytes, status: int
) -> None:
    conversation, auth = api.start()
    assert agent.conversation(conversation, "handoff", json={"team_id": "service-desk"}).status_code == 201
    assert agent.conversation(conversation, "claim").status_code == 200
    before = counts(api)
    rejected = agent.request(
        "post",
        f"/api/v1/staff/conversations/{conversation}/messages",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert error_code(rejected)[0] == status
    assert counts(api) == before
    sent = agent.conversation(conversation, "messages", json={"text": "Hello from Anna 👋 您好"})
    assert sent.status_code == 201
    assert history(api, conversation, auth)[-1] == ("staff", "Hello from Anna 👋 您好")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/staff/session", {"username": "anna\u0000", "password": "x"}),
        ("/api/v1/staff/session", {"username": ["anna"], "password": "x"}),
        ("/api/v1/staff/users", {"username": "eve", "password": "long enough pw", "role": "admin", "teams": [7]}),
        ("/api/v1/staff/teams/service-desk/canned", {"shortcut": "\u001b", "text": "hi"}),
    ],
)
def test_other_staff_bodies_with_wrong_types_or_control_characters_get_400(
    api: Api, agent: StaffClient, path: str, body: dict[str, object]
) -> None:
    response = agent.request("post", path, content=json.dumps(body).encode())
    assert error_code(response)[0] in (400, 403)  # users: an agent is refused either way, never a 500
    assert agent.request("get", "/api/v1/staff/session").status_code == 200  # the session still works


def test_nothing_a_rejected_message_carried_reaches_the_transcript(api: Api) -> None:
    conversation, auth = api.start()
    for body, _ in HOSTILE_MESSAGES:
        api.request("post", f"/api/v1/conversations/{conversation}/messages", content=body, headers=auth)
    assert api.say(conversation, auth, text="How do I redeem?").status_code == 200
    roles = [role for role, _ in history(api, conversation, auth)]
    assert roles.count(Role.INVESTOR.value) == 1

"""A message sent again with its Idempotency-Key (the widget retrying after a reply it never got:
a killed web replica, a dropped connection) is stored once and answered with the replies it had."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.exc import IntegrityError

from funddesk.db import Database, Role, database_url, repository
from funddesk.db.repository import MessageDraft
from tests.doubles.fake_rasa import FakeBot
from tests.web.conftest import Api, MakeApi
from tests.web.test_api import stored_messages
from web.api.payloads import Incoming
from web.api.turns import same_key_stored

QUESTION = "How long until redemption money reaches my bank card?"


def counting_bot(asked: list[str]) -> httpx.MockTransport:
    """Rasa's REST channel as the fake bot answers it, remembering every message it was sent."""
    bot = FakeBot()

    def handle(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        asked.append(body["message"])
        return httpx.Response(200, json=bot.respond(body))

    return httpx.MockTransport(handle)


def keyed(auth: dict[str, str], key: str) -> dict[str, str]:
    return {**auth, "Idempotency-Key": key}


def store_keyed_question(api: Api, conversation: str, key: str, *, seconds_ago: float) -> None:
    """The investor's message as a web replica stores it before asking Rasa, and dies there."""
    db = Database.from_url(database_url("", api.settings.data_dir))
    try:
        with db.session(write=True) as session:
            [row] = repository.add_messages(
                session, conversation, [MessageDraft(Role.INVESTOR, QUESTION, language="en", idempotency_key=key)]
            )
            row.created_at = datetime.now(UTC) - timedelta(seconds=seconds_ago)
    finally:
        db.dispose()


def test_a_message_sent_again_with_its_key_is_stored_once_and_gets_the_replies_it_had(make_api: MakeApi) -> None:
    asked: list[str] = []
    api = make_api(counting_bot(asked))
    conversation, auth = api.start(lang="en")
    first = api.say(conversation, keyed(auth, "msg-1"), text=QUESTION)
    again = api.say(conversation, keyed(auth, '"msg-1"'), text=QUESTION)  # the draft's quoted form: the same key
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert asked == [QUESTION]
    assert [m.role for m in stored_messages(api, conversation)].count(Role.INVESTOR) == 1


def test_each_new_key_is_a_new_message(make_api: MakeApi) -> None:
    asked: list[str] = []
    api = make_api(counting_bot(asked))
    conversation, auth = api.start(lang="en")
    for key in ("msg-1", "msg-2"):
        assert api.say(conversation, keyed(auth, key), text=QUESTION).status_code == 200
    assert asked == [QUESTION, QUESTION]


def test_a_key_reused_for_another_message_is_refused_and_nothing_is_stored(api: Api) -> None:
    conversation, auth = api.start(lang="en")
    api.say(conversation, keyed(auth, "msg-1"), text=QUESTION)
    before = api.counts()
    reused = api.say(conversation, keyed(auth, "msg-1"), text="What is the redemption fee?")
    assert reused.status_code == 400
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    assert api.counts() == before


def test_a_malformed_key_is_refused_and_nothing_is_stored(api: Api) -> None:
    conversation, auth = api.start(lang="en")
    before = api.counts()
    for bad in ("", "a" * 65, "has space", "slash/es", '"unclosed'):
        response = api.say(conversation, keyed(auth, bad), text=QUESTION)
        assert response.status_code == 400, bad
        assert response.json()["error"]["code"] == "invalid_idempotency_key"
    assert api.counts() == before


def test_a_message_whose_turn_may_still_be_running_on_another_replica_is_asked_to_come_back(
    make_api: MakeApi,
) -> None:
    asked: list[str] = []
    api = make_api(counting_bot(asked))
    conversation, auth = api.start(lang="en")
    store_keyed_question(api, conversation, "msg-1", seconds_ago=1)
    response = api.say(conversation, keyed(auth, "msg-1"), text=QUESTION)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "turn_in_progress"
    longest = api.settings.rasa_timeout + api.settings.db_retry_seconds
    assert 1 <= int(response.headers["Retry-After"]) <= longest  # by then it has its replies, or never will
    assert asked == []


def test_a_message_whose_turn_died_with_its_replica_gets_its_turn_once_when_sent_again(make_api: MakeApi) -> None:
    asked: list[str] = []
    api = make_api(counting_bot(asked))
    conversation, auth = api.start(lang="en")
    longest = api.settings.rasa_timeout + api.settings.db_retry_seconds
    store_keyed_question(api, conversation, "msg-1", seconds_ago=longest + 1)
    first = api.say(conversation, keyed(auth, "msg-1"), text=QUESTION)
    again = api.say(conversation, keyed(auth, "msg-1"), text=QUESTION)
    assert first.status_code == again.status_code == 200
    assert "T+1" in first.json()["messages"][0]["text"]
    assert again.json() == first.json()
    assert asked == [QUESTION]
    assert [m.role for m in stored_messages(api, conversation)].count(Role.INVESTOR) == 1


def integrity_error(api: Api, conversation: str, key: str) -> IntegrityError:
    """What the database raises for a keyed question stored into ``conversation``."""
    db = Database.from_url(database_url("", api.settings.data_dir))
    try:
        with pytest.raises(IntegrityError) as raised, db.session(write=True) as session:
            repository.add_messages(
                session, conversation, [MessageDraft(Role.INVESTOR, QUESTION, language="en", idempotency_key=key)]
            )
        return raised.value
    finally:
        db.dispose()


def test_only_the_key_index_means_the_message_is_being_answered_elsewhere(api: Api) -> None:
    conversation, _ = api.start(lang="en")
    store_keyed_question(api, conversation, "msg-1", seconds_ago=0)
    keyed_message = Incoming(text=QUESTION, key="msg-1")
    # Stored a moment ago by another replica: 409, ask again soon.
    assert same_key_stored(integrity_error(api, conversation, "msg-1"), keyed_message)
    # A conversation that is not there is a fault, not a message sent twice: it must not become a 409.
    assert not same_key_stored(integrity_error(api, "no-such-conversation", "msg-2"), keyed_message)

"""Rasa's REST channel answers 200 with no messages when it fails to handle one (its lock store or
tracker store unreachable, an exception in a policy): the investor must hear that, not silence.

Found by ``python -m bench reliability``: with Redis stopped for 10 s, Rasa could not take the
conversation lock, and investors got 200 with no reply at all.
"""

from __future__ import annotations

import httpx

from funddesk.db import Role
from tests.web.conftest import MakeApi
from tests.web.test_api import stored_messages


def _silent(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=[])  # what rasa.core.channels.rest returns after logging a LockError


def test_a_bot_turn_with_no_reply_tells_the_investor_the_assistant_is_unavailable_and_keeps_the_message(
    make_api: MakeApi,
) -> None:
    api = make_api(httpx.MockTransport(_silent), support_contact="400-000-0000")
    conversation, auth = api.start(lang="en")
    answer = api.say(conversation, auth, text="How long until my redemption money arrives?")
    assert answer.status_code == 200
    [notice] = answer.json()["messages"]
    assert notice["role"] == "system" and "temporarily unavailable" in notice["text"]
    assert [m.role for m in stored_messages(api, conversation)] == [Role.INVESTOR, Role.SYSTEM]

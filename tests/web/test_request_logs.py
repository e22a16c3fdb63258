"""The web service's log records name the conversation being handled."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import httpx
import pytest

from funddesk import logs
from tests.web.conftest import MakeApi


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    out = io.StringIO()
    handler = logs.handler("json", out)
    logger = logging.getLogger("web")
    logger.addHandler(handler)
    yield out
    logger.removeHandler(handler)


def test_a_warning_logged_during_a_turn_carries_the_conversation_id(make_api: MakeApi, json_lines: io.StringIO) -> None:
    api = make_api(httpx.MockTransport(lambda request: httpx.Response(502)))  # Rasa failing
    conversation_id, headers = api.start()
    assert api.say(conversation_id, headers, text="hello").status_code == 200
    [warning] = [json.loads(line) for line in json_lines.getvalue().splitlines() if '"WARNING"' in line]
    assert warning["conversation_id"] == conversation_id
    assert warning["logger"] == "web.turns"

"""A log line's conversation id is Rasa's sender id in the action server, which a channel may set to the
investor's phone number: it is masked like the message."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from funddesk import logs

PHONE = "13812345678"


@pytest.fixture
def logger() -> Iterator[logging.Logger]:
    made = logging.Logger("funddesk.test_log_conversation_ids", logging.INFO)
    yield made
    logs.conversation_id.set(None)


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_sender_id_that_is_a_phone_number_is_logged_masked(logger: logging.Logger, log_format: str) -> None:
    out = io.StringIO()
    logger.addHandler(logs.handler(log_format, out))
    logs.conversation_id.set(PHONE)
    logger.info("matched")
    logger.info("handed off", extra={"conversation_id": PHONE})
    written = out.getvalue()
    assert PHONE not in written
    assert written.count("[phone ••••5678]") == 2


def test_an_ordinary_conversation_id_is_logged_as_it_is(logger: logging.Logger) -> None:
    out = io.StringIO()
    logger.addHandler(logs.handler("json", out))
    logs.conversation_id.set("3f9c2a7be1d04c5a9e8f7a6b5c4d3e2f")
    logger.info("matched")
    assert json.loads(out.getvalue())["conversation_id"] == "3f9c2a7be1d04c5a9e8f7a6b5c4d3e2f"

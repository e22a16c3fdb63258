"""Reading Rasa's REST channel output back into whole bot messages with their audit."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from funddesk.bot_payload import VERSION, FaqMatch
from web.errors import RasaUnavailable
from web.rasa_client import RasaClient, parse_items

AUDIT = {"type": "faq_match", "faq_id": "redemption-arrival", "faq_version": "abc123", "faq_score": 0.91,
         "faq_decision": "answer", "lang": "en", "fund": None}  # fmt: skip
PROMPT_BUTTONS = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]


def test_text_split_at_blank_lines_is_joined_back_and_its_audit_attached() -> None:
    items = [
        {"recipient_id": "c", "text": "Paragraph one."},
        {"recipient_id": "c", "text": "- a\n- b"},
        {"recipient_id": "c", "custom": AUDIT},
        {"recipient_id": "c", "text": "Did that answer your question?", "buttons": PROMPT_BUTTONS},
    ]
    answer, prompt = parse_items(items)
    assert answer.text == "Paragraph one.\n\n- a\n- b"
    assert (answer.entry_id, answer.entry_version, answer.score, answer.decision, answer.language) == (
        "redemption-arrival", "abc123", 0.91, "answer", "en",
    )  # fmt: skip
    assert (prompt.text, prompt.buttons, prompt.custom) == ("Did that answer your question?", PROMPT_BUTTONS, None)


def test_a_clarify_message_keeps_its_buttons_and_its_audit() -> None:
    buttons = [{"title": "Fee?", "payload": '/choose_faq{"faq_id":"fee"}'}]
    [clarify] = parse_items(
        [{"text": "Which one?", "buttons": buttons}, {"custom": {**AUDIT, "faq_decision": "clarify"}}]
    )
    assert clarify.buttons == buttons and clarify.decision == "clarify"


def test_two_utterances_separated_by_an_audit_stay_two_messages() -> None:
    replies = parse_items([{"text": "First."}, {"custom": AUDIT}, {"text": "Second."}, {"custom": {"type": "x"}}])
    assert [r.text for r in replies] == ["First.", "Second."]
    assert replies[1].kind == "x" and replies[1].entry_id is None


def test_the_audit_is_read_from_the_one_typed_payload_and_other_spellings_are_not_ours() -> None:
    ours = FaqMatch("e1", "v9", 1.0, "answer", "zh").to_json()
    [reply] = parse_items([{"text": "答案"}, {"custom": ours}])
    assert (reply.entry_id, reply.entry_version, reply.score, reply.decision, reply.language) == (
        "e1", "v9", 1.0, "answer", "zh",
    )  # fmt: skip
    assert ours["v"] == VERSION
    other = {"entry_id": "e1", "version": "v9", "score": 1, "decision": "answer", "language": "zh"}
    [reply] = parse_items([{"text": "答案"}, {"custom": other}])
    assert (reply.entry_id, reply.score, reply.decision, reply.language) == (None, None, None, None)


def test_a_custom_payload_with_its_own_text_is_a_message() -> None:
    [reply] = parse_items([{"custom": {"text": "From a custom action", "type": "note"}}])
    assert reply.text == "From a custom action" and reply.kind == "note"


@pytest.mark.parametrize(
    "items",
    [
        None,
        {},
        "text",
        [None, 3, "x"],
        [{"image": "https://x/y.png"}],
        [{"custom": "not a dict"}],
        [{"buttons": [{"title": "no payload"}, "junk"]}],
    ],
)
def test_unexpected_shapes_are_skipped_not_fatal(items: object) -> None:
    assert parse_items(items) == []


def test_buttons_without_a_title_show_their_payload() -> None:
    [reply] = parse_items([{"text": "Pick", "buttons": [{"payload": "/affirm"}]}])
    assert reply.buttons == [{"title": "/affirm", "payload": "/affirm"}]


def test_the_client_posts_sender_message_and_metadata_to_the_rest_channel() -> None:
    seen: list[httpx.Request] = []

    def rasa(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[{"recipient_id": "c1", "text": "Hi!"}])

    async def scenario() -> list[str]:
        client = RasaClient("http://rasa:5005", timeout=1.0, transport=httpx.MockTransport(rasa))
        try:
            return [r.text for r in await client.send("c1", "hello", {"lang": "en"})]
        finally:
            await client.close()

    assert asyncio.run(scenario()) == ["Hi!"]
    assert str(seen[0].url) == "http://rasa:5005/webhooks/rest/webhook"
    assert json.loads(seen[0].content) == {"sender": "c1", "message": "hello", "metadata": {"lang": "en"}}


def test_a_slow_rasa_is_unavailable_even_when_the_transport_has_no_timeout() -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(2)
        return httpx.Response(200, json=[])

    async def scenario() -> None:
        client = RasaClient("http://rasa", timeout=0.05, transport=httpx.MockTransport(slow))
        try:
            await client.send("c", "hi")
        finally:
            await client.close()

    with pytest.raises(RasaUnavailable) as caught:
        asyncio.run(scenario())
    assert caught.value.code == "assistant_timeout"

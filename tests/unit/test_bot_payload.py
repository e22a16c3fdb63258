"""The payload between the bot and the web service is written and read in one place."""

from __future__ import annotations

import json

import pytest

from funddesk.bot_payload import VERSION, FaqMatch, Feedback, HandoffReason, HandoffRequest, Payload, parse


@pytest.mark.parametrize(
    "payload",
    [
        FaqMatch("redemption-arrival", "3f2a", 0.81, "answer", "en", "900001", ("i4",)),
        FaqMatch(None, None, 0.2, "fallback", "zh"),
        Feedback("redemption-arrival", "3f2a", False),
        HandoffRequest("trading-desk", HandoffReason.FAQ_ESCALATE, "zh", "complaint-how", "110022"),
    ],
)
def test_every_payload_survives_the_trip_through_json(payload: Payload) -> None:
    sent = json.loads(json.dumps(payload.to_json()))
    assert sent["v"] == VERSION
    assert parse(sent) == payload


def test_a_hand_off_with_a_reason_nobody_knows_is_a_plain_request() -> None:
    request = parse({"type": "handoff_requested", "team": "desk", "reason": "because"})
    assert request == HandoffRequest("desk", HandoffReason.REQUESTED)


def test_feedback_without_a_yes_or_no_is_not_feedback() -> None:
    assert parse({"type": "faq_feedback", "faq_id": "x", "helpful": "yes"}) is None


def test_another_actions_custom_payload_is_not_ours() -> None:
    assert parse({"type": "note", "text": "hello"}) is None
    assert parse(None) is None and parse({}) is None

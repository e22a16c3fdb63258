"""The action server's replies carry only the slot events that change the conversation."""

from __future__ import annotations

from typing import Any

from actions.slot_changes import only_changes


def slot(name: str, value: Any) -> dict[str, Any]:
    return {"event": "slot", "timestamp": None, "name": name, "value": value}


def test_a_slot_set_to_the_value_it_holds_is_dropped() -> None:
    held = {"lang": "en", "fund_code": None, "faq_id": "redemption-arrival"}
    events = [slot("lang", "en"), slot("fund_code", None), slot("faq_id", "purchase-fee")]
    assert only_changes(held, events) == [slot("faq_id", "purchase-fee")]


def test_a_slot_set_and_set_back_in_one_reply_keeps_both_events() -> None:
    assert only_changes({"awaiting": None}, [slot("awaiting", "feedback"), slot("awaiting", None)]) == [
        slot("awaiting", "feedback"),
        slot("awaiting", None),
    ]


def test_values_are_compared_as_rasa_receives_them() -> None:
    # 1 and True, or 0 and 0.0, are equal in Python but different JSON, so the event stays.
    assert only_changes({"handoff_requested": 1}, [slot("handoff_requested", True)]) == [
        slot("handoff_requested", True)
    ]
    assert only_changes({"fallback_count": 0}, [slot("fallback_count", 0.0)]) == [slot("fallback_count", 0.0)]
    assert only_changes({"faq_choices": [{"id": "a"}]}, [slot("faq_choices", [{"id": "a"}])]) == []


def test_a_slot_the_tracker_does_not_list_is_always_sent() -> None:
    assert only_changes({}, [slot("faq_feedback", None)]) == [slot("faq_feedback", None)]


def test_after_any_other_event_everything_is_kept_as_it_is() -> None:
    # A restart or a session start resets slots: what they hold after it is Rasa's to say.
    events = [slot("lang", "zh"), {"event": "restart"}, slot("lang", "en"), slot("fund_code", None)]
    assert only_changes({"lang": "en", "fund_code": None}, events) == [slot("lang", "zh"), *events[1:]]

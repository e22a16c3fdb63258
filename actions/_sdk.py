"""The seam between rasa-sdk and FundDesk: a typed ``Action`` base and tracker/dispatcher glue.

rasa-sdk ships no type information, so mypy sees its ``Action`` as ``Any``; under
``TYPE_CHECKING`` a typed stand-in with the same interface takes its place. At run time it is
rasa-sdk's own class, which the executor scans for subclasses.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.replies import LANGS, Reply

Event = dict[str, Any]

if TYPE_CHECKING:

    class Action:
        def name(self) -> str: ...

        async def run(
            self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
        ) -> list[Event]: ...

else:
    from rasa_sdk import Action

__all__ = ["Action", "Event", "intent_of", "lang_of", "ran_this_session", "send", "slot_before_message", "text_of"]


def send(dispatcher: CollectingDispatcher, replies: Iterable[Reply]) -> None:
    for reply in replies:
        dispatcher.utter_message(
            text=reply.text,
            buttons=[b.as_dict() for b in reply.buttons] or None,
            json_message=reply.custom or None,
        )


def lang_of(tracker: Tracker, default: str = "en") -> str:
    lang = tracker.get_slot("lang")
    return lang if lang in LANGS else default


def intent_of(tracker: Tracker) -> str | None:
    intent: dict[str, Any] = tracker.latest_message.get("intent") or {}
    return intent.get("name")


def text_of(tracker: Tracker) -> str:
    return str(tracker.latest_message.get("text") or "")


def slot_before_message(tracker: Tracker, name: str) -> Any:
    """A slot's value before the latest message: the slot mappings have already set what that message
    brought (an entity), and some questions need what the conversation held before it. Events are
    read as rasa-sdk applies them (nothing before a restart, nothing undone or rewound)."""
    value = before = None
    for event in tracker.applied_events():
        kind = event.get("event")
        if kind == "user":
            before = value
        elif kind == "slot" and event.get("name") == name:
            value = event.get("value")
        elif kind == "reset_slots":
            value = None
    return before


def ran_this_session(tracker: Tracker, action: str) -> bool:
    """Whether ``action`` ran since the conversation's session last started (slots carried over into
    a new session say what was answered, not that it was answered in this one)."""
    ran = False
    for event in tracker.applied_events():
        if event.get("event") == "session_started":
            ran = False
        elif event.get("event") == "action" and event.get("name") == action:
            ran = True
    return ran

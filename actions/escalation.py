"""Hand-off to a person. The staff side is a later issue: until then the bot says so honestly."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import runtime
from actions._sdk import Action, Event, lang_of, send
from knowledge_base import replies


class ActionEscalate(Action):
    """Records the request (slots + a ``handoff_requested`` payload) and keeps the conversation."""

    def name(self) -> str:
        return "action_escalate"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[Event]:
        faq_id = tracker.get_slot("faq_id")
        team = _team_of(faq_id)
        fund = replies.resolve_fund(tracker.get_slot("fund_code"))
        send(dispatcher, [replies.handoff_reply(lang_of(tracker), team=team, faq_id=faq_id, fund=fund)])
        return [
            SlotSet("handoff_requested", True),
            SlotSet("handoff_team", team),
            SlotSet("awaiting", None),
            SlotSet("fallback_count", 0.0),
        ]


def _team_of(faq_id: object) -> str | None:
    if not isinstance(faq_id, str):
        return None
    entry = runtime.knowledge_base().entry(faq_id)
    return entry.team if entry else None


class ActionDeclineHuman(Action):
    def name(self) -> str:
        return "action_decline_human"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[Event]:
        dispatcher.utter_message(text=replies.text("declined_human", lang_of(tracker)))
        return [SlotSet("awaiting", None), SlotSet("fallback_count", 0.0)]

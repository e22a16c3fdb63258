"""Hand-off to a person and back.

The bot only says what happens and sends a ``handoff_requested`` payload naming the team, the
reason, the entry, the fund and the language; the web service opens the hand-off, tells the
investor their place in the queue and stops asking the bot until staff send ``/back_to_bot``.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import replies, runtime
from actions._sdk import Action, Event, intent_of, lang_of, send, text_of
from actions.replies import Handoff
from knowledge_base.entries import Entry


def handoff_to_staff(reason: str, lang: str, *, faq_id: object, fund: str | None) -> Handoff:
    """Routed to the team of the last matched entry, else the fund's team, else the default queue."""
    entry_id = faq_id if isinstance(faq_id, str) else None
    entry: Entry | None = runtime.knowledge_base().entry(entry_id) if entry_id else None
    team = runtime.router().route(entry_team=entry.team if entry else None, fund_code=fund)
    return Handoff(team, reason, lang, entry_id, fund)


def handoff_slots(handoff: Handoff | None) -> list[Event]:
    return [SlotSet(name, value) for name, value in handoff.slots().items()] if handoff else []


class ActionEscalate(Action):
    """The investor asked for a person, or accepted the person the bot offered."""

    def name(self) -> str:
        return "action_escalate"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[Event]:
        reason = replies.handoff_reason(tracker.get_slot("awaiting"), tracker.get_slot("human_offer_reason"))
        fund = replies.resolve_fund(tracker.get_slot("fund_code"))
        faq_id = _topic_of_request(tracker, fund) or tracker.get_slot("faq_id")
        handoff = handoff_to_staff(reason, lang_of(tracker), faq_id=faq_id, fund=fund)
        send(dispatcher, [replies.handoff_reply(handoff)])
        return [
            *handoff_slots(handoff),
            SlotSet("awaiting", None),
            SlotSet("human_offer_reason", None),
            SlotSet("fallback_count", 0.0),
        ]


def _topic_of_request(tracker: Tracker, fund: str | None) -> str | None:
    """The entry a typed request clearly names ("I want to make a complaint" → the complaints
    entry), so it reaches that entry's team rather than the last answer's; None for "转人工"."""
    text = text_of(tracker)
    if intent_of(tracker) != "request_human" or text.startswith("/"):
        return None
    decision = runtime.knowledge_base().ask(text, fund=fund).decision
    return decision.best.entry.id if decision.kind == "answer" and decision.best else None


class ActionDeclineHuman(Action):
    def name(self) -> str:
        return "action_decline_human"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[Event]:
        dispatcher.utter_message(text=replies.text("declined_human", lang_of(tracker)))
        return [SlotSet("awaiting", None), SlotSet("human_offer_reason", None), SlotSet("fallback_count", 0.0)]


class ActionBackFromStaff(Action):
    """Staff resolved the hand-off (``/back_to_bot``): greet back, keep the fund, language and
    last answer, and start afresh on everything the hand-off left open."""

    def name(self) -> str:
        return "action_back_from_staff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[Event]:
        send(dispatcher, [replies.back_from_staff_reply(lang_of(tracker))])
        return [
            SlotSet("handoff_requested", False),
            SlotSet("handoff_team", None),
            SlotSet("handoff_reason", None),
            SlotSet("awaiting", None),
            SlotSet("human_offer_reason", None),
            SlotSet("fallback_count", 0.0),
        ]

"""Feedback on an answer ("Did that answer your question?"), recorded against the entry."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import replies
from actions._sdk import Action, Event, intent_of, lang_of, send
from actions.replies import Reply
from funddesk.bot_payload import Feedback


class ActionFeedback(Action):
    def name(self) -> str:
        return "action_feedback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[Event]:
        helpful = intent_of(tracker) == "affirm"
        reply = replies.feedback_reply(helpful, lang_of(tracker))
        custom = Feedback(tracker.get_slot("faq_id"), tracker.get_slot("faq_version"), helpful).to_json()
        send(dispatcher, [Reply(reply.text, reply.buttons, custom)])
        return [
            SlotSet("faq_feedback", "helpful" if helpful else "unhelpful"),
            SlotSet("awaiting", None if helpful else "human_offer"),
            SlotSet("human_offer_reason", None if helpful else replies.NEGATIVE_FEEDBACK),
        ]

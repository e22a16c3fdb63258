"""The conversation's language, set after every user message (a custom slot mapping)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions._sdk import Action, Event, text_of
from actions.replies import conversation_lang


class ActionDetectLanguage(Action):
    def name(self) -> str:
        return "action_detect_language"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[Event]:
        return [SlotSet("lang", conversation_lang(text_of(tracker), tracker.get_slot("lang")))]

"""Answering questions from the knowledge base: answer, clarify with choices, or fall back.

An answer from an entry marked ``escalate: true`` (complaints, suspected fraud) also hands the
investor to staff, routed to the entry's team.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import replies, runtime
from actions._sdk import Action, Event, intent_of, lang_of, ran_this_session, send, slot_before_message, text_of
from actions.escalation import handoff_slots, handoff_to_staff
from actions.replies import Audit, Handoff, Reply
from escalation.spikes.watch import Asked, Observed
from knowledge_base.entries import Entry
from knowledge_base.followups import Answered
from knowledge_base.policy import Candidate, Decision


class ActionAnswerFaq(Action):
    """Runs for ``ask_question``, ``nlu_fallback`` and ``choose_faq`` (a clarify button)."""

    NAME = "action_answer_faq"

    def name(self) -> str:
        return self.NAME

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[Event]:
        kb = runtime.knowledge_base()
        if intent_of(tracker) == "choose_faq":
            chosen = _chosen_id(tracker)
            if chosen is not None:
                return _answer_choice(dispatcher, tracker, chosen, kb.entry(chosen))
        return await _answer_question(dispatcher, tracker, kb)


def _chosen_id(tracker: Tracker) -> str | None:
    clicked = next(tracker.get_latest_entity_values("faq_id"), None)
    if isinstance(clicked, str):
        return clicked
    return replies.choice_from_text(text_of(tracker), [c["id"] for c in _choices(tracker)])


def _choices(tracker: Tracker) -> list[dict[str, Any]]:
    value = tracker.get_slot("faq_choices")
    return [c for c in value if isinstance(c, dict) and "id" in c] if isinstance(value, list) else []


async def _answer_question(
    dispatcher: CollectingDispatcher, tracker: Tracker, kb: runtime.KnowledgeBaseLike
) -> list[Event]:
    fund = replies.resolve_fund(tracker.get_slot("fund_code"))
    question = text_of(tracker)
    match = await kb.ask_soon(question, fund=fund, after=_answered(tracker))
    decision = match.decision
    lang = replies.reply_lang(question, match.lang, tracker.get_slot("lang"))
    observed = runtime.observe(_asked(match, tracker.sender_id))
    if observed.holding:  # the spike is the team's to answer, even where an FAQ entry seems close
        return _hold(dispatcher, match, observed, lang)
    fallbacks = replies.next_fallback_count(tracker.get_slot("fallback_count"), decision.kind)
    audit = replace(_audit(decision, lang, match.fund), incidents_opened=observed.opened)
    handoff: Handoff | None = None
    if decision.kind == "answer" and decision.best is not None:
        handoff = _escalation(decision.best.entry, audit)
        send(dispatcher, replies.answer_replies(decision.best, audit, handoff=handoff))
        awaiting: str | None = None if handoff else "feedback"
    elif decision.kind == "clarify":
        send(dispatcher, [replies.clarify_reply(decision.candidates, audit, fund_names=runtime.fund_names())])
        awaiting = None
    else:
        send(dispatcher, [replies.fallback_reply(fallbacks, audit)])
        awaiting = "human_offer" if replies.offers_human(fallbacks) else None
    choices = [{"id": c.entry.id, "score": round(c.score, 4)} for c in decision.candidates[:3]]
    return [
        SlotSet("lang", lang),
        SlotSet("fund_code", match.fund),
        *_audit_slots(audit),
        SlotSet("faq_choices", choices if decision.kind == "clarify" else None),
        SlotSet("fallback_count", float(fallbacks)),
        SlotSet("awaiting", awaiting),
        SlotSet("human_offer_reason", replies.FALLBACK if awaiting == "human_offer" else None),
        *handoff_slots(handoff),
    ]


def _answered(tracker: Tracker) -> Answered | None:
    """The entry the bot last answered with (or the investor chose) in this session, and the fund it
    was for: a follow-up is read in its context. That fund is the conversation's before this
    message, since the fund this message names is already in the slot."""
    entry_id = tracker.get_slot("faq_id")
    if tracker.get_slot("faq_decision") not in ("answer", "chosen") or not isinstance(entry_id, str):
        return None
    if not ran_this_session(tracker, ActionAnswerFaq.NAME):  # an answer of an earlier visit is no context
        return None
    return Answered(entry_id, replies.resolve_fund(slot_before_message(tracker, "fund_code")))


def _asked(match: runtime.MatchLike, conversation_id: str | None) -> Asked:
    best = match.decision.best
    return Asked(
        # The question log, incident samples and webhooks keep what is asked, never the investor's
        # ID-card, phone or bank-card number: only the transcript holds those (revealed under audit).
        match.loggable,
        match.lang,
        match.embedding,  # the one computed for matching: never embedded twice
        conversation_id=conversation_id,
        fund_code=match.fund,
        entry_id=best.entry.id if best else None,
        score=round(best.score, 4) if best else None,
        decision=match.decision.kind,
    )


def _hold(dispatcher: CollectingDispatcher, match: runtime.MatchLike, observed: Observed, lang: str) -> list[Event]:
    """Part of an open, unanswered incident: say the team is on it (no fallback count, no hand-off offer)."""
    best = match.decision.best
    audit = Audit(None, None, round(best.score, 4) if best else None, "incident_hold", lang, match.fund,
                  observed.opened)  # fmt: skip
    send(dispatcher, [replies.incident_hold_reply(observed.label or "", audit)])
    return [
        SlotSet("lang", lang),
        SlotSet("fund_code", match.fund),
        *_audit_slots(audit),
        SlotSet("faq_choices", None),
        SlotSet("fallback_count", 0.0),
        SlotSet("awaiting", None),
        SlotSet("human_offer_reason", None),
    ]


def _answer_choice(dispatcher: CollectingDispatcher, tracker: Tracker, chosen: str, entry: Entry | None) -> list[Event]:
    lang = lang_of(tracker, entry.lang if entry else "en")
    fund = replies.resolve_fund(
        *(entry.funds if entry and len(entry.funds) == 1 else ()), tracker.get_slot("fund_code")
    )
    if entry is None:  # offered, then removed by an FAQ edit before the click
        audit = Audit(chosen, None, None, "fallback", lang, fund)
        send(dispatcher, [Reply(replies.text("choice_gone", lang), custom=audit.as_custom())])
        return [*_audit_slots(audit), SlotSet("awaiting", None)]
    score = next((c.get("score") for c in _choices(tracker) if c["id"] == chosen), None)
    audit = Audit(entry.id, entry.version, score, "chosen", lang, fund)
    handoff = _escalation(entry, audit)
    send(dispatcher, replies.answer_replies(Candidate(entry, score or 0.0), audit, handoff=handoff))
    return [
        SlotSet("fund_code", fund),
        *_audit_slots(audit),
        SlotSet("faq_choices", None),
        SlotSet("fallback_count", 0.0),
        SlotSet("awaiting", None if handoff else "feedback"),
        SlotSet("human_offer_reason", None),
        *handoff_slots(handoff),
    ]


def _escalation(entry: Entry, audit: Audit) -> Handoff | None:
    """The hand-off an ``escalate: true`` entry asks for, routed to its team first."""
    if not entry.escalate:
        return None
    return handoff_to_staff(replies.FAQ_ESCALATE, audit.lang, faq_id=entry.id, fund=audit.fund)


def _audit(decision: Decision, lang: str, fund: str | None) -> Audit:
    best = decision.best
    score = round(best.score, 4) if best else None
    if decision.kind == "answer" and best is not None:
        return Audit(best.entry.id, best.entry.version, score, "answer", lang, fund)
    return Audit(None, None, score, decision.kind, lang, fund)


def _audit_slots(audit: Audit) -> list[Event]:
    return [SlotSet(name, value) for name, value in audit.slots().items()]

"""What the bot says for the FAQ flows, in English or Chinese: plain functions the actions call.

Nothing here knows Rasa: a :class:`Reply` is text, buttons and an audit payload, and the
actions turn it into ``dispatcher.utter_message(...)``. Button payloads are Rasa intents
(``/affirm``, ``/choose_faq{"faq_id": "..."}``) so a click needs no NLU.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from funddesk.bot_payload import FaqMatch, HandoffReason, HandoffRequest
from funddesk.text import CJK_CLASS, detect_lang, is_fund_code
from knowledge_base.entries import Entry
from knowledge_base.policy import Candidate

LANGS = ("en", "zh")
FALLBACKS_BEFORE_HUMAN_OFFER = 2
# Why an investor leaves the bot for staff (the web service's hand-off ``reason``).
REQUESTED, FALLBACK, NEGATIVE_FEEDBACK, FAQ_ESCALATE = (
    HandoffReason.REQUESTED,
    HandoffReason.FALLBACK,
    HandoffReason.NEGATIVE_FEEDBACK,
    HandoffReason.FAQ_ESCALATE,
)
OFFER_REASONS = (FALLBACK, NEGATIVE_FEEDBACK)  # what made the bot offer a person (slot human_offer_reason)

_WORDLIKE = re.compile(r"[A-Za-z]{2,}|" + CJK_CLASS)

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "feedback_prompt": "Did that answer your question?",
        "yes": "Yes",
        "no": "No",
        "clarify": "I found a few questions that could match. Which one do you mean?",
        "clarify_one": "Did you mean this question?",
        "rephrase": "Sorry, I couldn't find an answer to that. Could you rephrase your question?",
        "offer_human": "I still can't find an answer. Would you like me to pass you to our staff?",
        "talk_to_person": "Talk to a person",
        "no_thanks": "No, I'll rephrase",
        "glad": "Glad I could help! Anything else?",
        "sorry_feedback": "Sorry that didn't help. You can rephrase your question, or I can pass you to our staff.",
        "declined_human": "All right. Please try asking your question in a different way.",
        "choice_gone": "That question is no longer in our FAQ. Could you ask it again in your own words?",
        "handoff": "I'll pass you to our support staff.",
        "back_from_staff": (
            "You're back with the FundDesk assistant. Ask me anything about buying, selling or your account."
        ),
        "incident_hold": (
            "Many investors are asking about this right now ({topic}). Our fund team is aware and is preparing "
            "an answer; it will appear here as soon as it is published."
        ),
    },
    "zh": {
        "feedback_prompt": "这个回答解决您的问题了吗？",
        "yes": "是",
        "no": "否",
        "clarify": "我找到几个可能相关的问题，请问您想问的是哪一个？",
        "clarify_one": "请问您想问的是这个问题吗？",
        "rephrase": "抱歉，没有找到相关答案。您能换个说法再问一次吗？",
        "offer_human": "还是没有找到答案。需要为您转接人工客服吗？",
        "talk_to_person": "转人工客服",
        "no_thanks": "不用，我换个说法",
        "glad": "很高兴能帮到您！还有其他问题吗？",
        "sorry_feedback": "抱歉没能解决您的问题。您可以换个说法再问，或者转接人工客服。",
        "declined_human": "好的，请换个说法再问一次。",
        "choice_gone": "这个问题已不在常见问题库中，请用您自己的话再问一次。",
        "handoff": "正在为您转接人工客服。",
        "back_from_staff": "您已回到 FundDesk 智能助手。关于申购、赎回或您的账户，有任何问题都可以问我。",
        "incident_hold": (
            "目前有许多投资者在询问这个问题（{topic}）。基金团队已经知悉并正在准备答复，发布后会第一时间显示在这里。"
        ),
    },
}


def text(key: str, lang: str) -> str:
    return TEXTS[lang if lang in TEXTS else "en"][key]


@dataclass(frozen=True)
class Button:
    title: str
    payload: str

    def as_dict(self) -> dict[str, str]:
        return {"title": self.title, "payload": self.payload}


@dataclass(frozen=True)
class Reply:
    """One bot message: ``custom`` is the machine-readable payload the web service reads."""

    text: str
    buttons: tuple[Button, ...] = ()
    custom: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Audit:
    """Which entry, in which version and with which score, produced a bot answer."""

    faq_id: str | None
    faq_version: str | None
    faq_score: float | None
    decision: str
    lang: str
    fund: str | None = None
    incidents_opened: tuple[str, ...] = ()  # spikes this question set off (the web service shows them to staff)

    def as_custom(self) -> dict[str, Any]:
        payload = FaqMatch(
            self.faq_id, self.faq_version, self.faq_score, self.decision, self.lang, self.fund, self.incidents_opened
        )
        return payload.to_json()

    def slots(self) -> dict[str, Any]:
        return {
            "faq_id": self.faq_id,
            "faq_version": self.faq_version,
            "faq_score": self.faq_score,
            "faq_decision": self.decision,
        }


@dataclass(frozen=True)
class Handoff:
    """The investor leaves the bot for a staff queue: the web service opens the hand-off from this."""

    team: str
    reason: str  # a HandoffReason: REQUESTED, FALLBACK, NEGATIVE_FEEDBACK or FAQ_ESCALATE
    lang: str
    faq_id: str | None = None
    fund: str | None = None

    def as_custom(self) -> dict[str, Any]:
        return HandoffRequest(self.team, HandoffReason(self.reason), self.lang, self.faq_id, self.fund).to_json()

    def slots(self) -> dict[str, Any]:
        return {"handoff_requested": True, "handoff_team": self.team, "handoff_reason": self.reason}


# -- language and fund ------------------------------------------------------------------------


def conversation_lang(message: str, current: str | None) -> str:
    """The language to reply in: detected from words, kept for clicks, codes and emoji."""
    fallback = current if current in LANGS else "en"
    if message.startswith("/") or not _WORDLIKE.search(message):
        return fallback
    return detect_lang(message)


def reply_lang(message: str, matched: str, current: str | None) -> str:
    """The language to answer a question in: the matcher's reading of its words, or the conversation's
    when it has none ("1234", "???" in a Chinese conversation are answered in Chinese)."""
    if _WORDLIKE.search(message) or current not in LANGS:
        return matched
    return str(current)


def resolve_fund(*values: object) -> str | None:
    """The first value that is a 6-digit fund code (entities and slots may hold anything)."""
    for value in values:
        if isinstance(value, str) and is_fund_code(value.strip()):
            return value.strip()
    return None


# -- choices ----------------------------------------------------------------------------------

_ORDINALS = (  # checked before the cardinals: "the second one" is 2, not 1
    ("first", "1st", "第一", "1"),
    ("second", "2nd", "第二", "2"),
    ("third", "3rd", "第三", "3"),
)
_CARDINALS = (("one", "一"), ("two", "二"), ("three", "三"))
_LAST = ("last", "最后")


def choose_faq_payload(faq_id: str) -> str:
    return "/choose_faq" + json.dumps({"faq_id": faq_id}, separators=(",", ":"))


def choice_from_text(message: str, choices: Sequence[str]) -> str | None:
    """Map "the second one" / "第二个" / "2" to an id among the last offered ``choices``."""
    lowered = message.lower().strip(" .。!！?？")
    if choices and any(word in lowered for word in _LAST):
        return choices[-1]
    for table in (_ORDINALS, _CARDINALS):
        for number, words in enumerate(table, start=1):
            if number <= len(choices) and any(_has_word(lowered, w) for w in words):
                return choices[number - 1]
    return None


def _has_word(message: str, word: str) -> bool:
    if word.isascii():
        return re.search(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", message) is not None
    if len(word) == 1:  # a bare 一/二/三 only on its own ("二", "二个"), not inside "一下"
        return message in (word, word + "个", "选" + word)
    return word in message


# -- the FAQ flows ----------------------------------------------------------------------------


def feedback_prompt(lang: str) -> Reply:
    buttons = (Button(text("yes", lang), "/affirm"), Button(text("no", lang), "/deny"))
    return Reply(text("feedback_prompt", lang), buttons)


def answer_replies(
    candidate: Candidate, audit: Audit, *, ask_feedback: bool = True, handoff: Handoff | None = None
) -> list[Reply]:
    """The entry's answer, carrying its audit, then (optionally) "Did that answer your question?".

    An entry that hands the investor to staff (``escalate: true``) is followed by the hand-off
    instead: nobody is asked for feedback on an answer that ends with "I'll pass you on".
    """
    replies = [Reply(candidate.entry.answer, custom=audit.as_custom())]
    if handoff is not None:
        replies.append(handoff_reply(handoff))
    elif ask_feedback:
        replies.append(feedback_prompt(audit.lang))
    return replies


def clarify_reply(
    candidates: Iterable[Candidate], audit: Audit, *, fund_names: Mapping[str, str] | None = None, limit: int = 3
) -> Reply:
    """Up to ``limit`` buttons, one per candidate question; a click answers that entry.

    A fund-scoped question is labelled with its fund, since several funds may share it. There
    may be a single choice: a fund-scoped entry is confirmed, not answered, while the fund is
    unknown.
    """
    buttons = tuple(
        Button(choice_title(c.entry, audit.lang, fund_names or {}), choose_faq_payload(c.entry.id))
        for c in list(candidates)[:limit]
    )
    prompt = text("clarify" if len(buttons) > 1 else "clarify_one", audit.lang)
    return Reply(prompt, buttons, custom=audit.as_custom())


def choice_title(entry: Entry, lang: str, fund_names: Mapping[str, str]) -> str:
    if not entry.funds:
        return entry.question
    label = ", ".join(f"{fund_names[code]} {code}" if code in fund_names else code for code in entry.funds)
    return f"{entry.question}（{label}）" if lang == "zh" else f"{entry.question} ({label})"


def next_fallback_count(previous: object, kind: str) -> int:
    """Consecutive fallbacks: one more on a fallback, back to zero on anything else."""
    count = int(previous) if isinstance(previous, int | float) else 0
    return count + 1 if kind == "fallback" else 0


def offers_human(fallbacks: int) -> bool:
    return fallbacks >= FALLBACKS_BEFORE_HUMAN_OFFER


def human_offer(lang: str, key: str = "offer_human") -> Reply:
    buttons = (
        Button(text("talk_to_person", lang), "/request_human"),
        Button(text("no_thanks", lang), "/deny"),
    )
    return Reply(text(key, lang), buttons)


def fallback_reply(fallbacks: int, audit: Audit) -> Reply:
    """Ask to rephrase; from the second fallback in a row on, offer a person instead."""
    if offers_human(fallbacks):
        offer = human_offer(audit.lang)
        return Reply(offer.text, offer.buttons, custom=audit.as_custom())
    return Reply(text("rephrase", audit.lang), custom=audit.as_custom())


def feedback_reply(helpful: bool, lang: str) -> Reply:
    return Reply(text("glad", lang)) if helpful else human_offer(lang, "sorry_feedback")


# -- hand-off to staff and back ---------------------------------------------------------------


def handoff_reason(awaiting: object, offered_because: object) -> str:
    """Why the investor goes to staff: accepting an open offer names what made the bot offer it
    (a typed "yes" and the offer's "Talk to a person" button alike); anything else is a request."""
    if awaiting == "human_offer" and offered_because in OFFER_REASONS:
        return str(offered_because)
    return REQUESTED


def handoff_reply(handoff: Handoff) -> Reply:
    """Says what happens; the web service then tells the queue position (or that nobody is online)."""
    return Reply(text("handoff", handoff.lang), custom=handoff.as_custom())


def incident_hold_reply(topic: str, audit: Audit) -> Reply:
    """While an incident is open and unanswered: an honest holding reply, no hand-off for each asker."""
    topic = topic if len(topic) <= 80 else topic[:77] + "..."
    return Reply(text("incident_hold", audit.lang).format(topic=topic), custom=audit.as_custom())


def back_from_staff_reply(lang: str) -> Reply:
    return Reply(text("back_from_staff", lang))

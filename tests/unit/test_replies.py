"""The FAQ flows' texts, buttons, audit payloads and counters, in English and Chinese."""

from __future__ import annotations

import json

import pytest

from actions import replies
from actions.replies import Audit
from knowledge_base.entries import Entry
from knowledge_base.policy import Candidate


def entry(entry_id: str, question: str = "How do I redeem?", answer: str = "Tap Redeem.") -> Entry:
    return Entry(id=entry_id, question=question, answer=answer, file="f.md", line=1, team="trading-desk")


def audit(kind: str = "answer", lang: str = "en") -> Audit:
    return Audit("redemption-how", "abc123", 0.83, kind, lang, "900001")


def test_every_text_exists_in_both_languages() -> None:
    assert set(replies.TEXTS["en"]) == set(replies.TEXTS["zh"])


def test_an_unknown_language_falls_back_to_english() -> None:
    assert replies.text("rephrase", "fr") == replies.TEXTS["en"]["rephrase"]


@pytest.mark.parametrize(
    ("message", "current", "expected"),
    [
        ("How do I redeem?", None, "en"),
        ("赎回多久到账？", "en", "zh"),
        ("900001的赎回费是多少", "en", "zh"),
        ('/choose_faq{"faq_id":"x"}', "zh", "zh"),
        ("/affirm", "zh", "zh"),
        ("900001", "zh", "zh"),
        ("👍", "zh", "zh"),
        ("?", None, "en"),
        ("ok", "zh", "en"),
    ],
)
def test_the_conversation_language_follows_words_and_ignores_clicks_and_codes(
    message: str, current: str | None, expected: str
) -> None:
    assert replies.conversation_lang(message, current) == expected


def test_the_first_six_digit_value_is_the_fund() -> None:
    assert replies.resolve_fund(None, "Demo Bond", " 900002 ", "900001") == "900002"
    assert replies.resolve_fund(None, 900001, "12345", "1234567") is None


def test_an_answer_carries_its_audit_and_asks_for_feedback() -> None:
    answer, prompt = replies.answer_replies(Candidate(entry("redemption-how"), 0.83), audit())
    assert answer.text == "Tap Redeem."
    assert answer.custom == {
        "type": "faq_match",
        "v": 1,
        "faq_id": "redemption-how",
        "faq_version": "abc123",
        "faq_score": 0.83,
        "faq_decision": "answer",
        "lang": "en",
        "fund": "900001",
    }
    assert prompt.text == "Did that answer your question?"
    assert [b.payload for b in prompt.buttons] == ["/affirm", "/deny"]


def test_the_feedback_question_can_be_left_out() -> None:
    assert len(replies.answer_replies(Candidate(entry("x"), 0.9), audit(), ask_feedback=False)) == 1


def test_clarify_offers_at_most_three_questions_as_choose_faq_buttons() -> None:
    candidates = [Candidate(entry(f"e{i}", f"Question {i}?"), 0.7 - i / 100) for i in range(4)]
    reply = replies.clarify_reply(candidates, audit("clarify", "zh"))
    assert reply.text == replies.TEXTS["zh"]["clarify"]
    assert [b.title for b in reply.buttons] == ["Question 0?", "Question 1?", "Question 2?"]
    payload = reply.buttons[1].payload
    assert payload.startswith("/choose_faq")
    assert json.loads(payload.removeprefix("/choose_faq")) == {"faq_id": "e1"}


def test_a_single_choice_is_asked_as_a_confirmation() -> None:
    reply = replies.clarify_reply([Candidate(entry("e0"), 0.7)], audit("clarify"))
    assert reply.text == "Did you mean this question?"
    assert len(reply.buttons) == 1


def test_fallbacks_count_up_in_a_row_and_reset_on_anything_else() -> None:
    assert replies.next_fallback_count(None, "fallback") == 1
    assert replies.next_fallback_count(1.0, "fallback") == 2
    assert replies.next_fallback_count(2.0, "answer") == 0
    assert replies.next_fallback_count(1.0, "clarify") == 0


def test_the_first_fallback_asks_to_rephrase() -> None:
    reply = replies.fallback_reply(1, audit("fallback"))
    assert reply.text == replies.TEXTS["en"]["rephrase"]
    assert reply.buttons == ()
    assert reply.custom["faq_decision"] == "fallback"


def test_the_second_fallback_in_a_row_offers_a_person() -> None:
    reply = replies.fallback_reply(2, audit("fallback", "zh"))
    assert reply.text == replies.TEXTS["zh"]["offer_human"]
    assert [b.payload for b in reply.buttons] == ["/request_human", "/deny"]


def test_negative_feedback_offers_a_person_and_positive_feedback_does_not() -> None:
    assert [b.payload for b in replies.feedback_reply(False, "en").buttons] == ["/request_human", "/deny"]
    assert replies.feedback_reply(True, "en").buttons == ()


def test_the_handoff_reply_says_staff_are_coming_and_tells_the_web_service_where_and_why() -> None:
    handoff = replies.Handoff("trading-desk", replies.REQUESTED, "en", "redemption-how", "900001")
    reply = replies.handoff_reply(handoff)
    assert reply.text == "I'll pass you to our support staff."
    assert reply.custom == {
        "type": "handoff_requested",
        "v": 1,
        "team": "trading-desk",
        "reason": "requested",
        "faq_id": "redemption-how",
        "fund": "900001",
        "lang": "en",
    }
    assert replies.handoff_reply(replies.Handoff("service-desk", "fallback", "zh")).text == "正在为您转接人工客服。"


def test_a_handoff_is_recorded_in_slots() -> None:
    assert replies.Handoff("complaints", replies.FAQ_ESCALATE, "zh").slots() == {
        "handoff_requested": True,
        "handoff_team": "complaints",
        "handoff_reason": "faq_escalate",
    }


@pytest.mark.parametrize(
    ("awaiting", "offered_because", "reason"),
    [
        ("human_offer", "fallback", "fallback"),
        ("human_offer", "negative_feedback", "negative_feedback"),
        ("human_offer", None, "requested"),  # an offer recorded before the reason was
        ("feedback", "negative_feedback", "requested"),  # the offer is no longer open
        (None, None, "requested"),
    ],
)
def test_the_handoff_reason_is_what_made_the_bot_offer_a_person_or_else_a_request(
    awaiting: str | None, offered_because: str | None, reason: str
) -> None:
    assert replies.handoff_reason(awaiting, offered_because) == reason


def test_an_escalating_answer_is_followed_by_the_handoff_instead_of_the_feedback_question() -> None:
    handoff = replies.Handoff("complaints", replies.FAQ_ESCALATE, "en", "complaint-how")
    answer, notice = replies.answer_replies(Candidate(entry("complaint-how"), 0.9), audit(), handoff=handoff)
    assert answer.custom["type"] == "faq_match"
    assert notice == replies.handoff_reply(handoff)


def test_back_from_staff_greets_in_the_conversation_language() -> None:
    assert replies.back_from_staff_reply("en").text == (
        "You're back with the FundDesk assistant. Ask me anything about buying, selling or your account."
    )
    assert replies.back_from_staff_reply("zh").text == replies.TEXTS["zh"]["back_from_staff"]


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("the first one", "a"),
        ("the second one", "b"),
        ("2", "b"),
        ("option 3", "c"),
        ("the 3rd", "c"),
        ("the last one", "c"),
        ("第二个", "b"),
        ("第三条", "c"),
        ("二", "b"),
        ("选1", "a"),
        ("最后一个", "c"),
        ("我想问一下赎回", None),
        ("4", None),
        ("something else", None),
    ],
)
def test_a_typed_choice_picks_among_the_offered_questions(message: str, expected: str | None) -> None:
    assert replies.choice_from_text(message, ["a", "b", "c"]) == expected


def test_a_typed_choice_needs_offered_questions() -> None:
    assert replies.choice_from_text("the first one", []) is None


def test_fund_scoped_choices_are_labelled_with_their_fund() -> None:
    scoped = [
        Candidate(Entry("f1", "What is the redemption fee?", "a", "f.md", 1, funds=("900001",)), 0.8),
        Candidate(Entry("f2", "What is the redemption fee?", "a", "f.md", 9, funds=("900002",)), 0.79),
    ]
    names = {"900001": "Demo Balanced Fund"}
    en = replies.clarify_reply(scoped, audit("clarify"), fund_names=names)
    assert [b.title for b in en.buttons] == [
        "What is the redemption fee? (Demo Balanced Fund 900001)",
        "What is the redemption fee? (900002)",
    ]
    zh = replies.clarify_reply(scoped[:1], audit("clarify", "zh"), fund_names=names)
    assert zh.buttons[0].title == "What is the redemption fee?（Demo Balanced Fund 900001）"

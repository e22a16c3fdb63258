"""The feedback, hand-off and language actions against rasa-sdk's real Tracker, with a scripted KB."""

from __future__ import annotations

from typing import Any

import pytest

from actions.escalation import ActionBackFromStaff, ActionDeclineHuman, ActionEscalate
from actions.faq import ActionAnswerFaq
from actions.feedback import ActionFeedback
from actions.language import ActionDetectLanguage
from actions.replies import TEXTS
from tests.doubles.actions import (
    COMPLAINT,
    TEXT_EN,
    FakeKnowledgeBase,
    MakeTracker,
    run,
)

# -- feedback, hand-off, language -------------------------------------------------------------


def test_a_yes_to_the_feedback_question_is_recorded_against_the_entry(
    kb: FakeKnowledgeBase, tracker: MakeTracker
) -> None:
    answered = tracker("yes", "affirm", faq_id="redemption-how", faq_version="v1", lang="en")
    outcome = run(ActionFeedback(), answered)
    assert outcome.texts == [TEXT_EN["glad"]]
    assert outcome.messages[0]["custom"] == {
        "type": "faq_feedback",
        "v": 1,
        "faq_id": "redemption-how",
        "faq_version": "v1",
        "helpful": True,
    }
    assert outcome.slots == {"faq_feedback": "helpful", "awaiting": None, "human_offer_reason": None}


def test_a_no_to_the_feedback_question_offers_rephrasing_or_a_person(
    kb: FakeKnowledgeBase, tracker: MakeTracker
) -> None:
    outcome = run(ActionFeedback(), tracker("没有帮助", "deny", faq_id="zh-redemption-how", lang="zh"))
    assert outcome.texts == ["抱歉没能解决您的问题。您可以换个说法再问，或者转接人工客服。"]
    assert outcome.messages[0]["buttons"][0]["payload"] == "/request_human"
    assert outcome.slots == {
        "faq_feedback": "unhelpful",
        "awaiting": "human_offer",
        "human_offer_reason": "negative_feedback",
    }


def test_asking_for_a_person_hands_off_to_the_team_of_the_last_answered_entry(
    kb: FakeKnowledgeBase, tracker: MakeTracker
) -> None:
    asked = tracker("人工", "request_human", faq_id="redemption-how", fund_code="900002", lang="zh")
    outcome = run(ActionEscalate(), asked)
    assert outcome.texts == ["正在为您转接人工客服。"]
    assert outcome.messages[0]["custom"] == {
        "type": "handoff_requested",
        "v": 1,
        "team": "trading-desk",
        "reason": "requested",
        "faq_id": "redemption-how",
        "fund": "900002",
        "lang": "zh",
    }
    assert outcome.slots == {
        "handoff_requested": True,
        "handoff_team": "trading-desk",
        "handoff_reason": "requested",
        "awaiting": None,
        "human_offer_reason": None,
        "fallback_count": 0.0,
    }


def test_a_hand_off_without_an_answered_entry_goes_to_the_team_of_the_fund(
    kb: FakeKnowledgeBase, tracker: MakeTracker
) -> None:
    outcome = run(ActionEscalate(), tracker("talk to a person", "request_human", fund_code="900002"))
    assert outcome.texts == ["I'll pass you to our support staff."]
    assert outcome.messages[0]["custom"]["team"] == "investor-relations"
    assert outcome.messages[0]["custom"]["faq_id"] is None


@pytest.mark.parametrize(
    ("slots", "team"),
    [
        ({}, "service-desk"),
        ({"fund_code": "900009"}, "service-desk"),  # its team is not configured
        ({"faq_id": "redemption-fees", "fund_code": "Demo Bond"}, "pricing"),
        ({"faq_id": "deleted-since", "fund_code": "900002"}, "investor-relations"),
    ],
)
def test_a_hand_off_routes_by_entry_team_then_fund_team_then_the_default_queue(
    kb: FakeKnowledgeBase, tracker: MakeTracker, slots: dict[str, Any], team: str
) -> None:
    outcome = run(ActionEscalate(), tracker("agent", "request_human", **slots))
    assert outcome.slots["handoff_team"] == team


def test_a_typed_request_naming_its_topic_goes_to_that_topics_team(kb: FakeKnowledgeBase, tracker: MakeTracker) -> None:
    kb.script("answer", (COMPLAINT, 0.8))
    request = tracker("I want to make a complaint", "request_human", faq_id="redemption-how", fund_code="900002")
    outcome = run(ActionEscalate(), request)
    assert kb.asked == [("I want to make a complaint", "900002")]
    custom = outcome.messages[0]["custom"]
    assert (custom["team"], custom["faq_id"], custom["reason"]) == ("complaints", "complaint-how", "requested")


def test_the_talk_to_a_person_button_is_routed_without_asking_the_knowledge_base(
    kb: FakeKnowledgeBase, tracker: MakeTracker
) -> None:
    outcome = run(ActionEscalate(), tracker("/request_human", "request_human", faq_id="redemption-how"))
    assert kb.asked == []
    assert outcome.messages[0]["custom"]["team"] == "trading-desk"


@pytest.mark.parametrize(
    ("intent", "offered_because"),
    [("affirm", "fallback"), ("request_human", "fallback"), ("affirm", "negative_feedback")],
)
def test_accepting_the_offered_person_names_why_the_person_was_offered(
    kb: FakeKnowledgeBase, tracker: MakeTracker, intent: str, offered_because: str
) -> None:
    accepted = tracker("yes", intent, awaiting="human_offer", human_offer_reason=offered_because, fallback_count=2.0)
    outcome = run(ActionEscalate(), accepted)
    assert outcome.messages[0]["custom"]["reason"] == offered_because
    assert outcome.slots["handoff_reason"] == offered_because
    assert outcome.slots["fallback_count"] == 0.0


def test_an_escalating_entry_is_answered_and_handed_to_its_team_without_asking_for_feedback(
    kb: FakeKnowledgeBase, tracker: MakeTracker
) -> None:
    kb.script("answer", (COMPLAINT, 0.91))
    outcome = run(ActionAnswerFaq(), tracker("I want to complain", fund_code="900002"))
    assert outcome.texts == ["I'll pass you to our complaints team.", "I'll pass you to our support staff."]
    assert outcome.messages[0]["custom"]["faq_id"] == "complaint-how"
    assert outcome.messages[1]["custom"] == {
        "type": "handoff_requested",
        "v": 1,
        "team": "complaints",
        "reason": "faq_escalate",
        "faq_id": "complaint-how",
        "fund": "900002",
        "lang": "en",
    }
    assert outcome.slots["awaiting"] is None
    assert (outcome.slots["handoff_requested"], outcome.slots["handoff_team"]) == (True, "complaints")
    assert outcome.slots["handoff_reason"] == "faq_escalate"


def test_choosing_an_escalating_entry_hands_off_too(kb: FakeKnowledgeBase, tracker: MakeTracker) -> None:
    click = tracker("/choose_faq", "choose_faq", [{"entity": "faq_id", "value": "complaint-how"}], lang="en")
    outcome = run(ActionAnswerFaq(), click)
    assert outcome.messages[-1]["custom"]["type"] == "handoff_requested"
    assert outcome.slots["faq_decision"] == "chosen"
    assert outcome.slots["handoff_reason"] == "faq_escalate"
    assert outcome.slots["awaiting"] is None


def test_back_from_staff_greets_in_the_conversation_language_and_keeps_the_context(
    kb: FakeKnowledgeBase, tracker: MakeTracker
) -> None:
    returned = tracker(
        "/back_to_bot", "back_to_bot", lang="zh", fund_code="900002", faq_id="redemption-how",
        handoff_requested=True, handoff_team="trading-desk", handoff_reason="requested",
    )  # fmt: skip
    outcome = run(ActionBackFromStaff(), returned)
    assert outcome.texts == [TEXTS["zh"]["back_from_staff"]]
    assert outcome.slots == {
        "handoff_requested": False,
        "handoff_team": None,
        "handoff_reason": None,
        "awaiting": None,
        "human_offer_reason": None,
        "fallback_count": 0.0,
    }


def test_declining_the_person_goes_back_to_questions(kb: FakeKnowledgeBase, tracker: MakeTracker) -> None:
    outcome = run(ActionDeclineHuman(), tracker("no", "deny", fallback_count=2.0))
    assert outcome.texts == [TEXT_EN["declined_human"]]
    assert outcome.slots == {"awaiting": None, "human_offer_reason": None, "fallback_count": 0.0}


def test_the_language_slot_follows_the_latest_message(tracker: MakeTracker) -> None:
    assert run(ActionDetectLanguage(), tracker("赎回费多少")).slots == {"lang": "zh"}
    assert run(ActionDetectLanguage(), tracker("/affirm", "affirm", lang="zh")).slots == {"lang": "zh"}

"""The custom actions against rasa-sdk's real Tracker and CollectingDispatcher, with a scripted KB."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher

from actions import runtime
from actions._sdk import Action
from actions.escalation import ActionDeclineHuman, ActionEscalate
from actions.faq import ActionAnswerFaq
from actions.feedback import ActionFeedback
from actions.language import ActionDetectLanguage
from knowledge_base.entries import Entry
from knowledge_base.policy import Candidate, Decision, DecisionKind
from knowledge_base.replies import TEXTS
from knowledge_base.service import KnowledgeBase
from tests.conftest import PROJECT, WriteFaq

REDEEM = Entry("redemption-how", "How do I redeem?", "Tap **Redeem**.", "en/r.md", 3, team="trading-desk")
ARRIVAL = Entry("redemption-arrival", "When does the money arrive?", "T+3.", "en/r.md", 9, team="trading-desk")
FEES = Entry("redemption-fees", "What is the redemption fee?", "It depends.", "en/r.md", 15, team="pricing")
ZH = Entry("zh-redemption-how", "怎么赎回？", "点击赎回。", "zh/r.md", 3, lang="zh", team="trading-desk")

TEXT_EN = TEXTS["en"]


@dataclass(frozen=True)
class FakeMatch:
    decision: Decision
    fund: str | None
    lang: str


@dataclass
class FakeKnowledgeBase:
    """Answers with whatever decision the test scripts; remembers what it was asked."""

    entries: dict[str, Entry] = field(default_factory=dict)
    decision: Decision = field(default_factory=lambda: Decision("fallback", ()))
    lang: str = "en"
    asked: list[tuple[str, str | None]] = field(default_factory=list)

    def ask(self, text: str, *, fund: str | None = None) -> FakeMatch:
        self.asked.append((text, fund))
        return FakeMatch(self.decision, fund, self.lang)

    def entry(self, entry_id: str) -> Entry | None:
        return self.entries.get(entry_id)

    def script(self, kind: DecisionKind, *scored: tuple[Entry, float], lang: str = "en") -> None:
        self.decision = Decision(kind, tuple(Candidate(e, s) for e, s in scored))
        self.lang = lang


@pytest.fixture
def kb() -> Iterator[FakeKnowledgeBase]:
    fake = FakeKnowledgeBase({e.id: e for e in (REDEEM, ARRIVAL, FEES, ZH)})
    with runtime.installed(fake):
        yield fake


MakeTracker = Callable[..., Tracker]


@pytest.fixture
def tracker() -> MakeTracker:
    """A tracker whose latest message has ``text``, ``intent`` and ``entities``, with ``slots``."""

    def make(
        text: str = "How do I redeem?",
        intent: str = "ask_question",
        entities: list[dict[str, Any]] | None = None,
        **slots: Any,
    ) -> Tracker:
        latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": entities or []}
        return Tracker("investor-1", slots, latest, [], False, None, {}, "action_listen")

    return make


@dataclass(frozen=True)
class Outcome:
    messages: list[dict[str, Any]]
    events: list[dict[str, Any]]

    @property
    def slots(self) -> dict[str, Any]:
        return {e["name"]: e["value"] for e in self.events if e["event"] == "slot"}

    @property
    def texts(self) -> list[str | None]:
        return [m["text"] for m in self.messages]


def run(action: Action, tracker: Tracker) -> Outcome:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return Outcome(dispatcher.messages, events)


# -- answering --------------------------------------------------------------------------------


def test_a_clear_answer_is_sent_with_its_audit_and_a_feedback_question(
    kb: FakeKnowledgeBase, tracker: MakeTracker
) -> None:
    kb.script("answer", (REDEEM, 0.8312), (FEES, 0.5))
    outcome = run(ActionAnswerFaq(), tracker())
    assert outcome.texts == ["Tap **Redeem**.", "Did that answer your question?"]
    assert outcome.messages[0]["custom"]["faq_id"] == "redemption-how"
    assert outcome.messages[0]["custom"]["faq_version"] == REDEEM.version
    assert [b["payload"] for b in outcome.messages[1]["buttons"]] == ["/affirm", "/deny"]
    assert outcome.slots == {
        "lang": "en",
        "fund_code": None,
        "faq_id": "redemption-how",
        "faq_version": REDEEM.version,
        "faq_score": 0.8312,
        "faq_decision": "answer",
        "faq_choices": None,
        "fallback_count": 0.0,
        "awaiting": "feedback",
    }


def test_the_fund_in_the_conversation_scopes_the_question(kb: FakeKnowledgeBase, tracker: MakeTracker) -> None:
    kb.script("answer", (FEES, 0.9))
    outcome = run(ActionAnswerFaq(), tracker("and its redemption fee?", fund_code="900002"))
    assert kb.asked == [("and its redemption fee?", "900002")]
    assert outcome.slots["fund_code"] == "900002"


def test_a_fund_slot_that_is_not_a_code_is_not_passed_on(kb: FakeKnowledgeBase, tracker: MakeTracker) -> None:
    kb.script("answer", (FEES, 0.9))
    run(ActionAnswerFaq(), tracker("fees?", fund_code="Demo Bond"))
    assert kb.asked == [("fees?", None)]


def test_a_chinese_question_gets_chinese_replies(kb: FakeKnowledgeBase, tracker: MakeTracker) -> None:
    kb.script("answer", (ZH, 0.9), lang="zh")
    outcome = run(ActionAnswerFaq(), tracker("怎么赎回", lang="en"))
    assert outcome.texts == ["点击赎回。", "这个回答解决您的问题了吗？"]
    assert outcome.slots["lang"] == "zh"


def test_close_candidates_are_offered_as_up_to_three_buttons(kb: FakeKnowledgeBase, tracker: MakeTracker) -> None:
    kb.script("clarify", (ARRIVAL, 0.71), (REDEEM, 0.69), (FEES, 0.66))
    outcome = run(ActionAnswerFaq(), tracker("redemption"))
    (message,) = outcome.messages
    assert [b["title"] for b in message["buttons"]] == [ARRIVAL.question, REDEEM.question, FEES.question]
    assert message["buttons"][0]["payload"] == '/choose_faq{"faq_id":"redemption-arrival"}'
    assert message["custom"]["faq_decision"] == "clarify"
    assert outcome.slots["faq_id"] is None
    assert outcome.slots["faq_choices"] == [
        {"id": "redemption-arrival", "score": 0.71},
        {"id": "redemption-how", "score": 0.69},
        {"id": "redemption-fees", "score": 0.66},
    ]
    assert outcome.slots["awaiting"] is None


def test_a_first_fallback_asks_to_rephrase(kb: FakeKnowledgeBase, tracker: MakeTracker) -> None:
    kb.script("fallback", (FEES, 0.2))
    outcome = run(ActionAnswerFaq(), tracker("blah"))
    assert outcome.texts == ["Sorry, I couldn't find an answer to that. Could you rephrase your question?"]
    assert outcome.messages[0]["custom"]["faq_score"] == 0.2
    assert outcome.slots["fallback_count"] == 1.0
    assert outcome.slots["awaiting"] is None


def test_a_second_fallback_in_a_row_offers_a_person(kb: FakeKnowledgeBase, tracker: MakeTracker) -> None:
    kb.script("fallback")
    outcome = run(ActionAnswerFaq(), tracker("blah again", fallback_count=1.0))
    assert [b["payload"] for b in outcome.messages[0]["buttons"]] == ["/request_human", "/deny"]
    assert outcome.slots["fallback_count"] == 2.0
    assert outcome.slots["awaiting"] == "human_offer"


def test_a_clarify_click_answers_that_entry_without_asking_again(kb: FakeKnowledgeBase, tracker: MakeTracker) -> None:
    choices = [{"id": "redemption-arrival", "score": 0.71}, {"id": "redemption-how", "score": 0.69}]
    click = tracker(
        '/choose_faq{"faq_id":"redemption-how"}',
        "choose_faq",
        [{"entity": "faq_id", "value": "redemption-how"}],
        faq_choices=choices,
        lang="en",
    )
    outcome = run(ActionAnswerFaq(), click)
    assert kb.asked == []
    assert outcome.texts[0] == "Tap **Redeem**."
    assert outcome.slots["faq_id"] == "redemption-how"
    assert outcome.slots["faq_score"] == 0.69
    assert outcome.slots["faq_decision"] == "chosen"
    assert outcome.slots["awaiting"] == "feedback"


def test_choosing_a_fund_scoped_entry_makes_its_fund_the_conversation_fund(
    kb: FakeKnowledgeBase, tracker: MakeTracker
) -> None:
    scoped = Entry("fund-900002-fee", "What is the redemption fee?", "0.1%", "f.md", 1, funds=("900002",))
    kb.entries[scoped.id] = scoped
    click = tracker("/choose_faq", "choose_faq", [{"entity": "faq_id", "value": scoped.id}], fund_code="900001")
    assert run(ActionAnswerFaq(), click).slots["fund_code"] == "900002"


def test_clarify_buttons_name_the_fund_of_fund_scoped_questions(tracker: MakeTracker) -> None:
    scoped = Entry("fund-900002-fee", "What is the redemption fee?", "0.1%", "f.md", 1, funds=("900002",))
    fake = FakeKnowledgeBase()
    fake.script("clarify", (scoped, 0.8), (FEES, 0.79))
    with runtime.installed(fake, {"900002": "Demo Bond Fund"}):
        outcome = run(ActionAnswerFaq(), tracker("fee?"))
    titles = [b["title"] for b in outcome.messages[0]["buttons"]]
    assert titles == ["What is the redemption fee? (Demo Bond Fund 900002)", FEES.question]


def test_a_typed_choice_answers_the_offered_entry(kb: FakeKnowledgeBase, tracker: MakeTracker) -> None:
    choices = [{"id": "redemption-arrival", "score": 0.71}, {"id": "redemption-fees", "score": 0.66}]
    outcome = run(ActionAnswerFaq(), tracker("第二个", "choose_faq", faq_choices=choices, lang="zh"))
    assert outcome.slots["faq_id"] == "redemption-fees"
    assert outcome.texts[1] == "这个回答解决您的问题了吗？"


def test_a_click_on_an_entry_removed_since_says_so(kb: FakeKnowledgeBase, tracker: MakeTracker) -> None:
    click = tracker("/choose_faq", "choose_faq", [{"entity": "faq_id", "value": "gone"}], lang="en")
    outcome = run(ActionAnswerFaq(), click)
    assert outcome.texts == [TEXT_EN["choice_gone"]]
    assert outcome.slots["faq_decision"] == "fallback"


def test_a_choice_that_matches_nothing_is_asked_as_a_question(kb: FakeKnowledgeBase, tracker: MakeTracker) -> None:
    kb.script("answer", (REDEEM, 0.9))
    outcome = run(ActionAnswerFaq(), tracker("2", "choose_faq"))
    assert kb.asked == [("2", None)]
    assert outcome.slots["faq_id"] == "redemption-how"


def test_actions_refuse_to_run_before_the_knowledge_base_is_loaded(tracker: MakeTracker) -> None:
    with pytest.raises(runtime.NotLoaded):
        run(ActionAnswerFaq(), tracker())


# -- feedback, hand-off, language -------------------------------------------------------------


def test_a_yes_to_the_feedback_question_is_recorded_against_the_entry(
    kb: FakeKnowledgeBase, tracker: MakeTracker
) -> None:
    answered = tracker("yes", "affirm", faq_id="redemption-how", faq_version="v1", lang="en")
    outcome = run(ActionFeedback(), answered)
    assert outcome.texts == [TEXT_EN["glad"]]
    assert outcome.messages[0]["custom"] == {
        "type": "faq_feedback",
        "faq_id": "redemption-how",
        "faq_version": "v1",
        "helpful": True,
    }
    assert outcome.slots == {"faq_feedback": "helpful", "awaiting": None}


def test_a_no_to_the_feedback_question_offers_rephrasing_or_a_person(
    kb: FakeKnowledgeBase, tracker: MakeTracker
) -> None:
    outcome = run(ActionFeedback(), tracker("没有帮助", "deny", faq_id="zh-redemption-how", lang="zh"))
    assert outcome.texts == ["抱歉没能解决您的问题。您可以换个说法再问，或者转接人工客服。"]
    assert outcome.messages[0]["buttons"][0]["payload"] == "/request_human"
    assert outcome.slots == {"faq_feedback": "unhelpful", "awaiting": "human_offer"}


def test_escalation_records_the_request_and_the_owning_team(kb: FakeKnowledgeBase, tracker: MakeTracker) -> None:
    outcome = run(ActionEscalate(), tracker("人工", "request_human", faq_id="redemption-fees", lang="zh"))
    assert "人工客服系统尚未接入" in str(outcome.texts[0])
    assert outcome.messages[0]["custom"]["type"] == "handoff_requested"
    assert outcome.slots == {
        "handoff_requested": True,
        "handoff_team": "pricing",
        "awaiting": None,
        "fallback_count": 0.0,
    }


def test_escalation_without_an_answered_entry_has_no_team(kb: FakeKnowledgeBase, tracker: MakeTracker) -> None:
    outcome = run(ActionEscalate(), tracker("talk to a person", "request_human"))
    assert outcome.slots["handoff_team"] is None
    assert "isn't connected yet" in str(outcome.texts[0])


def test_declining_the_person_goes_back_to_questions(kb: FakeKnowledgeBase, tracker: MakeTracker) -> None:
    outcome = run(ActionDeclineHuman(), tracker("no", "deny", fallback_count=2.0))
    assert outcome.texts == [TEXT_EN["declined_human"]]
    assert outcome.slots == {"awaiting": None, "fallback_count": 0.0}


def test_the_language_slot_follows_the_latest_message(tracker: MakeTracker) -> None:
    assert run(ActionDetectLanguage(), tracker("赎回费多少")).slots == {"lang": "zh"}
    assert run(ActionDetectLanguage(), tracker("/affirm", "affirm", lang="zh")).slots == {"lang": "zh"}


# -- wiring -----------------------------------------------------------------------------------


def test_every_custom_action_in_the_domain_is_registered_and_vice_versa() -> None:
    domain = yaml.safe_load((PROJECT / "bot" / "domain.yml").read_text(encoding="utf-8"))
    executor = ActionExecutor()
    executor.register_package("actions")
    assert set(executor.actions) == set(domain["actions"])


def test_the_real_knowledge_base_fits_the_actions(
    open_kb: Callable[..., KnowledgeBase], write_faq: WriteFaq, tracker: MakeTracker
) -> None:
    write_faq(
        "r.md",
        """
        ## How long until redemption money reaches my bank card? {#redemption-arrival}

        Usually one to four trading days after confirmation.
        """,
    )
    with runtime.installed(open_kb()):
        outcome = run(ActionAnswerFaq(), tracker("How long until redemption money reaches my bank card?"))
    assert outcome.slots["faq_id"] == "redemption-arrival"
    assert outcome.texts[0] == "Usually one to four trading days after confirmation."

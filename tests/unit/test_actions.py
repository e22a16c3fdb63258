"""The custom actions against rasa-sdk's real Tracker and CollectingDispatcher, with a scripted KB."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher

from actions import runtime
from actions._sdk import Action
from actions.escalation import ActionBackFromStaff, ActionDeclineHuman, ActionEscalate
from actions.faq import ActionAnswerFaq
from actions.feedback import ActionFeedback
from actions.language import ActionDetectLanguage
from actions.replies import TEXTS
from escalation.spikes.watch import Asked, Observed
from escalation.staff.teams import Router
from funddesk.masking import mask
from knowledge_base.entries import Entry
from knowledge_base.policy import Candidate, Decision, DecisionKind
from knowledge_base.service import KnowledgeBase
from tests.conftest import PROJECT, WriteFaq

REDEEM = Entry("redemption-how", "How do I redeem?", "Tap **Redeem**.", "en/r.md", 3, team="trading-desk")
ARRIVAL = Entry("redemption-arrival", "When does the money arrive?", "T+3.", "en/r.md", 9, team="trading-desk")
FEES = Entry("redemption-fees", "What is the redemption fee?", "It depends.", "en/r.md", 15, team="pricing")
ZH = Entry("zh-redemption-how", "怎么赎回？", "点击赎回。", "zh/r.md", 3, lang="zh", team="trading-desk")
COMPLAINT = Entry(
    "complaint-how", "How do I make a complaint?", "I'll pass you to our complaints team.", "en/c.md", 9,
    team="complaints", escalate=True,
)  # fmt: skip
ROUTER = Router(
    known=frozenset({"service-desk", "trading-desk", "pricing", "complaints", "investor-relations"}),
    fund_teams={"900002": "investor-relations", "900009": "retired-team"},
    default="service-desk",
)

TEXT_EN = TEXTS["en"]


@dataclass(frozen=True)
class FakeMatch:
    decision: Decision
    fund: str | None
    lang: str
    loggable: str
    embedding: np.ndarray | None = None


@dataclass
class FakeKnowledgeBase:
    """Answers with whatever decision the test scripts; remembers what it was asked."""

    entries: dict[str, Entry] = field(default_factory=dict)
    decision: Decision = field(default_factory=lambda: Decision("fallback", ()))
    lang: str = "en"
    asked: list[tuple[str, str | None]] = field(default_factory=list)

    def ask(self, text: str, *, fund: str | None = None) -> FakeMatch:
        self.asked.append((text, fund))
        return FakeMatch(self.decision, fund, self.lang, mask(text).text)

    def entry(self, entry_id: str) -> Entry | None:
        return self.entries.get(entry_id)

    def script(self, kind: DecisionKind, *scored: tuple[Entry, float], lang: str = "en") -> None:
        self.decision = Decision(kind, tuple(Candidate(e, s) for e, s in scored))
        self.lang = lang


@pytest.fixture
def kb() -> Iterator[FakeKnowledgeBase]:
    fake = FakeKnowledgeBase({e.id: e for e in (REDEEM, ARRIVAL, FEES, ZH, COMPLAINT)})
    with runtime.installed(fake, router=ROUTER):
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
        "human_offer_reason": None,
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
    assert outcome.slots["human_offer_reason"] == "fallback"


@dataclass
class FakeSpikes:
    """Says every question belongs to an incident (open, or answered), and what it was told."""

    answered: bool = False
    opened: tuple[str, ...] = ()
    seen: list[Asked] = field(default_factory=list)

    def observe(self, asked: Asked) -> Observed:
        self.seen.append(asked)
        return Observed("c1", "i7", "why did 900001 drop?", holding=not self.answered, opened=self.opened)


@pytest.fixture
def spikes() -> Iterator[FakeSpikes]:
    watch = FakeSpikes()
    runtime.install_spikes(watch)
    yield watch
    runtime.install_spikes(None)


def test_every_question_is_watched_with_the_embedding_used_for_matching(
    kb: FakeKnowledgeBase, tracker: MakeTracker, spikes: FakeSpikes
) -> None:
    spikes.answered = True
    kb.script("answer", (REDEEM, 0.8312))
    run(ActionAnswerFaq(), tracker("how do I redeem?"))
    [asked] = spikes.seen
    assert (asked.text, asked.entry_id, asked.score, asked.decision) == (
        "how do I redeem?",
        "redemption-how",
        0.8312,
        "answer",
    )


ID_CARD = "110101199003071233"  # a well-formed 18-digit resident ID (test data, not a person's)
LONG_DIGITS = re.compile(r"\d{13,}")  # what a personal number leaves if it is not masked


def test_a_question_with_an_id_card_number_is_answered_and_watched_without_the_number(
    open_kb: Callable[..., KnowledgeBase], write_faq: WriteFaq, tracker: MakeTracker, spikes: FakeSpikes
) -> None:
    spikes.answered = True  # an answered incident: the bot answers from the FAQ
    write_faq(
        "zh/r.md",
        """
        ---
        lang: zh
        ---
        ## 赎回的钱多久到账？ {#zh-redemption-arrival}
        - 赎回后几天到账

        一般T+1至T+4个交易日到账。

        ## 怎么开户？ {#zh-account-open}
        - 如何注册账户

        在App首页点击开户。
        """,
    )
    with runtime.installed(open_kb(), router=ROUTER):
        outcome = run(ActionAnswerFaq(), tracker(f"赎回的钱多久到账？身份证{ID_CARD}"))
    assert outcome.slots["faq_id"] == "zh-redemption-arrival"
    assert outcome.texts[0] == "一般T+1至T+4个交易日到账。"
    [asked] = spikes.seen
    assert asked.text == "赎回的钱多久到账？身份证[id ••••1233]"
    assert ID_CARD not in asked.text and not LONG_DIGITS.search(asked.text)
    assert (asked.entry_id, asked.decision, asked.lang) == ("zh-redemption-arrival", "answer", "zh")


def test_a_question_of_an_open_unanswered_incident_gets_the_holding_reply_not_a_fallback(
    kb: FakeKnowledgeBase, tracker: MakeTracker, spikes: FakeSpikes
) -> None:
    kb.script("fallback", (FEES, 0.2))
    outcome = run(ActionAnswerFaq(), tracker("why did 900001 drop 5%?", fallback_count=1.0))
    assert outcome.texts[0] is not None and outcome.texts[0].startswith("Many investors are asking about this")
    assert outcome.messages[0]["custom"]["faq_decision"] == "incident_hold"
    assert outcome.slots["fallback_count"] == 0.0 and outcome.slots["awaiting"] is None  # no hand-off offer


def test_the_question_that_opens_an_incident_names_it_for_the_web_service(
    kb: FakeKnowledgeBase, tracker: MakeTracker, spikes: FakeSpikes
) -> None:
    spikes.opened = ("i7",)
    kb.script("fallback", (FEES, 0.2))
    outcome = run(ActionAnswerFaq(), tracker("why did 900001 drop 5%?"))
    assert outcome.messages[0]["custom"]["incidents_opened"] == ["i7"]


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


def test_a_hand_off_refuses_to_run_before_the_router_is_loaded(tracker: MakeTracker) -> None:
    with runtime.installed(FakeKnowledgeBase()), pytest.raises(runtime.NotLoaded):
        run(ActionEscalate(), tracker("agent", "request_human"))


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

"""The custom actions against rasa-sdk's real Tracker and CollectingDispatcher, with a scripted KB: answering,
choices, the spike watch and the wiring (hand-off and feedback: test_actions_handoff.py)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import ActionExecutor

from actions import runtime
from actions.escalation import ActionEscalate
from actions.faq import ActionAnswerFaq
from actions.replies import TEXTS
from escalation.spikes.watch import Asked, Observed
from knowledge_base.batching import BatchedKnowledgeBase
from knowledge_base.entries import Entry
from knowledge_base.followups import Answered
from knowledge_base.service import KnowledgeBase
from tests.conftest import PROJECT, WriteFaq
from tests.doubles.actions import (
    ARRIVAL,
    FEES,
    REDEEM,
    ROUTER,
    TEXT_EN,
    ZH,
    FakeKnowledgeBase,
    MakeTracker,
    run,
)

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


def conversation(text: str, events: list[dict[str, Any]], **slots: Any) -> Tracker:
    """A tracker whose history is ``events``, then the investor's ``text``."""
    latest = {"text": text, "intent": {"name": "ask_question", "confidence": 0.9}, "entities": []}
    history = [*events, {"event": "user", "text": text}]
    return Tracker("investor-1", slots, latest, history, False, None, {}, "action_listen")


ANSWERED_BEFORE = [{"event": "user", "text": "How do I redeem?"}, {"event": "action", "name": "action_answer_faq"}]


@pytest.mark.parametrize(
    ("slots", "after"),
    [
        ({"faq_id": "redemption-how", "faq_decision": "answer"}, Answered("redemption-how")),
        ({"faq_id": "redemption-fee", "faq_decision": "chosen"}, Answered("redemption-fee")),
        ({"faq_id": None, "faq_decision": "fallback"}, None),
        ({"faq_id": None, "faq_decision": "clarify"}, None),
        ({}, None),
    ],
)
def test_a_question_is_read_after_the_entry_last_answered_or_chosen(
    kb: FakeKnowledgeBase, slots: dict[str, str | None], after: Answered | None
) -> None:
    kb.script("answer", (FEES, 0.9))
    run(ActionAnswerFaq(), conversation("is there a fee for that?", ANSWERED_BEFORE, **slots))
    assert kb.after == [after]


def test_an_answer_of_an_earlier_session_is_no_context_for_a_question(kb: FakeKnowledgeBase) -> None:
    kb.script("answer", (FEES, 0.9))
    events = [*ANSWERED_BEFORE, {"event": "session_started"}, {"event": "action", "name": "action_session_start"}]
    run(
        ActionAnswerFaq(),
        conversation("how long does it take?", events, faq_id="redemption-how", faq_decision="answer"),
    )
    assert kb.after == [None]


def test_the_last_answer_is_for_the_fund_before_the_message_named_another(kb: FakeKnowledgeBase) -> None:
    kb.script("answer", (FEES, 0.9))
    events = [
        {"event": "user", "text": "redemption fee of 900001?"},
        {"event": "slot", "name": "fund_code", "value": "900001"},
        {"event": "action", "name": "action_answer_faq"},
        {"event": "user", "text": "and 900002?"},
        {"event": "slot", "name": "fund_code", "value": "900002"},  # the slot mapping, before the action
    ]
    latest = {"text": "and 900002?", "intent": {"name": "ask_question", "confidence": 0.9}, "entities": []}
    slots = {"faq_id": "fund-900001-redemption-fee", "faq_decision": "answer", "fund_code": "900002"}
    run(ActionAnswerFaq(), Tracker("investor-1", slots, latest, events, False, None, {}, "action_listen"))
    assert kb.asked == [("and 900002?", "900002")]
    assert kb.after == [Answered("fund-900001-redemption-fee", "900001")]


def test_a_message_rewound_and_sent_again_is_not_what_the_conversation_held_before(kb: FakeKnowledgeBase) -> None:
    kb.script("answer", (FEES, 0.9))
    asked = [{"event": "user", "text": "and 900002?"}, {"event": "slot", "name": "fund_code", "value": "900002"}]
    events = [
        {"event": "user", "text": "redemption fee of 900001?"},
        {"event": "slot", "name": "fund_code", "value": "900001"},
        {"event": "action", "name": "action_answer_faq"},
        {"event": "action", "name": "action_listen"},
        *asked,
        {"event": "rewind"},  # a fallback policy took the message back; the investor sent it again
        *asked,
    ]
    latest = {"text": "and 900002?", "intent": {"name": "ask_question", "confidence": 0.9}, "entities": []}
    slots = {"faq_id": "fund-900001-redemption-fee", "faq_decision": "answer", "fund_code": "900002"}
    run(ActionAnswerFaq(), Tracker("investor-1", slots, latest, events, False, None, {}, "action_listen"))
    assert kb.after == [Answered("fund-900001-redemption-fee", "900001")]


def test_a_fund_slot_that_is_not_a_code_is_not_passed_on(kb: FakeKnowledgeBase, tracker: MakeTracker) -> None:
    kb.script("answer", (FEES, 0.9))
    run(ActionAnswerFaq(), tracker("fees?", fund_code="Demo Bond"))
    assert kb.asked == [("fees?", None)]


def test_a_chinese_question_gets_chinese_replies(kb: FakeKnowledgeBase, tracker: MakeTracker) -> None:
    kb.script("answer", (ZH, 0.9), lang="zh")
    outcome = run(ActionAnswerFaq(), tracker("怎么赎回", lang="en"))
    assert outcome.texts == ["点击赎回。", "这个回答解决您的问题了吗？"]
    assert outcome.slots["lang"] == "zh"


@pytest.mark.parametrize("message", ["1234", "???", "😅"])
def test_a_message_without_words_is_answered_in_the_conversations_language(
    kb: FakeKnowledgeBase, tracker: MakeTracker, message: str
) -> None:
    kb.script("fallback", (FEES, 0.1), lang="en")  # the matcher reads a message without letters as English
    outcome = run(ActionAnswerFaq(), tracker(message, lang="zh"))
    assert outcome.texts == [TEXTS["zh"]["rephrase"]]
    assert outcome.slots["lang"] == "zh"
    assert outcome.messages[0]["custom"]["lang"] == "zh"


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
    with runtime.installed(BatchedKnowledgeBase(open_kb()), router=ROUTER):
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
    with runtime.installed(BatchedKnowledgeBase(open_kb())):
        outcome = run(ActionAnswerFaq(), tracker("How long until redemption money reaches my bank card?"))
    assert outcome.slots["faq_id"] == "redemption-arrival"
    assert outcome.texts[0] == "Usually one to four trading days after confirmation."

"""Conversations through Rasa's REST channel: real model, real action server, real knowledge base."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from actions.replies import TEXTS
from knowledge_base.entries import Entry
from knowledge_base.parser import parse_file
from tests.conftest import SHIPPED_FAQ
from tests.integration.conftest import Bot

pytestmark = pytest.mark.integration
EDIT_DEADLINE_S = 30  # generous: the 3-second hot-reload target is the knowledge base's, measured in bench/

Messages = list[dict[str, Any]]


def shipped_entries() -> dict[str, Entry]:
    return {e.id: e for path in sorted(SHIPPED_FAQ.rglob("*.md")) for e in parse_file(path, SHIPPED_FAQ).entries}


SHIPPED = shipped_entries()


def sender() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


def audit(messages: Messages) -> dict[str, Any]:
    """The FAQ decision's audit payload (a ``custom`` message in the REST response)."""
    found: list[dict[str, Any]] = [m["custom"] for m in messages if m.get("custom", {}).get("type") == "faq_match"]
    assert len(found) == 1, messages
    return found[0]


def answer_text(messages: Messages) -> str:
    """The answer as sent: the REST channel splits text at blank lines, so join the parts."""
    parts = []
    for message in messages:
        if "custom" in message:
            break
        parts.append(message["text"])
    return "\n\n".join(parts)


def assert_answered(messages: Messages, entry_id: str) -> None:
    found = audit(messages)
    assert (found["faq_id"], found["faq_decision"]) == (entry_id, "answer"), messages
    assert found["faq_version"] == SHIPPED[entry_id].version
    assert answer_text(messages) == SHIPPED[entry_id].answer.strip()


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How can I update the bank card on my account?", "change-bank-card"),
        ("I can't remember my password, how do I get a new one?", "forgot-password"),
        ("what happens if I place an order after 3pm?", "order-after-cutoff"),
        ("can a child open a fund account?", "minor-account"),
    ],
)
def test_english_paraphrases_are_answered_from_the_faq(bot: Bot, question: str, expected: str) -> None:
    messages = bot.send(question, sender())
    assert_answered(messages, expected)
    assert messages[-1]["text"] == TEXTS["en"]["feedback_prompt"]
    assert [b["payload"] for b in messages[-1]["buttons"]] == ["/affirm", "/deny"]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("怎么更换绑定的银行卡", "zh-change-bank-card"),
        ("分红方式怎么修改", "zh-dividend-change-method"),
        ("怎么修改手机号", "zh-change-phone-number"),
    ],
)
def test_chinese_questions_are_answered_in_chinese(bot: Bot, question: str, expected: str) -> None:
    messages = bot.send(question, sender())
    assert_answered(messages, expected)
    assert audit(messages)["lang"] == "zh"
    assert messages[-1]["text"] == TEXTS["zh"]["feedback_prompt"]


def test_a_chinese_greeting_is_answered_in_chinese(bot: Bot) -> None:
    assert bot.send("你好", sender())[0]["text"].startswith("您好")


@pytest.mark.parametrize("gibberish", ["qwerty zxcv", "asdfgh", "blah blah"])
def test_gibberish_is_asked_to_be_rephrased_not_taken_for_small_talk(bot: Bot, gibberish: str) -> None:
    messages = bot.send(gibberish, sender())
    assert messages[0]["text"] == TEXTS["en"]["rephrase"]
    assert audit(messages)["faq_decision"] == "fallback"


@pytest.mark.parametrize(("message", "reply"), [("thnks", "You're welcome!"), ("谢谢", "不客气"), ("hi", "Hello!")])
def test_small_talk_with_a_slip_or_in_chinese_is_still_small_talk(bot: Bot, message: str, reply: str) -> None:
    assert bot.send(message, sender())[0]["text"].startswith(reply)


def test_a_number_alone_in_a_chinese_conversation_is_answered_in_chinese(bot: Bot) -> None:
    who = sender()
    bot.send("怎么赎回", who)
    assert bot.send("1234", who)[0]["text"] == TEXTS["zh"]["rephrase"]


def test_close_candidates_are_offered_and_a_click_answers_the_chosen_one(bot: Bot) -> None:
    who = sender()
    offered = bot.send("what is the fee?", who)  # purchase, conversion, the online discount...
    assert audit(offered)["faq_decision"] == "clarify"
    buttons = offered[0]["buttons"]
    assert 2 <= len(buttons) <= 3
    assert all(b["payload"].startswith("/choose_faq{") for b in buttons)

    chosen = bot.send(buttons[-1]["payload"], who)
    found = audit(chosen)
    assert found["faq_decision"] == "chosen"
    assert buttons[-1]["payload"].endswith(f'"{found["faq_id"]}"}}')
    assert answer_text(chosen) == SHIPPED[found["faq_id"]].answer.strip()


def test_two_fallbacks_in_a_row_offer_a_person_and_yes_escalates(bot: Bot) -> None:
    who = sender()
    first = bot.send("can I pay for my fund with seashells?", who)
    assert audit(first)["faq_decision"] == "fallback"
    assert first[0]["text"] == TEXTS["en"]["rephrase"]

    second = bot.send("what about paying with gold bars then?", who)
    assert second[0]["text"] == TEXTS["en"]["offer_human"]
    assert [b["payload"] for b in second[0]["buttons"]] == ["/request_human", "/deny"]

    handoff = bot.send("yes please", who)
    assert handoff[0]["text"] == TEXTS["en"]["handoff"]
    assert handoff[1]["custom"] == {
        "type": "handoff_requested",
        "v": 1,
        "team": "service-desk",  # no entry matched, no fund named: the default queue
        "reason": "fallback",
        "faq_id": None,
        "fund": None,
        "lang": "en",
    }
    assert bot.tracker(who)["slots"]["handoff_requested"] is True


def test_a_fund_code_scopes_the_follow_up_questions(bot: Bot) -> None:
    who = sender()
    first = bot.send("what is the redemption fee for 900002?", who)
    assert_answered(first, "fund-900002-redemption-fee")
    assert audit(first)["fund"] == "900002"

    follow_up = bot.send("and what does it cost to buy?", who)
    assert audit(follow_up)["fund"] == "900002"
    assert bot.tracker(who)["slots"]["fund_code"] == "900002"


def test_a_follow_up_question_is_read_in_the_context_of_the_last_answer(bot: Bot) -> None:
    who = sender()
    assert_answered(bot.send("What is a fund conversion?", who), "conversion-what")
    assert_answered(bot.send("is there a fee for that?", who), "conversion-fees")


def test_naming_another_fund_asks_the_last_question_about_that_fund(bot: Bot) -> None:
    who = sender()
    assert_answered(bot.send("演示平衡赎回费多少", who), "zh-fund-900001-redemption-fee")
    follow_up = bot.send("那900002呢", who)
    assert_answered(follow_up, "zh-fund-900002-redemption-fee")
    assert audit(follow_up)["fund"] == "900002"


def test_a_fund_name_is_understood_as_its_code(bot: Bot) -> None:
    who = sender()
    messages = bot.send("how much does it cost to redeem Demo Bond?", who)
    assert audit(messages)["fund"] == "900002"
    assert bot.tracker(who)["slots"]["fund_code"] == "900002"


def test_every_answer_is_recorded_in_the_tracker_with_its_entry_version_and_score(bot: Bot) -> None:
    who = sender()
    bot.send("How can I update the bank card on my account?", who)
    slots = bot.tracker(who)["slots"]
    assert slots["faq_id"] == "change-bank-card"
    assert slots["faq_version"] == SHIPPED["change-bank-card"].version
    assert slots["faq_decision"] == "answer"
    assert 0 < slots["faq_score"] <= 1


def test_an_unhelpful_answer_offers_rephrasing_or_a_person(bot: Bot) -> None:
    who = sender()
    bot.send("How can I update the bank card on my account?", who)
    messages = bot.send("/deny", who)
    assert messages[0]["text"] == TEXTS["en"]["sorry_feedback"]
    assert messages[1]["custom"] == {
        "type": "faq_feedback",
        "v": 1,
        "faq_id": "change-bank-card",
        "faq_version": SHIPPED["change-bank-card"].version,
        "helpful": False,
    }


def test_asking_for_a_person_hands_off_to_the_team_of_the_last_answered_entry(bot: Bot) -> None:
    who = sender()
    assert_answered(bot.send("怎么更换绑定的银行卡", who), "zh-change-bank-card")
    messages = bot.send("转人工", who)
    assert messages[0]["text"] == TEXTS["zh"]["handoff"]
    assert messages[1]["custom"] == {
        "type": "handoff_requested",
        "v": 1,
        "team": SHIPPED["zh-change-bank-card"].team,
        "reason": "requested",
        "faq_id": "zh-change-bank-card",
        "fund": None,
        "lang": "zh",
    }
    assert bot.tracker(who)["slots"]["handoff_requested"] is True


def test_accepting_the_person_offered_after_an_unhelpful_answer_is_a_negative_feedback_hand_off(bot: Bot) -> None:
    who = sender()
    bot.send("what is the redemption fee for 900002?", who)
    bot.send("/deny", who)
    handoff = bot.send("/request_human", who)  # the offer's "Talk to a person" button
    assert handoff[1]["custom"]["reason"] == "negative_feedback"
    assert handoff[1]["custom"]["fund"] == "900002"
    assert handoff[1]["custom"]["team"] == SHIPPED["fund-900002-redemption-fee"].team


def test_a_suspected_fraud_is_answered_and_handed_to_compliance_without_a_feedback_question(bot: Bot) -> None:
    who = sender()
    messages = bot.send("someone redeemed my fund without my permission", who)
    assert_answered(messages[:-2], "fraud-unauthorized-transaction")
    assert messages[-2]["text"] == TEXTS["en"]["handoff"]
    assert messages[-1]["custom"] == {
        "type": "handoff_requested",
        "v": 1,
        "team": "compliance",
        "reason": "faq_escalate",
        "faq_id": "fraud-unauthorized-transaction",
        "fund": None,
        "lang": "en",
    }
    assert all(m.get("text") != TEXTS["en"]["feedback_prompt"] for m in messages)
    assert bot.tracker(who)["slots"]["awaiting"] is None


def test_a_request_for_a_person_that_names_its_topic_goes_to_that_topics_team(bot: Bot) -> None:
    who = sender()
    assert_answered(bot.send("How can I update the bank card on my account?", who), "change-bank-card")
    handoff = bot.send("I want to make a complaint about your service", who)[-1]["custom"]
    assert (handoff["reason"], handoff["team"], handoff["faq_id"]) == ("requested", "complaints", "complaint-how")


def test_back_from_staff_the_bot_greets_and_goes_on_with_its_context(bot: Bot) -> None:
    who = sender()
    bot.send("what is the redemption fee for 900002?", who)
    bot.send("talk to a person", who)

    back = bot.send("/back_to_bot", who)
    assert [m.get("text") for m in back] == [TEXTS["en"]["back_from_staff"]]
    slots = bot.tracker(who)["slots"]
    assert (slots["handoff_requested"], slots["awaiting"], slots["fallback_count"]) == (False, None, 0)
    assert (slots["fund_code"], slots["lang"]) == ("900002", "en")

    follow_up = bot.send("and what does it cost to buy?", who)
    assert audit(follow_up)["fund"] == "900002"


def test_an_edited_answer_is_live_without_restarting_anything(bot: Bot) -> None:
    entry = SHIPPED["change-bank-card"]
    path = bot.kb_dir / entry.file
    original = path.read_text(encoding="utf-8")
    edited = "Bank cards are now changed in Settings > Payment methods (edited by a test)."
    path.write_text(original.replace(entry.answer.strip(), edited), encoding="utf-8")
    try:
        deadline = time.monotonic() + EDIT_DEADLINE_S
        while True:
            messages = bot.send("How can I update the bank card on my account?", sender())
            if answer_text(messages) == edited or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert answer_text(messages) == edited
        assert audit(messages)["faq_version"] != entry.version
    finally:
        path.write_text(original, encoding="utf-8")

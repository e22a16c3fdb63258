"""Reading a message: personal numbers out (masked for logs), funds taken out, noise dropped."""

from __future__ import annotations

import pytest

from knowledge_base.question import QuestionReader, Reading, clauses

FUNDS = {
    "900001": ("Demo Balanced Fund", "Demo Balanced", "演示平衡"),
    "900002": ("Demo Bond",),
}
ID_NUMBER = "110101199003074514"
PHONE = "13812345678"
CARD = "6222021234567890123"


def read(message: str) -> Reading:
    return QuestionReader(FUNDS).read(message)


# -- personal numbers ------------------------------------------------------------------------

PERSONAL = [
    pytest.param(f"您好，请问我的身份证号{ID_NUMBER}怎么改", ID_NUMBER, "[id ••••4514]", "我的 怎么改", id="zh ID"),
    pytest.param(
        f"my ID is {ID_NUMBER}, how do I change it", ID_NUMBER, "[id ••••4514]", "how do i change it", id="en ID"
    ),
    pytest.param(f"手机{PHONE}收不到验证码", PHONE, "[phone ••••5678]", "收不到验证码", id="zh phone"),
    pytest.param(
        f"my phone number is {PHONE} and I get no code", PHONE, "[phone ••••5678]", "and i get no code", id="en phone"
    ),
    pytest.param(f"银行卡{CARD}怎么换", CARD, "[card ••••0123]", "怎么换", id="zh card"),
    pytest.param("my bank card 6222 0212 3456 7890 123 is lost", CARD, "[card ••••0123]", "is lost", id="en card"),
]


@pytest.mark.parametrize(("message", "number", "masked", "question"), PERSONAL)
def test_a_personal_number_is_masked_for_logs_and_gone_from_the_question(
    message: str, number: str, masked: str, question: str
) -> None:
    reading = read(message)
    assert reading.text == question
    assert masked in reading.loggable
    assert number not in reading.loggable.replace(" ", "")
    assert number[-4:] not in reading.text
    assert reading.personal == 1


def test_the_loggable_text_keeps_everything_but_the_numbers() -> None:
    reading = read(f"您好，请问我的身份证号{ID_NUMBER}怎么改")
    assert reading.loggable == "您好，请问我的身份证号[id ••••4514]怎么改"


def test_an_id_number_ending_in_x_is_masked_too() -> None:
    reading = read("11010119900307451X 怎么改")
    assert reading.loggable == "[id ••••451X] 怎么改"
    assert reading.text == "怎么改"


def test_several_personal_numbers_are_all_removed_and_counted() -> None:
    reading = read(f"身份证{ID_NUMBER}，手机{PHONE}，怎么改银行卡")
    assert reading.personal == 2
    assert not any(c.isdigit() for c in reading.text)
    assert reading.text == "怎么改银行卡"


# -- reference numbers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "question"),
    [
        ("订单编号：2024051201怎么查", "怎么查"),
        ("流水号 20240512013 还没到账", "还没到账"),
        ("order no. 2024051201 status", "status"),
        ("ref: AB-12345678 please check", "check"),
    ],
)
def test_an_order_or_reference_number_is_dropped_with_its_label(message: str, question: str) -> None:
    reading = read(message)
    assert reading.text == question
    assert reading.personal == 0
    assert reading.loggable == message  # not personal: logs keep it


# -- funds -----------------------------------------------------------------------------------


def test_a_fund_code_is_taken_out_and_returned_as_the_fund() -> None:
    reading = read("900001的赎回费是多少")
    assert reading.fund == "900001"
    assert reading.text == "的赎回费是多少"
    assert read("what is the redemption fee of 900001?").text == "what is the redemption fee of"


@pytest.mark.parametrize(
    "message",
    [
        "DEMO BALANCED FUND redemption fee",
        "demo balanced fund redemption fee",
        "ｄｅｍｏ　ｂａｌａｎｃｅｄ redemption fee",
    ],
)
def test_a_fund_name_is_recognised_whatever_its_case_or_width(message: str) -> None:
    reading = read(message)
    assert reading.fund == "900001"
    assert reading.text == "redemption fee"


def test_a_chinese_fund_name_is_recognised() -> None:
    reading = read("演示平衡的赎回费")
    assert (reading.fund, reading.text) == ("900001", "的赎回费")


def test_the_longest_name_of_a_fund_is_taken_out_whole() -> None:
    assert read("Demo Balanced Fund fee").text == "fee"


def test_a_fund_name_is_not_recognised_without_the_funds_mapping() -> None:
    assert QuestionReader().read("Demo Bond fee").fund is None


def test_of_two_funds_named_the_first_in_the_message_is_the_one_asked_about() -> None:
    assert read("Demo Bond or 900001?").fund == "900002"
    assert read("900001 or Demo Bond?").fund == "900001"


@pytest.mark.parametrize(
    "message",
    ["买了100000元", "投资 100000 元", "I invested 100000 yuan", "100000 shares", "¥100000到账了吗", "$100000"],
)
def test_an_amount_is_not_a_fund_code(message: str) -> None:
    reading = read(message)
    assert reading.fund is None
    assert "100000" in reading.text


@pytest.mark.parametrize(
    "message",
    [
        pytest.param("我买了100000元的基金怎么赎回", id="yuan"),
        pytest.param("赎回100000份需要多久", id="shares"),
        pytest.param("投了100000块钱", id="kuai"),
    ],
)
def test_an_amount_followed_by_more_chinese_is_not_a_fund_code(message: str) -> None:
    assert read(message).fund is None


def test_a_six_digit_run_inside_a_longer_number_is_not_a_fund_code() -> None:
    assert read("1000000元").fund is None
    assert read("100000.50 yuan").fund is None


# -- greetings and thanks --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "question"),
    [
        ("您好，请问怎么赎回？谢谢", "怎么赎回"),
        ("hi, how do I redeem? thanks", "how do i redeem"),
        ("Hello! what is the NAV today? Thank you", "what is the nav today"),
        ("在吗", ""),
    ],
)
def test_greetings_and_thanks_are_dropped(message: str, question: str) -> None:
    assert read(message).text == question


def test_a_greeting_inside_a_word_stays() -> None:
    assert read("this high fee").text == "this high fee"


# -- a fund entry's phrasings ------------------------------------------------------------------


def test_a_fund_entrys_phrasing_loses_its_funds_names_and_code_as_a_question_does() -> None:
    reader = QuestionReader(FUNDS)
    assert reader.phrasing("演示平衡风险大吗") == "风险大吗"
    assert (
        reader.phrasing("What is the redemption fee of Demo Balanced Fund 900001?") == "what is the redemption fee of"
    )


def test_a_phrasing_that_is_only_a_fund_name_is_kept_whole() -> None:
    assert QuestionReader(FUNDS).phrasing("Demo Bond") == "Demo Bond"


def test_the_readers_key_changes_with_the_fund_names_it_knows() -> None:
    assert QuestionReader(FUNDS).key == QuestionReader(dict(FUNDS)).key
    assert QuestionReader(FUNDS).key != QuestionReader({"900001": ("Demo Balanced",)}).key


# -- clauses -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        pytest.param("申购单下错了 能撤吗 刚下的", ["申购单下错了", "能撤吗", "刚下的"], id="zh spaces"),
        pytest.param("赎回了三天，还没到账！怎么回事", ["赎回了三天", "还没到账", "怎么回事"], id="zh punctuation"),
        pytest.param("sold on monday. still no money, why", ["sold on monday", "still no money", "why"], id="en"),
        pytest.param("how long does redemption take", [], id="one clause"),
        pytest.param("nav咋还没出", [], id="mixed scripts, one clause"),
    ],
)
def test_a_question_splits_into_clauses_at_punctuation_and_at_spaces_between_chinese(
    question: str, parts: list[str]
) -> None:
    assert clauses(question) == parts

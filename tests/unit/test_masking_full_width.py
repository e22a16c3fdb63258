"""Chinese input methods often type full-width digits: a phone number so written is masked like any other
(it would otherwise reach the question log, gap samples, CSV exports and log lines as the investor typed it)."""

from __future__ import annotations

import pytest

from funddesk.masking import mask


@pytest.mark.parametrize(
    "typed",
    [
        "我的手机是１３８１２３４５６７８",
        "电话 ＋８６ １３８ １２３４ ５６７８",
        "座机 ０１０-１２３４５６７８",
        "+86１３８１２３４５６７８",
    ],
)
def test_a_phone_number_typed_in_full_width_digits_is_masked(typed: str) -> None:
    masked = mask(typed)
    assert masked.count == 1
    assert "[phone ••••" in masked.text


def test_a_full_width_fund_code_and_amount_stay_readable() -> None:
    assert mask("基金１１０００１ 赎回５０００元").text == "基金１１０００１ 赎回５０００元"


def test_a_run_of_digits_inside_a_hex_id_is_not_taken_for_a_bank_card() -> None:
    """A conversation id is a hex token: one that starts with 16 digits must reach the logs as it is."""
    conversation_id = "91686988312646528d05e4d327ad2a1c"
    assert mask(f"conversation {conversation_id} failed").text == f"conversation {conversation_id} failed"
    assert mask("卡号6222021234567890123").changed  # a card number after Chinese text is still masked


@pytest.mark.parametrize(
    "token",
    [
        "a913812345678cd05e4d327ad2a1c0f",  # a hex id holding a mobile number's digits
        "3f2a9c1e-77b4-4c1d-0123-45678901abcd",  # a UUID whose last groups look like a landline
    ],
)
def test_digits_inside_an_id_token_are_not_taken_for_a_phone_number(token: str) -> None:
    assert mask(f"conversation {token} failed").text == f"conversation {token} failed"


@pytest.mark.parametrize(
    "typed", ["手机13812345678", "call 138-1234-5678 please", "座机010-12345678。", "(+86 138 1234 5678)"]
)
def test_a_phone_number_beside_chinese_text_or_punctuation_is_still_masked(typed: str) -> None:
    assert "[phone ••••5678]" in mask(typed).text

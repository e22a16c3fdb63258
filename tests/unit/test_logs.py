"""Log lines carry the conversation id and never an investor's ID-card, bank-card or phone number."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from funddesk import logs

ID_CARD, BANK_CARD, PHONE = "11010519491231002X", "6222 0212 3456 7890 128", "13812345678"


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO, list[logging.Handler]]]:
    logger = logging.Logger("funddesk.test_logs", logging.INFO)  # outside the hierarchy: only its own handler
    out = io.StringIO()
    yield logger, out, logger.handlers
    logs.conversation_id.set(None)


def log_every_kind_of_number(logger: logging.Logger) -> None:
    logs.conversation_id.set("conv-42")
    logger.info("investor %s wrote: my ID card is %s", "Wang", ID_CARD)
    logger.warning("card %s, phone %s", BANK_CARD, PHONE)
    try:
        raise ValueError(f"could not read {PHONE}")
    except ValueError:
        logger.exception("failed for %s", ID_CARD)


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_every_kind_of_personal_number_is_masked_in_the_message_its_arguments_and_the_traceback(
    captured: tuple[logging.Logger, io.StringIO, list[logging.Handler]], log_format: str
) -> None:
    logger, out, handlers = captured
    handlers.append(logs.handler(log_format, out))
    log_every_kind_of_number(logger)
    written = out.getvalue()
    for raw in (ID_CARD, BANK_CARD, BANK_CARD.replace(" ", ""), PHONE):
        assert raw not in written
    for masked in ("[id ••••002X]", "[card ••••0128]", "[phone ••••5678]", "could not read [phone ••••5678]"):
        assert masked in written


def test_json_lines_are_one_object_per_record_with_the_conversation_id(
    captured: tuple[logging.Logger, io.StringIO, list[logging.Handler]],
) -> None:
    logger, out, handlers = captured
    handlers.append(logs.handler("json", out))
    log_every_kind_of_number(logger)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["level"] for line in lines] == ["INFO", "WARNING", "ERROR"]
    assert {line["conversation_id"] for line in lines} == {"conv-42"}
    assert lines[0]["message"] == "investor Wang wrote: my ID card is [id ••••002X]"
    assert "ValueError: could not read [phone ••••5678]" in lines[2]["exception"]


def test_text_lines_name_the_conversation_or_a_dash(
    captured: tuple[logging.Logger, io.StringIO, list[logging.Handler]],
) -> None:
    logger, out, handlers = captured
    handlers.append(logs.handler("text", out))
    logs.conversation_id.set(None)
    logger.info("started")
    assert out.getvalue().rstrip().endswith("INFO funddesk.test_logs [-]: started")


def test_an_unknown_log_format_is_an_error_naming_the_setting() -> None:
    with pytest.raises(ValueError, match="FUNDDESK_LOG_FORMAT='xml'"):
        logs.handler("xml")


def test_configure_sends_sanics_loggers_through_the_one_masking_handler() -> None:
    root, sanic_error = logging.getLogger(), logging.getLogger("sanic.error")
    saved = (list(root.handlers), root.level, list(sanic_error.handlers), sanic_error.propagate)
    out = io.StringIO()
    try:
        sanic_error.addHandler(logging.StreamHandler(io.StringIO()))
        logs.configure("json", stream=out)
        sanic_error.error("request from %s failed", PHONE)
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
        sanic_error.handlers[:], sanic_error.propagate = saved[2], saved[3]
    assert json.loads(out.getvalue())["message"] == "request from [phone ••••5678] failed"


def test_a_malformed_log_call_is_still_written_masked_and_never_raises(
    captured: tuple[logging.Logger, io.StringIO, list[logging.Handler]],
) -> None:
    logger, out, handlers = captured
    handlers.append(logs.handler("text", out))
    logger.info("two placeholders %s %s", PHONE)
    assert "[phone ••••5678]" in out.getvalue() and PHONE not in out.getvalue()

"""The queue's "Back to the assistant" in the widget, in a real browser (Debian's chromium): it stays usable for as long
as the conversation waits, whatever the investor types meanwhile (they are told they may keep typing), and it is
closed once a member of staff has the conversation, so an old button never ends their chat."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from funddesk.settings import Settings
from tests.web.browser import Console, NewPage, Widget, add_staff, browser, new_page, url, web_with_fake_rasa

pytestmark = pytest.mark.integration
__all__ = ["browser", "new_page"]  # fixtures, see tests/web/browser.py


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """``python -m web`` in front of the fake Rasa, with an agent of the team it routes people to."""
    with web_with_fake_rasa(tmp_path_factory.mktemp("widget-queue") / "var") as settings:
        add_staff(settings, "ana")
        yield settings


def waiting(new_page: NewPage, settings: Settings) -> Widget:
    investor = new_page()
    investor.goto(url(settings))
    widget = Widget(investor)
    widget.open()
    widget.ask("I want to talk to a person")
    expect(widget.log.get_by_role("button", name="Back to the assistant")).to_be_enabled()
    return widget


def test_an_investor_who_typed_while_waiting_can_still_go_back_to_the_assistant(
    service: Settings, new_page: NewPage
) -> None:
    widget = waiting(new_page, service)
    widget.ask("My order number is 12345, please check")
    back = widget.log.get_by_role("button", name="Back to the assistant")
    expect(back).to_be_enabled()
    widget.page.reload()  # the widget reopens with the history
    expect(back).to_be_enabled()
    back.click()
    expect(widget.log.get_by_text("You have left the queue")).to_be_visible()
    widget.ask("And the cut-off time?")
    expect(widget.log.get_by_text("15:00")).to_be_visible()  # the bot answers again


def test_once_a_person_has_the_conversation_the_queues_button_is_closed(service: Settings, new_page: NewPage) -> None:
    console = Console(new_page(), service)
    console.log_in("ana")
    widget = waiting(new_page, service)
    card = console.page.locator(".q-item", has_text="Asked for a person").last
    card.get_by_role("button", name=re.compile("^Claim")).click()
    console.reply.fill("Hello, this is Ana.")
    console.reply.press("Enter")
    expect(widget.log.get_by_text("Hello, this is Ana.")).to_be_visible()
    expect(widget.log.get_by_role("button", name="Back to the assistant")).to_be_disabled()
    console.page.get_by_role("button", name="Hand back to the bot").click()
    expect(widget.log.get_by_text("You're back with the FundDesk assistant")).to_be_visible()
    expect(widget.log.get_by_role("button", name="Back to the assistant")).to_be_disabled()

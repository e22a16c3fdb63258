"""HTML and script in a member of staff's reply and internal note are inert, in real browsers
(Debian's chromium): the investor's widget and the console both show them as text, no handler runs
(a window flag stays unset), and no element is made from them. (An investor's HTML and the bot's
hostile markdown: test_widget_browser.py and test_console_browser.py.)"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from escalation.staff import accounts
from funddesk.db import Database, StaffRole, database_url
from funddesk.settings import Settings
from tests.web.browser import (
    PASSWORD,
    Console,
    NewPage,
    Widget,
    browser,
    conversation_of,
    new_page,
    url,
    web_with_fake_rasa,
)

pytestmark = pytest.mark.integration
__all__ = ["browser", "new_page"]  # fixtures, see tests/web/browser.py
HOSTILE = (
    '<img src=x onerror="window.__xss=1">',
    "<script>window.__xss=1</script>",
    '<svg onload="window.__xss=1"></svg>',
    '"><iframe src="javascript:window.__xss=1"></iframe>',
)
ELEMENTS = "img, script, svg, iframe, [onerror], [onload]"
LINK = "[click me](javascript:window.__xss=1)"  # staff replies are markdown: a link, but never a javascript: one


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    with web_with_fake_rasa(tmp_path_factory.mktemp("inert") / "var") as settings:
        db = Database.from_url(database_url("", settings.data_dir))
        with db.session(write=True) as session:
            accounts.create_user(
                session, "mallory", PASSWORD, role=StaffRole.AGENT, display_name="Mallory", teams=["service-desk"]
            )
        db.dispose()
        yield settings


def _nothing_ran(page: Page, scope: str) -> None:
    page.wait_for_timeout(300)  # time for a handler to fire (new_page fails the test on a dialog or script error)
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator(f"{scope} :is({ELEMENTS})").count() == 0


def claimed_by_mallory(service: Settings, new_page: NewPage) -> tuple[Console, Page]:
    """An investor who asked for a person, and Mallory's console once she has claimed them."""
    console = Console(new_page(), service)
    console.log_in("mallory")
    investor = new_page()
    investor.goto(url(service))
    widget = Widget(investor)
    widget.open()
    widget.ask("I want to talk to a person")
    expect(investor.locator(".fd-state")).to_contain_text("in the queue")  # the conversation is saved by now
    card = console.card(conversation_of(investor))
    expect(card).to_be_visible()
    card.get_by_role("button", name=re.compile("^Claim")).click()
    return console, investor


def test_a_staff_reply_full_of_html_is_text_in_the_widget_and_the_console(service: Settings, new_page: NewPage) -> None:
    console, investor = claimed_by_mallory(service, new_page)
    widget = Widget(investor)
    expect(investor.locator(".fd-state")).to_have_text("You are chatting with a member of staff.")

    for text in HOSTILE:
        console.reply.fill(text)
        console.reply.press("Enter")
        expect(widget.log.locator(".fd-msg--staff .fd-bubble", has_text=text)).to_be_visible()
        expect(console.transcript.locator(".msg__text", has_text=text).last).to_have_text(text)
    console.reply.fill(LINK)
    console.reply.press("Enter")
    expect(widget.log.locator(".fd-msg--staff .fd-bubble", has_text="click me")).to_be_visible()
    shown = widget.log.locator(".fd-msg--staff .fd-bubble").all_inner_texts()
    assert [next(t for t in HOSTILE if t in bubble) for bubble in shown[:-1]] == list(HOSTILE)
    links = investor.locator("[role=log] a, #app a").evaluate_all("found => found.map(a => a.getAttribute('href'))")
    assert not any((href or "").lower().startswith("javascript") for href in links)
    _nothing_ran(investor, "[role=log]")
    _nothing_ran(console.page, "#app")
    assert console.page.locator("#app a[href^='javascript']").count() == 0

    investor.reload()  # and again when the widget renders the saved history
    expect(Widget(investor).log.locator(".fd-msg--staff")).to_have_count(len(HOSTILE) + 1)
    _nothing_ran(investor, "[role=log]")


def test_an_internal_note_full_of_html_is_text_in_the_console(service: Settings, new_page: NewPage) -> None:
    console, investor = claimed_by_mallory(service, new_page)
    widget = Widget(investor)
    console.page.get_by_label("Internal note (investor cannot see)").check()
    for text in HOSTILE[:2]:
        console.reply.fill(text)
        console.reply.press("Enter")
        expect(console.transcript.locator(".msg--internal", has_text=text)).to_be_visible()
    _nothing_ran(console.page, "#app")
    expect(widget.log.locator(".fd-msg--staff")).to_have_count(0)

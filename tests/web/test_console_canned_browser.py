"""Canned responses in the reply box, in a real browser (Debian's chromium): one a lead adds is offered to an agent
whose console was already open, at their next "/", and a "/" word that matches nothing is not sent to the investor."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from funddesk.db import CannedResponse, Database, database_url
from funddesk.settings import Settings
from tests.web.browser import (
    Console,
    NewPage,
    add_staff,
    browser,
    investor_asks_for_a_person,
    new_page,
    web_with_fake_rasa,
)

pytestmark = pytest.mark.integration
__all__ = ["browser", "new_page"]  # fixtures, see tests/web/browser.py
TEAM = "service-desk"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """``python -m web`` in front of the fake Rasa, with an agent of the team it routes people to."""
    with web_with_fake_rasa(tmp_path_factory.mktemp("console-canned") / "var") as settings:
        add_staff(settings, "ana", team=TEAM)
        yield settings


def add_canned(settings: Settings, shortcut: str, text: str) -> None:
    """As a lead adds one in Team settings, from another console."""
    db = Database.from_url(database_url("", settings.data_dir))
    try:
        with db.session(write=True) as session:
            session.add(CannedResponse(team_id=TEAM, shortcut=shortcut, text=text))
    finally:
        db.dispose()


def claimed(service: Settings, new_page: NewPage) -> Console:
    cid = investor_asks_for_a_person(service)
    console = Console(new_page(), service)
    console.log_in("ana")
    console.card(cid).get_by_role("button", name=re.compile("^Claim")).click()
    expect(console.reply).to_be_enabled()
    return console


def test_a_canned_response_added_while_the_console_is_open_is_offered_at_the_next_slash(
    service: Settings, new_page: NewPage
) -> None:
    console = claimed(service, new_page)
    options = console.page.get_by_role("listbox", name="Canned responses").get_by_role("option")
    console.reply.press_sequentially("/fee")
    expect(console.page.get_by_text("No canned response matches.")).to_be_visible()
    add_canned(service, "fees", "Purchase fees are 0.15% online.")
    console.reply.fill("")
    console.reply.press_sequentially("/fee")
    expect(options).to_have_count(1)
    expect(options).to_contain_text("/fees")


def test_a_slash_word_that_matches_no_canned_response_is_not_sent_until_the_list_is_closed(
    service: Settings, new_page: NewPage
) -> None:
    console = claimed(service, new_page)
    console.reply.press_sequentially("/hel")
    expect(console.page.get_by_text("No canned response matches.")).to_be_visible()
    console.reply.press("Enter")
    expect(console.reply).to_have_value("/hel")  # kept, not sent
    assert console.transcript.locator(".msg--staff").count() == 0
    console.reply.press("Escape")
    console.reply.press("Enter")  # what staff meant to send, after all
    expect(console.transcript.locator(".msg--staff", has_text="/hel")).to_be_visible()

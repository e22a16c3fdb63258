"""Who is online, live in the staff console (Debian's chromium): each team column counts the
members whose console is connected. Its own service, so its logins stay under the login limit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from funddesk.settings import Settings
from tests.web.browser import Console, NewPage, add_staff, browser, new_page, url, web_with_fake_rasa

pytestmark = pytest.mark.integration
__all__ = ["browser", "new_page"]  # fixtures, see tests/web/browser.py
TEAM = "service-desk"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    with web_with_fake_rasa(tmp_path_factory.mktemp("presence") / "var") as settings:
        add_staff(settings, "alice", "bob", team=TEAM)
        yield settings


def test_a_team_column_counts_its_members_online_as_their_consoles_come_and_go(
    service: Settings, new_page: NewPage
) -> None:
    alice = Console(new_page(), service)
    alice.log_in("alice")
    counts = alice.page.locator(f'.queue[data-team="{TEAM}"] .queue__counts')
    expect(counts).to_contain_text(" · 1 online")
    bob = Console(new_page(), service)
    bob.log_in("bob")
    expect(counts).to_contain_text(" · 2 online")  # live: alice's console is not reloaded
    bob.page.close()
    expect(counts).to_contain_text(" · 1 online")


def test_closing_a_second_tab_leaves_its_agent_online(service: Settings, new_page: NewPage) -> None:
    alice = Console(new_page(), service)
    alice.log_in("alice")
    counts = alice.page.locator(f'.queue[data-team="{TEAM}"] .queue__counts')
    expect(counts).to_contain_text(" · 1 online")
    second_tab = alice.page.context.new_page()  # same browser, same session cookie
    second_tab.goto(url(service, "/console"))
    expect(second_tab.locator(".conn--live")).to_be_visible()
    second_tab.close()
    bob = Console(new_page(), service)
    bob.log_in("bob")
    expect(counts).to_contain_text(" · 2 online")  # alice's first tab still counts her

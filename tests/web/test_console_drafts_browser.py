"""What staff were doing survives what they do next, in a real browser (Debian's chromium): a reply being typed stays
with its conversation when another is opened, and both it and the open conversation come back after a reload or
the language switch; an incident's answer being written does too. The address says what is open, so Back goes
back and a link opens the conversation for whoever may see it. Signing out forgets every draft."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, Route, expect

from funddesk.db import StaffRole
from funddesk.settings import Settings
from tests.web.browser import (
    Console,
    NewPage,
    add_staff,
    browser,
    investor_asks_for_a_person,
    new_page,
    url,
    web_with_fake_rasa,
)
from tests.web.test_console_languages_browser import open_incident

pytestmark = pytest.mark.integration
__all__ = ["browser", "new_page"]  # fixtures, see tests/web/browser.py
TEAM = "service-desk"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """``python -m web`` in front of the fake Rasa, with an agent and a team lead."""
    with web_with_fake_rasa(tmp_path_factory.mktemp("console-drafts") / "var") as settings:
        add_staff(settings, "ana", team=TEAM)
        add_staff(settings, "lee", role=StaffRole.LEAD, team=TEAM)
        yield settings


def ana_with_two_waiting(service: Settings, new_page: NewPage) -> tuple[Console, str, str]:
    """Two investors waiting for a person, and ana signed in with the first one's conversation open."""
    first, second = investor_asks_for_a_person(service), investor_asks_for_a_person(service)
    console = Console(new_page(), service)
    console.log_in("ana")
    open_card(console, first)
    return console, first, second


def open_card(console: Console, cid: str) -> None:
    console.card(cid).get_by_role("button", name=re.compile("^Open")).click()
    expect(console.page.get_by_role("heading", name=re.compile("^Conversation "))).to_be_visible()
    expect(console.page).to_have_url(re.compile(f"#/conversation/{cid}$"))


def test_a_reply_being_typed_stays_with_its_conversation_and_comes_back_after_the_language_switch(
    service: Settings, new_page: NewPage
) -> None:
    console, first, second = ana_with_two_waiting(service, new_page)
    console.reply.fill("Your redemption left on Monday")
    open_card(console, second)
    expect(console.reply).to_have_value("")  # the first one's words are not offered to the second investor
    console.page.get_by_label("Internal note (investor cannot see)").check()
    console.reply.fill("Asked twice already")
    open_card(console, first)
    expect(console.reply).to_have_value("Your redemption left on Monday")
    expect(console.page.get_by_label("Internal note (investor cannot see)")).not_to_be_checked()

    console.page.get_by_role("button", name="中文: switch the console to Chinese").click()  # reloads the page
    page = console.page
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()
    expect(page).to_have_url(re.compile(f"#/conversation/{first}$"))
    expect(page.get_by_role("textbox", name="回复投资者")).to_have_value("Your redemption left on Monday")
    page.reload()
    page.locator(f'.q-item[data-conversation="{second}"]').get_by_role("button", name=re.compile("^打开")).click()
    expect(page.get_by_role("textbox", name="回复投资者")).to_have_value("Asked twice already")
    expect(page.get_by_label("内部备注（投资者不可见）")).to_be_checked()  # still a note, as it was being written


def test_back_goes_to_the_conversation_before_then_to_the_queues_and_a_link_opens_it_after_signing_in(
    service: Settings, new_page: NewPage
) -> None:
    console, first, second = ana_with_two_waiting(service, new_page)
    open_card(console, second)
    console.page.go_back()
    expect(console.page).to_have_url(re.compile(f"#/conversation/{first}$"))
    expect(console.page.locator(f'.q-item[data-conversation="{first}"]')).to_have_attribute("aria-current", "true")
    console.page.go_back()  # to the queues as they were after signing in: nothing open beside them
    expect(console.page).to_have_url(re.compile("#/queues$"))
    expect(console.page.get_by_role("heading", name="Pick a conversation from a queue.")).to_be_visible()

    colleague = Console(new_page(), service)
    colleague.page.goto(url(service, f"/console#/conversation/{second}"))
    colleague.page.get_by_label("Username").fill("lee")
    colleague.page.get_by_label("Password").fill("correct horse battery")
    colleague.page.get_by_role("button", name="Sign in").click()
    expect(colleague.page.locator(f'.q-item[data-conversation="{second}"]')).to_have_attribute("aria-current", "true")
    expect(colleague.transcript.locator(".msg--investor").first).to_contain_text("markdown test")


def test_a_link_to_a_page_or_conversation_that_cannot_be_shown_leaves_the_queues_in_the_address(
    service: Settings, new_page: NewPage
) -> None:
    console = Console(new_page(), service)
    console.log_in("ana")
    console.page.goto(url(service, "/console#/users"))  # an admin's page, and ana is an agent
    expect(console.page).to_have_url(re.compile("#/queues$"))
    console.page.goto(url(service, "/console#/conversation/no-such-conversation"))
    expect(console.page.locator(".toast--error")).to_be_visible()
    expect(console.page).to_have_url(re.compile("#/queues$"))
    expect(console.page.get_by_role("heading", name="Pick a conversation from a queue.")).to_be_visible()


def test_an_incident_answer_being_written_survives_a_reload_until_it_is_published(
    service: Settings, new_page: NewPage
) -> None:
    incident = open_incident(service)
    console = Console(new_page(), service)
    console.log_in("lee")
    console.page.get_by_role("button", name="Open incident").first.click()
    pane = console.page.get_by_role("region", name=f"Incident {incident}")
    pane.get_by_label("Answer to everyone asking (Markdown)").fill("900001 fell with the bond market.")
    console.page.reload()
    pane = console.page.get_by_role("region", name=f"Incident {incident}")
    answer = pane.get_by_label("Answer to everyone asking (Markdown)")
    expect(console.page.locator(".conn")).to_have_text("Live")
    expect(answer).to_have_value("900001 fell with the bond market.")
    pane.get_by_role("button", name="Publish to everyone asking").click()
    expect(pane.get_by_role("heading", name="Published answer")).to_be_visible()
    console.page.reload()
    expect(console.page.get_by_role("region", name=f"Incident {incident}")).to_be_visible()
    assert drafts(console.page) == {}


def test_a_published_incident_answer_is_forgotten_even_when_the_page_reloads_before_the_publish_replies(
    service: Settings, new_page: NewPage
) -> None:
    incident = open_incident(service, key="k-held-reply")
    console = Console(new_page(), service)
    console.log_in("lee")
    console.page.goto(url(service, f"/console#/incident/{incident}"))
    pane = console.page.get_by_role("region", name=f"Incident {incident}")
    expect(console.page.locator(".conn")).to_have_text("Live")
    held: list[Route] = []

    def publish_but_hold_the_reply(route: Route) -> None:
        route.fetch()  # the server publishes, and its live update reaches the console
        held.append(route)  # the request's own reply never does

    console.page.route(f"**/incidents/{incident}/answer", publish_but_hold_the_reply)
    pane.get_by_label("Answer to everyone asking (Markdown)").fill("900001 fell with the bond market.")
    pane.get_by_role("button", name="Publish to everyone asking").click()
    expect(pane.get_by_role("heading", name="Published answer")).to_be_visible()
    assert held
    console.page.unroute_all(behavior="ignoreErrors")
    console.page.reload()
    expect(console.page.get_by_role("region", name=f"Incident {incident}")).to_be_visible()
    assert drafts(console.page) == {}


def test_signing_out_forgets_every_draft(service: Settings, new_page: NewPage) -> None:
    cid = investor_asks_for_a_person(service)
    console = Console(new_page(), service)
    console.log_in("ana")
    open_card(console, cid)
    console.reply.fill("Let me check with the registrar")
    assert list(drafts(console.page).values()) == ['{"text":"Let me check with the registrar","note":false}']
    console.page.get_by_role("button", name="Log out").click()
    expect(console.page.get_by_role("button", name="Sign in")).to_be_visible()
    assert drafts(console.page) == {}
    console.log_in("ana")
    expect(console.page).to_have_url(re.compile("#/queues$"))  # not where the one before left off
    open_card(console, cid)
    expect(console.reply).to_have_value("")


def drafts(page: Page) -> dict[str, str]:
    return dict(
        page.evaluate("Object.entries(sessionStorage).filter(([key]) => key.startsWith('funddesk.console.draft.'))")
    )

"""Desktop notifications in the staff console, in a real browser (Debian's chromium): with them switched on and the
console in a background tab, a conversation that starts waiting and a new incident show on the desktop, once each,
and a click opens them; what the console loads is not news, nor is anything while the page is in sight. The tab
title counts what arrived unseen. Headless chromium shows no notifications: a recording ``Notification`` stands in
for the browser's, and ``document.hidden`` says what the test says."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from escalation.staff import accounts
from funddesk.db import StaffRole
from funddesk.settings import Settings
from tests.web.browser import (
    PASSWORD,
    Console,
    NewPage,
    add_staff,
    browser,
    investor_asks_for_a_person,
    new_page,
    url,
    web_with_fake_rasa,
)
from tests.web.test_console_incidents_browser import (
    SpikingBot,
    database,
    investor_asks,
    log_in_and_wait_for_the_incidents,
    open_incident,
)

pytestmark = pytest.mark.integration
__all__ = ["browser", "new_page"]  # fixtures, see tests/web/browser.py
TEAM = "service-desk"
TITLE = "FundDesk staff console"

# Before the console's script: a Notification that records what it is asked to show (window.__notes), whose
# permission and answer the test chooses, and a document.hidden that reads window.__hidden.
STUB = """(o) => {
  window.__hidden = o.hidden;
  window.__notes = [];
  Object.defineProperty(document, "hidden", { configurable: true, get: () => window.__hidden });
  try {
    if (o.choice && localStorage.getItem("funddesk.console.notify") === null)
      localStorage.setItem("funddesk.console.notify", o.choice);
  } catch (opaque) {}  // about:blank has no storage
  if (!o.supported) {
    delete window.Notification;
    return;
  }
  class Recording {
    constructor(title, options) {
      Object.assign(this, { title: title, body: options.body, tag: options.tag, closed: false, onclick: null });
      window.__notes.push(this);
    }
    close() { this.closed = true; }
    static requestPermission() {
      Recording.permission = o.answer;
      return Promise.resolve(o.answer);
    }
  }
  Recording.permission = o.permission;
  window.Notification = Recording;
}"""


@pytest.fixture(scope="module")
def bot() -> SpikingBot:
    return SpikingBot()


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, bot: SpikingBot) -> Iterator[Settings]:
    """``python -m web`` in front of the fake Rasa that opens incidents; an agent and a lead of the service desk, and
    ines, an agent of the service desk and of investor relations (whose incidents the spike test opens)."""
    with web_with_fake_rasa(tmp_path_factory.mktemp("console-notifications") / "var", bot) as settings:
        add_staff(settings, "ana", team=TEAM)
        add_staff(settings, "lee", role=StaffRole.LEAD, team=TEAM)
        with database(settings) as db, db.session(write=True) as session:
            teams = [TEAM, "investor-relations"]
            accounts.create_user(session, "ines", PASSWORD, role=StaffRole.AGENT, display_name="Ines", teams=teams)
        yield settings


def stub(
    page: Page,
    *,
    permission: str = "default",
    answer: str = "granted",
    choice: str | None = None,
    hidden: bool = False,
    supported: bool = True,
) -> None:
    """The recording Notification on every page ``page`` loads; ``choice`` is what this browser kept, if anything."""
    options = {"permission": permission, "answer": answer, "choice": choice, "hidden": hidden, "supported": supported}
    page.add_init_script(f"({STUB})({json.dumps(options)})")


def console_with_notifications_on(service: Settings, new_page: NewPage, username: str = "ana") -> Console:
    """Signed in, where this browser already allowed notifications and the switch was left on."""
    console = Console(new_page(), service)
    stub(console.page, permission="granted", choice="on")
    console.log_in(username)
    expect(console.page.get_by_role("button", name="Desktop notifications: on")).to_be_visible()
    return console


def hide(page: Page, hidden: bool = True) -> None:
    """The tab goes to the background (or comes back), as the browser tells the page."""
    page.evaluate("(h) => { window.__hidden = h; document.dispatchEvent(new Event('visibilitychange')); }", hidden)


def notes(page: Page) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = page.evaluate(
        "window.__notes.map((n) => ({ title: n.title, body: n.body, tag: n.tag, closed: n.closed }))"
    )
    return found


def handoff_of(console: Console, cid: str) -> str:
    handoff = console.card(cid).get_attribute("data-handoff")
    assert handoff
    return handoff


def test_with_notifications_on_and_the_page_hidden_a_conversation_that_starts_waiting_notifies_once_and_opens_on_click(
    service: Settings, new_page: NewPage
) -> None:
    console = Console(new_page(), service)
    stub(console.page)
    console.log_in("ana")
    switch = console.page.get_by_role("button", name="Desktop notifications: off")
    expect(switch).to_have_attribute("aria-pressed", "false")
    switch.click()
    switch = console.page.get_by_role("button", name="Desktop notifications: on")
    expect(switch).to_have_attribute("aria-pressed", "true")
    assert console.page.evaluate("localStorage.getItem('funddesk.console.notify')") == "on"

    hide(console.page)
    cid = investor_asks_for_a_person(service, "Are you still there?")
    expect(console.card(cid).locator(".q-item__last")).to_have_text("Are you still there?")  # every change arrived
    tag = f"handoff-{handoff_of(console, cid)}"
    shown = notes(console.page)
    assert [(note["title"], note["tag"]) for note in shown] == [("Waiting: Service desk", tag)]
    assert shown[0]["body"] == "Asked for a person"  # the last message is the system's "Connecting you…": why instead

    console.page.evaluate("window.__notes[0].onclick()")
    expect(console.page).to_have_url(re.compile(f"#/conversation/{cid}$"))
    expect(console.card(cid)).to_have_attribute("aria-current", "true")
    expect(console.transcript.locator(".msg--investor").first).to_contain_text("markdown test")
    assert notes(console.page)[0]["closed"] is True


def test_nothing_is_notified_while_the_page_is_visible_nor_for_conversations_already_waiting_when_the_console_loaded(
    service: Settings, new_page: NewPage
) -> None:
    earlier = investor_asks_for_a_person(service)
    console = Console(new_page(), service)
    stub(console.page, permission="granted", choice="on", hidden=True)  # in the background from the start
    console.log_in("ana")
    expect(console.card(earlier)).to_be_visible()
    hide(console.page, False)
    in_sight = investor_asks_for_a_person(service)
    expect(console.card(in_sight)).to_be_visible()
    assert notes(console.page) == []
    expect(console.page).to_have_title(TITLE)

    hide(console.page)  # the same console notifies what is news
    unseen = investor_asks_for_a_person(service)
    expect(console.card(unseen)).to_be_visible()
    assert [note["tag"] for note in notes(console.page)] == [f"handoff-{handoff_of(console, unseen)}"]


def test_a_denied_permission_leaves_the_switch_off_with_an_explanation(service: Settings, new_page: NewPage) -> None:
    console = Console(new_page(), service)
    stub(console.page, answer="denied")
    console.log_in("ana")
    console.page.get_by_role("button", name="Desktop notifications: off").click()
    expect(console.page.locator(".toast--error")).to_have_text(re.compile("^The browser blocked notifications"))
    switch = console.page.get_by_role("button", name="Desktop notifications: off")
    expect(switch).to_have_attribute("aria-pressed", "false")
    assert console.page.evaluate("localStorage.getItem('funddesk.console.notify')") != "on"

    hide(console.page)
    cid = investor_asks_for_a_person(service)
    expect(console.card(cid)).to_be_visible()
    assert notes(console.page) == []


def test_a_browser_without_notifications_shows_no_switch(service: Settings, new_page: NewPage) -> None:
    console = Console(new_page(), service)
    stub(console.page, supported=False)
    console.log_in("ana")
    expect(console.page.get_by_role("button", name="中文: switch the console to Chinese")).to_be_visible()
    expect(console.page.get_by_role("button", name=re.compile("^Desktop notifications"))).to_have_count(0)


def test_a_new_incident_notifies_with_its_label_and_the_title_counts_it_beside_the_waiting_conversations(
    service: Settings, new_page: NewPage, bot: SpikingBot
) -> None:
    console = Console(new_page(), service)
    stub(console.page, permission="granted", choice="on")
    log_in_and_wait_for_the_incidents(console, "ines")  # loaded twice: the incident comes later, over the WebSocket
    hide(console.page)
    cid = investor_asks_for_a_person(service)
    expect(console.page).to_have_title(f"(1) {TITLE}")

    question = "Why did 900001 fall again this morning?"
    incident, key = open_incident(service, label=question)
    bot.opens[question] = key
    investor_asks(service, question)  # the detector opened it on this question: the console hears it now
    expect(console.page).to_have_title(f"(2) {TITLE}")  # the incident beside the conversation
    shown = {note["tag"]: note for note in notes(console.page)}
    assert set(shown) == {f"handoff-{handoff_of(console, cid)}", f"incident-{incident}"}
    note = shown[f"incident-{incident}"]
    assert (note["title"], note["body"]) == (f"Incident: {question}", "Investor relations · 34 questions")

    tags = [note["tag"] for note in notes(console.page)]
    console.page.evaluate("(i) => window.__notes[i].onclick()", tags.index(f"incident-{incident}"))
    pane = console.page.get_by_role("region", name=f"Incident {incident}")
    expect(pane.locator(".inc-detail__label")).to_have_text(question)
    expect(console.page).to_have_url(re.compile(f"#/incident/{incident}$"))
    expect(console.page).to_have_title(f"(1) {TITLE}")  # the incident is seen; the conversation not yet
    hide(console.page, False)
    expect(console.page).to_have_title(TITLE)


def test_the_tab_title_counts_the_waiting_conversations_that_arrived_while_hidden_and_resets_when_visible(
    service: Settings, new_page: NewPage
) -> None:
    console = Console(new_page(), service)
    stub(console.page)  # notifications off: the title counts all the same
    console.log_in("ana")
    hide(console.page)
    first = investor_asks_for_a_person(service)
    expect(console.card(first)).to_be_visible()
    expect(console.page).to_have_title(f"(1) {TITLE}")
    second = investor_asks_for_a_person(service)
    expect(console.card(second)).to_be_visible()
    expect(console.page).to_have_title(f"(2) {TITLE}")

    with httpx.Client(base_url=url(service)) as lee:  # a colleague takes one: it is not waiting any more
        csrf = lee.post("/api/v1/staff/session", json={"username": "lee", "password": PASSWORD}).json()["csrf_token"]
        claimed = lee.post(f"/api/v1/staff/conversations/{first}/claim", headers={"X-CSRF-Token": csrf})
        assert claimed.status_code == 200, claimed.text
    expect(console.page).to_have_title(f"(1) {TITLE}")

    hide(console.page, False)
    expect(console.page).to_have_title(TITLE)
    third = investor_asks_for_a_person(service)
    expect(console.card(third)).to_be_visible()
    expect(console.page).to_have_title(TITLE)  # arrived in sight
    assert notes(console.page) == []

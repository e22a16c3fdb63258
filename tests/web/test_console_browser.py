"""The staff console and the widget's hand-off, in real browsers (Debian's chromium): an investor
and one or two members of staff, each in their own browser context, against ``python -m web``
in front of the fake Rasa."""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import WebSocketRoute, expect

from escalation.staff import accounts
from funddesk.db import CannedResponse, Database, StaffRole, database_url
from funddesk.settings import PROJECT_ROOT, Settings
from tests.web.browser import (
    PASSWORD,
    Console,
    NewPage,
    Widget,
    browser,
    conversation_of,
    investor_asks_for_a_person,
    new_page,
    url,
    web_with_fake_rasa,
)

pytestmark = pytest.mark.integration
__all__ = ["browser", "new_page"]  # fixtures, see tests/web/browser.py
SCREENSHOT = PROJECT_ROOT / "docs" / "console.png"
TEAM = "service-desk"  # where the fake bot routes "talk to a person"
CANNED = "Redemption money usually reaches your bank card within T+1 to T+4 trading days."
STAFF = (
    ("alice", "Alice Wong", StaffRole.AGENT),
    ("bob", "Bob Chen", StaffRole.AGENT),
    ("carol", "Carol Li", StaffRole.LEAD),
    ("dave", "Dave Admin", StaffRole.ADMIN),
)
XSS = ('<img src=x onerror="window.__xss=1">', "<script>window.__xss=1</script>")


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """``python -m web`` in front of the fake Rasa; the service desk has two agents and a lead."""
    with web_with_fake_rasa(tmp_path_factory.mktemp("console") / "var") as settings:
        _add_staff(settings)
        yield settings


def _add_staff(settings: Settings) -> None:
    db = Database.from_url(database_url("", settings.data_dir))
    try:
        with db.session(write=True) as session:
            for username, name, role in STAFF:
                accounts.create_user(session, username, PASSWORD, role=role, display_name=name, teams=[TEAM])
            session.add(CannedResponse(team_id=TEAM, shortcut="hello", text="Hello, how can I help you today?"))
            session.add(CannedResponse(team_id=TEAM, shortcut="redemption-time", text=CANNED))
    finally:
        db.dispose()


# -- the whole hand-off --------------------------------------------------------------------------


def test_an_agent_takes_over_a_conversation_chats_live_and_hands_it_back_to_the_bot(
    service: Settings, new_page: NewPage, tmp_path: Path
) -> None:
    console = Console(new_page(), service)
    console.log_in("alice")
    expect(console.page.locator(".top__name")).to_have_text("Alice Wong")
    expect(console.page.locator(".top__role")).to_have_text("Agent")

    investor = new_page()
    investor.goto(url(service))
    widget = Widget(investor)
    widget.open()
    widget.ask("How long until my redemption money arrives?")
    expect(widget.log.get_by_text("Did that answer your question?")).to_be_visible()
    widget.ask("I want to talk to a person")
    state_line = investor.locator(".fd-state")
    expect(state_line).to_contain_text("Connecting you to a person… You are number 1 in the queue")
    cid = conversation_of(investor)

    card = console.card(cid)  # arrives live: the console is not reloaded
    expect(console.queue().locator(card)).to_be_visible()
    expect(card).to_contain_text("Asked for a person")
    expect(card).to_contain_text("EN")
    expect(card).to_have_class(re.compile(r"\bsla-ok\b"))
    expect(card.locator(".q-time")).to_have_text(re.compile(r"^Waiting 0:\d\d$"))
    card.get_by_role("button", name=re.compile("^Claim")).click()

    transcript = console.transcript
    expect(transcript.locator(".msg--investor").first).to_contain_text("How long until my redemption money arrives?")
    bot_answer = transcript.locator(".msg--bot", has_text="T+1 to T+4").first
    expect(bot_answer.locator(".match-badge")).to_contain_text("entry redemption-arrival")
    expect(bot_answer.locator(".match-badge")).to_contain_text("· answered")
    expect(state_line).to_have_text("You are chatting with a member of staff.")  # a name comes with their words
    expect(card).to_contain_text("With Alice Wong")

    console.reply.fill("Hello, I'm Alice. Let me look at your redemption.")
    expect(widget.typing).to_contain_text("Alice Wong is typing")  # staff typing reaches the investor
    console.reply.press("Enter")
    staff_message = widget.log.locator(".fd-msg--staff", has_text="Let me look at your redemption")
    expect(staff_message).to_be_visible()
    expect(staff_message.locator(".fd-who")).to_have_text("Alice Wong")
    expect(state_line).to_have_text("You are chatting with Alice Wong")

    widget.input.press_sequentially("It was 2 days ago", delay=20)
    expect(console.page.get_by_text("investor is typing…")).to_be_visible()
    widget.input.press("Enter")
    expect(transcript.locator(".msg--investor", has_text="It was 2 days ago")).to_be_visible()

    console.page.get_by_label("Internal note (investor cannot see)").check()
    console.reply.fill("Order placed on Monday, check with the registrar.")
    console.reply.press("Enter")
    note = transcript.locator(".msg--internal")
    expect(note).to_contain_text("internal note (investor cannot see)")
    console.page.get_by_label("Internal note (investor cannot see)").uncheck()

    console.reply.press_sequentially("/redem")
    options = console.page.get_by_role("listbox", name="Canned responses").get_by_role("option")
    expect(options).to_have_count(1)
    expect(options).to_contain_text("/redemption-time")
    console.reply.press("Enter")  # inserts the canned text
    expect(console.reply).to_have_value(CANNED)
    console.reply.press("Enter")  # sends it
    expect(widget.log.get_by_text(CANNED)).to_be_visible()
    expect(transcript.locator(".msg--staff", has_text=CANNED)).to_be_visible()
    assert widget.log.get_by_text("check with the registrar").count() == 0  # the note stayed internal

    investor_asks_for_a_person(service)  # someone else waits meanwhile, for the picture
    expect(console.queue().locator(".q-item--waiting")).to_have_count(1)
    console.page.mouse.move(0, 0)
    shot = tmp_path / "console.png"
    console.page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(shot, SCREENSHOT)

    console.page.get_by_role("button", name="Hand back to the bot").click()
    expect(widget.log.get_by_text("You're back with the FundDesk assistant")).to_be_visible()
    expect(state_line).to_be_hidden()
    expect(card).to_have_count(0)
    widget.ask("And the cut-off time?")
    expect(widget.log.get_by_text("15:00")).to_be_visible()  # the bot answers again
    expect(widget.log.locator(".fd-msg--bot", has_text="15:00")).to_have_count(1)


# -- safety ----------------------------------------------------------------------------------------


def test_an_investors_html_shows_as_text_in_the_console_and_nothing_runs(service: Settings, new_page: NewPage) -> None:
    console = Console(new_page(), service)
    console.log_in("alice")
    cid = investor_asks_for_a_person(service, *XSS)
    card = console.card(cid)
    expect(card.locator(".q-item__last")).to_have_text(XSS[1])  # the newest message, as text
    card.get_by_role("button", name=re.compile("^Open")).click()
    for payload in XSS:
        expect(console.transcript.locator(".msg--investor .msg__text", has_text=payload)).to_have_text(payload)
    expect(console.transcript.get_by_text("<script>alert(2)</script>", exact=False)).to_be_visible()  # the bot's
    console.page.wait_for_timeout(300)  # time for any handler to fire (new_page fails the test on a dialog)
    assert console.page.evaluate("typeof window.__xss") == "undefined"
    assert console.page.locator("#app img, #app script, #app iframe, [onerror], [onload]").count() == 0


def test_a_bot_answer_shows_its_markdown_in_the_console_and_html_in_it_as_text(
    service: Settings, new_page: NewPage
) -> None:
    console = Console(new_page(), service)
    console.log_in("alice")
    cid = investor_asks_for_a_person(service)
    console.card(cid).get_by_role("button", name=re.compile("^Open")).click()
    answer = console.transcript.locator(".msg--bot .msg__text", has_text="Bold and a link")
    expect(answer.locator("strong")).to_have_text("Bold")
    link = answer.get_by_role("link", name="link")
    expect(link).to_have_attribute("href", "https://example.com")
    expect(link).to_have_attribute("rel", "noopener noreferrer nofollow")
    expect(answer).to_contain_text("<script>alert(2)</script>")
    assert answer.locator("img, script").count() == 0


def test_when_two_agents_claim_at_once_the_slower_one_is_told_someone_else_took_it(
    service: Settings, new_page: NewPage
) -> None:
    alice, bob = Console(new_page(), service), Console(new_page(), service)
    held: list[str] = []
    hold = threading.Event()

    def delay_queue_updates(route: WebSocketRoute) -> None:  # Bob's view goes stale, as in a real race
        server = route.connect_to_server()
        server.on_message(lambda message: held.append(str(message)) if hold.is_set() else route.send(message))

    bob.page.route_web_socket(re.compile(r"/api/v1/staff/live$"), delay_queue_updates)
    alice.log_in("alice")
    bob.log_in("bob")
    cid = investor_asks_for_a_person(service)
    expect(bob.card(cid).get_by_role("button", name=re.compile("^Claim"))).to_be_visible()
    expect(alice.card(cid)).to_be_visible()
    hold.set()

    alice.card(cid).get_by_role("button", name=re.compile("^Claim")).click()
    expect(alice.card(cid)).to_contain_text("With Alice Wong")
    bob.card(cid).get_by_role("button", name=re.compile("^Claim")).click()

    expect(bob.card(cid).get_by_role("alert")).to_have_text("Someone else took it.")
    expect(bob.card(cid)).to_contain_text("With Alice Wong")  # reloaded from the server
    expect(bob.card(cid).get_by_role("button", name=re.compile("^Claim"))).to_have_count(0)


def test_a_wrong_password_keeps_the_login_form_with_a_message(service: Settings, new_page: NewPage) -> None:
    page = new_page()
    page.goto(url(service, "/console"))
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    expect(page.get_by_label("Password")).to_be_focused()


def test_logging_out_shows_the_login_form_again_and_a_reload_does_not_log_back_in(
    service: Settings, new_page: NewPage
) -> None:
    console = Console(new_page(), service)
    console.log_in("bob")
    console.page.reload()
    expect(console.page.locator(".top__name")).to_have_text("Bob Chen")  # the session survives a reload
    console.page.get_by_role("button", name="Log out").click()
    expect(console.page.get_by_role("button", name="Sign in")).to_be_visible()
    console.page.reload()
    expect(console.page.get_by_role("button", name="Sign in")).to_be_visible()


# -- leads and admins ------------------------------------------------------------------------------


def test_a_lead_reveals_masked_personal_data_in_place_and_transfers_the_conversation(
    service: Settings, new_page: NewPage
) -> None:
    lead = Console(new_page(), service)
    lead.log_in("carol")
    cid = investor_asks_for_a_person(service, "My phone is 13812345678")
    lead.card(cid).get_by_role("button", name=re.compile("^Open")).click()
    message = lead.transcript.locator(".msg--investor", has_text="My phone is")
    expect(message.locator(".msg__text")).to_have_text("My phone is [phone ••••5678]")
    message.get_by_role("button", name=re.compile("^Reveal")).click()
    expect(message.locator(".msg__text")).to_have_text("My phone is 13812345678")
    expect(message).to_contain_text("Revealed (audited)")

    lead.page.get_by_role("button", name="Transfer…").click()
    lead.page.get_by_label("Transfer to team").select_option(label="Complaints")
    lead.page.get_by_role("button", name="Transfer", exact=True).click()
    expect(lead.page.locator(".toast").last).to_have_text("Transferred to Complaints.")
    expect(lead.card(cid)).to_have_count(0)  # gone from the service desk's queue
    expect(lead.page.get_by_role("heading", name="Pick a conversation from a queue.")).to_be_visible()  # not hers


def test_a_lead_sets_the_sla_adds_a_canned_response_and_reads_the_audit_log(
    service: Settings, new_page: NewPage
) -> None:
    lead = Console(new_page(), service)
    lead.log_in("carol")
    lead.page.get_by_role("button", name="Team settings").click()
    desk = lead.page.get_by_role("region", name="Service desk")
    desk.get_by_label("First-response target (seconds)").fill("90")
    desk.get_by_role("button", name="Save").click()
    expect(lead.page.locator(".toast").last).to_have_text("Saved.")
    desk.get_by_label("Shortcut").fill("bye")
    desk.get_by_label("Text").fill("Thank you for contacting us. Goodbye!")
    desk.get_by_role("button", name="Add").click()
    expect(desk.get_by_role("cell", name="/bye", exact=True)).to_be_visible()

    lead.page.get_by_role("button", name="Audit log").click()
    actions = lead.page.locator(".audit tbody td:nth-child(3)")
    expect(actions.first).to_have_text("Added a canned response")
    expect(actions.first).to_have_attribute("data-action", "canned_add")  # the code, as the audit API has it
    expect(lead.page.locator(".audit")).to_contain_text("Changed a team")
    # Each detail reads as a sentence in the console's language, not as the stored JSON.
    details = lead.page.locator(".audit .audit__detail")
    expect(details.first).to_have_text("Shortcut: bye")
    expect(details.filter(has_text="First-response target")).to_have_text(
        re.compile(r"^First-response target \(s\): \d+ → 90$")
    )


def test_an_admin_creates_a_user_who_can_then_log_in(service: Settings, new_page: NewPage) -> None:
    admin = Console(new_page(), service)
    admin.log_in("dave")
    admin.page.get_by_role("button", name="Users").click()
    form = admin.page.locator("form", has=admin.page.get_by_role("heading", name="New user"))
    form.get_by_label("Username").fill("erin")
    form.get_by_label("Display name").fill("Erin Zhao")
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_label("Role").select_option("agent")
    form.get_by_label("Savings plans").check()
    form.get_by_role("button", name="Create").click()
    expect(admin.page.get_by_role("heading", name="erin")).to_be_visible()

    erin = Console(new_page(), service)
    erin.log_in("erin")
    expect(erin.queue("Savings plans")).to_be_visible()
    expect(erin.page.get_by_role("button", name="Users")).to_have_count(0)  # an agent's console


def test_an_agent_deactivated_while_signed_in_is_told_the_session_ended_and_then_that_the_account_is_deactivated(
    service: Settings, new_page: NewPage
) -> None:
    db = Database.from_url(database_url("", service.data_dir))
    try:
        with db.session(write=True) as session:
            accounts.create_user(session, "frank", PASSWORD, role=StaffRole.AGENT, display_name="Frank", teams=[TEAM])
    finally:
        db.dispose()
    frank = Console(new_page(), service)
    frank.log_in("frank")
    admin = Console(new_page(), service)
    admin.log_in("dave")
    admin.page.get_by_role("button", name="Users").click()
    card = admin.page.locator("form.user", has=admin.page.get_by_role("heading", name="frank", exact=True))
    card.get_by_role("button", name="Deactivate").click()
    expect(admin.page.get_by_role("heading", name="frank (inactive)")).to_be_visible()
    admin.page.get_by_role("button", name="Audit log").click()
    expect(admin.page.locator(".audit .audit__detail").first).to_have_text("User: frank; Active: yes → no")

    # Before, the console dropped to an empty login form, and the right password said "wrong password".
    expect(frank.page.get_by_role("alert")).to_contain_text("Your session has ended")
    frank.page.get_by_label("Username").fill("frank")
    frank.page.get_by_label("Password").fill(PASSWORD)
    frank.page.get_by_role("button", name="Sign in").click()
    expect(frank.page.get_by_role("alert")).to_have_text("This account is deactivated; an admin can reactivate it.")


# -- the widget when nobody is there ---------------------------------------------------------------


def test_with_no_one_online_a_chinese_investor_is_asked_to_leave_a_message(
    service: Settings, new_page: NewPage
) -> None:
    investor = new_page()
    investor.goto(url(service, "/?lang=zh"))
    widget = Widget(investor, "zh")
    widget.open()
    widget.ask("赎回的钱多久到账？")
    expect(widget.log.get_by_role("button", name="是")).to_be_visible()
    widget.ask("我要转人工")
    expect(investor.locator(".fd-state")).to_have_text("当前暂无客服在线。请留言，客服人员会在这里回复您。")
    widget.ask("请给我回电话")
    expect(widget.log.get_by_text("请给我回电话")).to_be_visible()
    expect(widget.typing).to_be_hidden()  # nobody is answering, so nobody is typing

    lead = Console(new_page(), service)
    lead.log_in("carol")
    card = lead.card(conversation_of(investor))
    expect(card.locator(".badge--ticket")).to_have_text("Ticket")
    expect(card.locator(".badge--lang")).to_have_text("中文")

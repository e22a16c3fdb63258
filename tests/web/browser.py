"""Playwright on Debian's chromium (browser downloads are not possible here), and what it needs:
pages that fail the test on any dialog, script error or CSP violation, the widget and the staff
console found the way a person finds them.

``make browser`` (a dependency of ``make test``) installs ``/usr/bin/chromium``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Dialog, Locator, Page, expect, sync_playwright

from escalation.staff import accounts
from funddesk import stack
from funddesk.db import Database, StaffRole, database_url
from funddesk.settings import Settings
from funddesk.stack import free_port
from tests.doubles import fake_rasa

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "correct horse battery"  # every member of staff the browser tests create
NewPage = Callable[[], Page]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@contextmanager
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (installs Debian's chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Widget:
    """The chat widget on a page, found the way a person (or a screen reader) finds it."""

    def __init__(self, page: Page, lang: str = "en") -> None:
        self.page = page
        self.zh = lang == "zh"

    @property
    def launcher(self) -> Locator:
        return self.page.get_by_role("button", name="有问题？在线咨询" if self.zh else "Questions? Chat with us")

    @property
    def input(self) -> Locator:
        return self.page.get_by_role("textbox", name="您的问题" if self.zh else "Your question")

    @property
    def log(self) -> Locator:
        return self.page.get_by_role("log")

    @property
    def typing(self) -> Locator:
        return self.page.locator(".fd-typing")

    def open(self) -> None:
        self.launcher.click()
        self.input.wait_for()

    def ask(self, text: str) -> None:
        self.input.fill(text)
        self.input.press("Enter")

    def bubbles(self) -> list[str]:
        return [text.strip() for text in self.page.locator(".fd-msg:not(.fd-msg--intro) .fd-bubble").all_inner_texts()]


@contextmanager
def strict_pages(browser: Browser) -> Iterator[NewPage]:
    """Pages in fresh browser contexts; on leaving, fails if any showed a dialog (alert), a script error, a CSP
    violation or an unreadable form pattern."""
    contexts: list[BrowserContext] = []
    problems: list[str] = []

    def dialog(dialog: Dialog) -> None:
        problems.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    def console(line: ConsoleMessage) -> None:
        # A CSP violation, or a form pattern the browser cannot read (it then checks nothing, silently).
        if "Content Security Policy" in line.text or "is not a valid regular expression" in line.text:
            problems.append(line.text)

    def make() -> Page:
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
        contexts.append(context)
        opened = context.new_page()
        opened.on("dialog", dialog)
        opened.on("pageerror", lambda error: problems.append(f"script error: {error}"))
        opened.on("console", console)
        return opened

    yield make
    for context in contexts:
        context.close()
    assert problems == []


def url(settings: Settings, path: str = "/") -> str:
    return f"http://{settings.web_host}:{settings.web_port}{path}"


def conversation_of(page: Page) -> str:
    """The id of the conversation the widget on ``page`` saved."""
    saved = page.evaluate(
        "Object.entries(localStorage).filter(([key]) => key.startsWith('funddesk:')).map(([, value]) => value)"
    )
    assert len(saved) == 1, saved
    return str(re.search(r'"id":"([^"]+)"', saved[0]).group(1))  # type: ignore[union-attr]


class Console:
    """The staff console on a page, found the way a person (or a screen reader) finds it."""

    def __init__(self, page: Page, settings: Settings) -> None:
        self.page = page
        self.settings = settings

    def log_in(self, username: str, password: str = PASSWORD) -> None:
        self.page.goto(url(self.settings, "/console"))
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        expect(self.page.get_by_role("button", name="Log out")).to_be_visible()
        expect(self.page.locator(".conn")).to_have_text("Live")  # online: hand-offs queue, not tickets

    def queue(self, name: str = "Service desk") -> Locator:
        return self.page.get_by_role("region", name=re.compile("^" + name))

    def card(self, conversation_id: str) -> Locator:
        return self.page.locator(f'.q-item[data-conversation="{conversation_id}"]')

    @property
    def transcript(self) -> Locator:
        return self.page.get_by_role("log", name="Transcript")

    @property
    def reply(self) -> Locator:
        return self.page.get_by_role("textbox", name="Reply to the investor")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def chinese_page(browser: Browser) -> Iterator[Page]:
    """A page in a browser whose language is Chinese; fails the test on any script error."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == []


@pytest.fixture
def new_page(browser: Browser) -> Iterator[NewPage]:
    """Pages in fresh browser contexts that fail the test on any dialog (alert), script error or CSP violation."""
    with strict_pages(browser) as make:
        yield make


@contextmanager
def web_with_fake_rasa(data_dir: Path, bot: fake_rasa.FakeBot | None = None, **changes: object) -> Iterator[Settings]:
    """``python -m web`` in front of the fake Rasa, as the browser tests drive it; started means migrated."""
    rasa = fake_rasa.serve("127.0.0.1", 0, bot=bot)
    threading.Thread(target=rasa.serve_forever, daemon=True).start()
    port = int(rasa.server_address[1])
    # Every test logs staff in from 127.0.0.1: a quick suite makes more than ten logins a minute.
    base = Settings(
        data_dir=data_dir, rasa_port=port, web_port=free_port(), web_rate_client=10_000, staff_login_rate=10_000
    )
    settings = replace(base, **changes)  # type: ignore[arg-type]
    web = stack.web_service(settings)
    try:
        with stack.running([web]):
            yield settings
    finally:
        rasa.shutdown()
        rasa.server_close()


def investor_asks_for_a_person(settings: Settings, *texts: str) -> str:
    """Through the investor API: a conversation that asked for a person, then said ``texts``."""
    with httpx.Client(base_url=url(settings)) as client:
        started = client.post("/api/v1/conversations", json={"lang": "en"}).json()
        headers = {"Authorization": f"Bearer {started['token']}"}
        path = f"/api/v1/conversations/{started['conversation_id']}/messages"
        for text in ("markdown test", "I want to talk to a person", *texts):
            assert client.post(path, json={"text": text}, headers=headers).status_code == 200
    return str(started["conversation_id"])


def add_staff(
    settings: Settings, *usernames: str, role: StaffRole = StaffRole.AGENT, team: str = "service-desk"
) -> None:
    """Staff accounts (password ``PASSWORD``, display name the username capitalized) in one team of ``settings``."""
    db = Database.from_url(database_url("", settings.data_dir))
    try:
        with db.session(write=True) as session:
            for username in usernames:
                accounts.create_user(
                    session, username, PASSWORD, role=role, display_name=username.title(), teams=[team]
                )
    finally:
        db.dispose()

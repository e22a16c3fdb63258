"""The widget in a real browser (Debian's chromium) against the real web service and a fake Rasa."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, WebSocketRoute, expect

from funddesk.db import Database, database_url, repository
from funddesk.settings import PROJECT_ROOT, Settings
from tests.web.browser import NewPage, Widget, browser, new_page, url, web_with_fake_rasa

pytestmark = pytest.mark.integration
__all__ = ["browser", "new_page"]  # fixtures, see tests/web/browser.py
INJECTION = "<img src=x onerror=alert(1)>"
SCREENSHOT = PROJECT_ROOT / "docs" / "widget.png"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """``python -m web`` (as ``make run`` starts it) in front of the fake Rasa."""
    with web_with_fake_rasa(tmp_path_factory.mktemp("web") / "var") as settings:
        yield settings


@pytest.fixture
def page(new_page: NewPage) -> Page:
    """A page in a fresh browser profile (so a new conversation) that fails the test on any dialog,
    script error or CSP violation."""
    return new_page()


def conversation_of(page: Page) -> dict[str, str]:
    """The conversation id and token the widget keeps in the browser's storage."""
    saved = page.evaluate(
        "Object.entries(localStorage).filter(([key]) => key.startsWith('funddesk:')).map(([, value]) => value)"
    )
    assert len(saved) == 1, saved
    found: dict[str, str] = json.loads(saved[0])
    return found


def stored(settings: Settings, conversation_id: str) -> tuple[list[str], list[bool]]:
    """The texts of the conversation's stored messages, and its feedback."""
    db = Database.from_url(database_url("", settings.data_dir))
    try:
        with db.session() as session:
            texts = [m.text for m in repository.history(session, conversation_id)]
            return texts, [f.helpful for f in repository.feedback_for(session, conversation_id)]
    finally:
        db.dispose()


# -- asking, clicking, feedback, history ------------------------------------------------------


def test_an_investor_asks_a_faq_question_and_reads_the_answer(service: Settings, page: Page) -> None:
    page.goto(url(service))
    widget = Widget(page)
    widget.open()
    expect(widget.input).to_be_focused()
    widget.ask("How long until my redemption money arrives?")
    answer = widget.log.locator(".fd-msg--bot", has_text="T+1 to T+4").first
    expect(answer.locator("strong")).to_have_text("T+1 to T+4")  # markdown, rendered
    expect(answer.locator("li")).to_have_count(2)
    expect(widget.log.get_by_text("Did that answer your question?")).to_be_visible()
    expect(widget.typing).to_be_hidden()
    texts, _ = stored(service, conversation_of(page)["id"])
    assert texts[0] == "How long until my redemption money arrives?" and len(texts) == 3


def test_the_typing_indicator_shows_while_the_bot_is_answering(service: Settings, page: Page) -> None:
    page.goto(url(service))
    widget = Widget(page)
    widget.open()
    widget.ask("How do I redeem? (slow)")
    expect(widget.typing).to_be_visible()
    expect(widget.typing).to_contain_text("typing")
    expect(widget.log.get_by_text("T+1 to T+4")).to_be_visible()
    expect(widget.typing).to_be_hidden()


def test_a_clarify_button_answers_the_chosen_question(service: Settings, page: Page) -> None:
    page.goto(url(service))
    widget = Widget(page)
    widget.open()
    widget.ask("what are the fees?")
    choice = widget.log.get_by_role("button", name="What is the redemption fee?")
    choice.click()
    expect(widget.log.get_by_text("0.5%")).to_be_visible()
    expect(choice).to_be_disabled()
    expect(widget.log.get_by_role("button", name="What is the subscription fee?")).to_be_disabled()
    expect(widget.input).to_be_focused()
    texts, _ = stored(service, conversation_of(page)["id"])
    assert "What is the redemption fee?" in texts  # the click, stored as its title


def test_feedback_on_an_answer_is_thanked_and_recorded(service: Settings, page: Page) -> None:
    page.goto(url(service))
    widget = Widget(page)
    widget.open()
    widget.ask("How do I redeem?")
    widget.log.get_by_role("button", name="Yes").click()
    expect(widget.log.get_by_text("Glad I could help! Anything else?")).to_be_visible()
    _, feedback = stored(service, conversation_of(page)["id"])
    assert feedback == [True]


def test_the_history_comes_back_after_a_reload(service: Settings, page: Page) -> None:
    page.goto(url(service))
    widget = Widget(page)
    widget.open()
    widget.ask("How do I redeem?")
    expect(widget.log.get_by_text("Did that answer your question?")).to_be_visible()
    before = widget.bubbles()
    page.reload()
    expect(widget.log.get_by_text("Did that answer your question?")).to_be_visible()  # reopened
    assert widget.bubbles() == before
    widget.ask("And the cut-off time?")
    expect(widget.log.get_by_text("15:00")).to_be_visible()  # the same conversation goes on
    assert len(stored(service, conversation_of(page)["id"])[0]) == 6


def test_messages_sent_while_the_bot_is_answering_are_queued_and_answered_in_order(
    service: Settings, page: Page
) -> None:
    page.goto(url(service))
    widget = Widget(page)
    widget.open()
    widget.ask("How do I redeem? (slow)")
    widget.ask("And the cut-off time?")  # while the first is still being answered
    expect(widget.log.get_by_text("15:00")).to_be_visible(timeout=10_000)
    texts = widget.bubbles()
    assert texts.index("How do I redeem? (slow)") < texts.index("And the cut-off time?")
    assert next(t for t in texts if t.startswith(("Redemption", "Orders"))).startswith("Redemption")
    assert stored(service, conversation_of(page)["id"])[0][3] == "And the cut-off time?"


# -- safety -----------------------------------------------------------------------------------


def test_the_injection_message_shows_as_text_and_nothing_runs(service: Settings, page: Page) -> None:
    page.goto(url(service))
    widget = Widget(page)
    widget.open()
    widget.ask(INJECTION)
    expect(widget.log.locator(".fd-msg--investor")).to_have_text(f"You: {INJECTION}")
    widget.ask("markdown test")  # the fake bot answers with hostile HTML inside markdown
    expect(widget.log.locator(".fd-msg--bot strong", has_text="Bold")).to_be_visible()
    page.reload()  # and again when the history is rendered
    expect(widget.log.locator(".fd-msg--investor").first).to_have_text(f"You: {INJECTION}")
    expect(widget.log.get_by_text("<script>alert(2)</script>", exact=False)).to_be_visible()
    page.wait_for_timeout(300)  # give any handler a chance to fire (the page fixture fails on a dialog)
    assert widget.log.locator("img, script, iframe, [onerror], [onclick], [onload]").count() == 0
    hrefs = widget.log.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert hrefs == ["https://example.com", None]  # the javascript: link lost its href
    assert stored(service, conversation_of(page)["id"])[0][0] == INJECTION  # stored as written


# -- keyboard, language, layout, network ------------------------------------------------------


def test_the_widget_works_with_the_keyboard_alone(service: Settings, page: Page) -> None:
    page.goto(url(service))
    widget = Widget(page)
    widget.launcher.focus()
    page.keyboard.press("Enter")
    expect(widget.input).to_be_focused()
    page.keyboard.type("How do I redeem?")
    page.keyboard.press("Enter")
    expect(widget.log.get_by_role("button", name="No")).to_be_enabled()
    page.keyboard.press("Shift+Tab")  # back from the input to the last button offered
    expect(widget.log.get_by_role("button", name="No")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(widget.log.get_by_role("button", name="Yes")).to_be_focused()
    page.keyboard.press("Enter")
    expect(widget.log.get_by_text("Glad I could help! Anything else?")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(widget.launcher).to_be_focused()
    expect(widget.launcher).to_have_attribute("aria-expanded", "false")


def test_the_log_and_the_input_are_labelled_for_assistive_technology(service: Settings, page: Page) -> None:
    page.goto(url(service))
    widget = Widget(page)
    widget.open()
    expect(widget.log).to_have_attribute("aria-live", "polite")
    expect(page.get_by_role("dialog", name="Fund assistant")).to_be_visible()
    expect(widget.launcher).to_be_hidden()
    expect(page.get_by_role("button", name="Close chat")).to_be_visible()


def test_data_lang_zh_shows_the_chinese_widget(service: Settings, page: Page) -> None:
    page.goto(url(service, "/?lang=zh"))
    widget = Widget(page, "zh")
    widget.open()
    expect(widget.input).to_have_attribute("placeholder", "请输入您的问题…")
    widget.ask("赎回的钱多久到账？")
    expect(widget.log.get_by_text("T+1 至 T+4", exact=False)).to_be_visible()
    expect(widget.log.get_by_role("button", name="是")).to_be_visible()


def test_without_data_lang_a_chinese_browser_gets_the_chinese_widget(service: Settings, browser: Browser) -> None:
    context = browser.new_context(locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(url(service))
        expect(Widget(page, "zh").launcher).to_be_visible()
    finally:
        context.close()


def test_on_a_phone_the_panel_takes_the_whole_screen(service: Settings, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.goto(url(service))
        widget = Widget(page)
        widget.launcher.tap()
        box = page.get_by_role("dialog").bounding_box()
        assert box is not None and (box["width"], box["height"]) == (375, 667)
        widget.ask("How do I redeem?")
        expect(widget.log.get_by_text("T+1 to T+4")).to_be_in_viewport()
    finally:
        context.close()


def test_after_a_network_drop_the_widget_reconnects_and_catches_up(service: Settings, page: Page) -> None:
    connections: list[WebSocketRoute] = []

    def through(route: WebSocketRoute) -> None:  # the real server, with a plug we can pull
        route.connect_to_server()
        connections.append(route)

    page.route_web_socket(re.compile(r"/ws\?token="), through)
    page.goto(url(service))
    widget = Widget(page)
    widget.open()
    widget.ask("How do I redeem?")
    expect(widget.log.get_by_text("Did that answer your question?")).to_be_visible()
    for _ in range(50):  # the WebSocket opens just after the conversation starts
        if connections:
            break
        page.wait_for_timeout(100)
    conversation = conversation_of(page)

    page.context.set_offline(True)
    connections[-1].close(code=4000, reason="network drop")
    status = page.locator(".fd-status")
    expect(status).to_have_text(re.compile("offline|Reconnecting"))
    # Meanwhile the conversation goes on elsewhere (say, another tab): the widget must catch up.
    answered = httpx.post(
        url(service, f"/api/v1/conversations/{conversation['id']}/messages"),
        json={"text": "And the cut-off time?"},
        headers={"Authorization": f"Bearer {conversation['token']}"},
    )
    assert answered.status_code == 200
    page.context.set_offline(False)
    expect(widget.log.get_by_text("15:00")).to_be_visible(timeout=20_000)
    expect(status).to_be_empty()
    assert len(connections) >= 2  # it reconnected


def test_a_reply_lost_on_the_way_back_is_fetched_again_and_the_message_is_stored_once(
    service: Settings, page: Page
) -> None:
    """As when the web replica holding the message is killed after storing it: nginx answers 503."""
    keys: list[str | None] = []

    def lose_the_first_reply(route: Route) -> None:
        if route.request.method != "POST":  # the history, read on the same path
            route.continue_()
            return
        keys.append(route.request.headers.get("idempotency-key"))
        if len(keys) == 1:
            route.fetch()  # the service stores and answers the message ...
            route.fulfill(status=503, json={"error": {"code": "unavailable", "message": "upstream gone"}})
        else:
            route.continue_()

    page.route(re.compile(r"/api/v1/conversations/[^/]+/messages$"), lose_the_first_reply)
    page.goto(url(service))
    widget = Widget(page)
    widget.open()
    widget.ask("How long until my redemption money arrives?")
    expect(widget.log.get_by_text("Did that answer your question?")).to_be_visible(timeout=10_000)
    expect(widget.log.locator(".fd-msg--failed")).to_have_count(0)
    assert len(keys) == 2 and keys[0] and keys[0] == keys[1]  # sent again by itself, with the same key
    texts, _ = stored(service, conversation_of(page)["id"])
    assert texts.count("How long until my redemption money arrives?") == 1 and len(texts) == 3


def test_the_chat_looks_right_on_the_demo_page(service: Settings, page: Page, tmp_path: Path) -> None:
    """Writes the README's screenshot (docs/widget.png) when UPDATE_SCREENSHOTS=1."""
    page.goto(url(service))
    widget = Widget(page)
    widget.open()
    widget.ask("How long until my redemption money arrives?")
    expect(widget.log.get_by_text("Did that answer your question?")).to_be_visible()
    widget.ask("what are the fees?")
    widget.log.get_by_role("button", name="What is the redemption fee?").click()
    expect(widget.log.get_by_text("0.5%")).to_be_visible()
    page.mouse.move(0, 0)
    shot = tmp_path / "widget.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, SCREENSHOT)

"""The whole stack as ``make run`` starts it (Rasa + action server + web), driven through the web."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Dialog, expect

from funddesk.db import Database, database_url, repository
from funddesk.settings import Settings
from knowledge_base.parser import parse_file
from tests.conftest import SHIPPED_FAQ
from tests.web.browser import Widget, chromium
from tests.web.stack_fixture import running_stack, seed

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    data = tmp_path_factory.mktemp("stack") / "var"
    data.mkdir()
    seed(data)
    with running_stack(data) as settings:
        yield settings


def _entries() -> dict[str, str]:
    """Shipped FAQ entry id -> version."""
    files = sorted(SHIPPED_FAQ.rglob("*.md"))
    return {e.id: e.version for path in files for e in parse_file(path, SHIPPED_FAQ).entries}


def test_a_question_through_the_web_api_is_answered_by_the_real_bot_and_audited(stack: Settings) -> None:
    base = f"http://{stack.web_host}:{stack.web_port}/api/v1"
    with httpx.Client(base_url=base, timeout=60) as http:
        created = http.post("/conversations", json={"lang": "en"}).json()
        auth = {"Authorization": f"Bearer {created['token']}"}
        path = f"/conversations/{created['conversation_id']}/messages"
        reply = http.post(path, json={"text": "How long until my redemption money reaches my bank card?"}, headers=auth)
        assert reply.status_code == 200, reply.text
        messages = reply.json()["messages"]
        assert [m["role"] for m in messages] == ["bot", "bot"], messages
        assert [b["payload"] for b in messages[-1]["buttons"]] == ["/affirm", "/deny"]
        assert http.post(path, json={"payload": "/affirm"}, headers=auth).status_code == 200
        zh = http.post(path, json={"text": "赎回的钱多久到账？"}, headers=auth).json()["messages"]
        assert zh[0]["role"] == "bot" and zh[-1]["buttons"][0]["title"] == "是"

    db = Database.from_url(database_url("", stack.data_dir))
    try:
        with db.session() as session:
            rows = repository.history(session, created["conversation_id"])
            [feedback] = repository.feedback_for(session, created["conversation_id"])
    finally:
        db.dispose()
    answers = [m for m in rows if m.decision == "answer"]
    assert [m.entry_id for m in answers] == ["redemption-arrival", "zh-redemption-arrival"]
    versions = _entries()
    assert all(m.entry_version == versions[str(m.entry_id)] and m.score for m in answers)
    assert (feedback.helpful, feedback.entry_id, feedback.message_id) == (True, "redemption-arrival", answers[0].id)


def test_the_demo_page_chats_with_the_real_bot(stack: Settings) -> None:
    with chromium() as browser:
        page = browser.new_page()
        dialogs: list[str] = []

        def dismiss(dialog: Dialog) -> None:
            dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", dismiss)
        page.goto(f"http://{stack.web_host}:{stack.web_port}/")
        widget = Widget(page)
        widget.open()
        widget.ask("How long until redemption money reaches my bank card?")
        expect(widget.log.get_by_text("Did that answer your question?")).to_be_visible(timeout=30_000)
        widget.ask("<img src=x onerror=alert(1)>")
        expect(widget.log.locator(".fd-msg--investor").last).to_have_text("You: <img src=x onerror=alert(1)>")
        expect(widget.log.locator(".fd-msg--bot, .fd-msg--system")).not_to_have_count(0)
        page.wait_for_timeout(500)
        assert dialogs == []

"""The whole stack as ``make run`` starts it (Rasa + action server + web), driven through the web.

Slow: Rasa loads its model (trained first if its inputs changed, cached in ``var/models``).
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from funddesk import rasa_model
from funddesk.db import Database, database_url, repository
from funddesk.settings import PROJECT_ROOT, Settings
from knowledge_base.parser import parse_file
from tests.conftest import SHIPPED_FAQ
from tests.web.browser import Widget, chromium
from tests.web.conftest import free_port

pytestmark = pytest.mark.integration
STARTUP_S = 300


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """``python -m funddesk.stack`` on free ports, its data folder seeded with the trained model."""
    model = rasa_model.train(Settings(), quiet=True)
    data = tmp_path_factory.mktemp("stack") / "var"
    (data / "models").mkdir(parents=True)
    if _same_device(model, data):
        os.link(model, data / "models" / model.name)
    else:
        shutil.copy(model, data / "models")
    _seed_embedding_cache(Settings().embedding_cache, data / "embeddings.sqlite")
    settings = Settings(
        data_dir=data, rasa_port=free_port(), actions_port=free_port(), web_port=free_port(), web_rate_client=1000
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUNDDESK_")}
    env.update(
        FUNDDESK_DATA_DIR=str(data),
        FUNDDESK_RASA_PORT=str(settings.rasa_port),
        FUNDDESK_ACTIONS_PORT=str(settings.actions_port),
        FUNDDESK_WEB_PORT=str(settings.web_port),
        FUNDDESK_WEB_RATE_CLIENT="1000",
    )
    out = (data / "stack.out").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "funddesk.stack"], cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
    )
    try:
        _wait_for_banner(process, data / "stack.out")
        yield settings
    finally:
        process.send_signal(signal.SIGTERM)  # as Ctrl-C would: the stack stops every child
        try:
            assert process.wait(timeout=60) == 0, (data / "stack.out").read_text()[-3000:]
        finally:
            if process.poll() is None:
                process.kill()
            out.close()


def _same_device(a: Path, b: Path) -> bool:
    return a.stat().st_dev == b.stat().st_dev


def _seed_embedding_cache(source: Path, target: Path) -> None:
    if source.is_file():
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst)


def _wait_for_banner(process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if "FundDesk is running" in log.read_text(errors="replace"):
            return
        if process.poll() is not None:
            pytest.fail(f"the stack exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        time.sleep(1)
    pytest.fail(f"the stack did not start within {STARTUP_S}s:\n{log.read_text()[-3000:]}")


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
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
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

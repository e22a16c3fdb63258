"""A knowledge gap end to end, on the whole stack: investors ask questions of one topic the FAQ does not
cover, the gap appears on the dashboard, a lead drafts the entry, writes the answer (the draft lints once
they have), publishes it, and the bot then answers the same questions with it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from escalation.staff import accounts
from escalation.staff.teams import load_teams
from funddesk.db import Database, StaffRole, database_url, migrate
from funddesk.settings import Settings
from knowledge_base.lint import lint
from knowledge_base.published import published_dir
from tests.web.stack_fixture import running_stack, seed

pytestmark = pytest.mark.integration
PASSWORD = "a long password"
LOANS = (
    "Can I pledge my fund shares as collateral for a loan?",
    "Can I use my fund holdings as collateral to borrow money?",
    "Is it possible to get a loan against my fund shares?",
    "Can I borrow money using my funds as security?",
    "Can my fund shares be pledged to a bank for a loan?",
    "Do you offer loans secured by fund holdings?",
)
ANSWER = "No. Fund shares held with us cannot be pledged as collateral; you may redeem them instead."


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    data = tmp_path_factory.mktemp("gaps") / "var"
    data.mkdir()
    seed(data)
    db = Database.from_url(database_url("", data))
    migrate.upgrade(db.engine)
    with db.session(write=True) as session:
        accounts.sync_teams(session, load_teams(Settings().teams_file))
        accounts.create_user(session, "lee", PASSWORD, role=StaffRole.LEAD, teams=["service-desk"])
    db.dispose()
    with running_stack(data) as settings:
        yield settings


def _ask(http: httpx.Client, text: str) -> list[dict[str, object]]:
    created = http.post("/conversations", json={"lang": "en"}).json()
    auth = {"Authorization": f"Bearer {created['token']}"}
    reply = http.post(f"/conversations/{created['conversation_id']}/messages", json={"text": text}, headers=auth)
    assert reply.status_code == 200, reply.text
    messages: list[dict[str, object]] = reply.json()["messages"]
    return messages


def _largest_gap(staff: httpx.Client) -> dict[str, object]:
    deadline, gaps = time.monotonic() + 30, []
    while time.monotonic() < deadline:  # the action server logs questions in batches
        gaps = staff.get("/staff/analytics/gaps").json()["gaps"]
        if gaps and int(gaps[0]["size"]) >= len(LOANS) - 1:
            break
        time.sleep(1)
    assert gaps, "no gap appeared"
    return dict(gaps[0])


def test_a_gap_drafted_answered_and_published_answers_the_questions_that_made_it(
    stack: Settings, tmp_path: Path
) -> None:
    base = f"http://{stack.web_host}:{stack.web_port}/api/v1"
    with httpx.Client(base_url=base, timeout=60) as http, httpx.Client(base_url=base, timeout=60) as staff:
        for text in LOANS:
            assert not any(m["text"] == ANSWER for m in _ask(http, text))
        login = staff.post("/staff/session", json={"username": "lee", "password": PASSWORD}).json()
        csrf = {"X-CSRF-Token": login["csrf_token"]}

        gap = _largest_gap(staff)
        samples = list(gap["samples"])  # type: ignore[call-overload]
        assert set(samples) <= set(LOANS) and len(samples) >= len(LOANS) - 1, gap
        assert gap["languages"] == ["en"]

        drafted = staff.post(f"/staff/analytics/gaps/{gap['id']}/draft", headers=csrf)
        assert drafted.status_code == 200, drafted.text
        markdown = drafted.json()["markdown"]
        (tmp_path / "check").mkdir()
        answered = markdown.rstrip() + "\n\n" + ANSWER + "\n"
        (tmp_path / "check" / "loans.md").write_text(answered, encoding="utf-8")
        assert lint(tmp_path / "check") == []

        entry = drafted.json()["entry_id"]
        published = staff.post(f"/staff/analytics/drafts/{entry}/publish", json={"markdown": answered}, headers=csrf)
        assert published.status_code == 200, published.text
        assert (published_dir(stack) / "gaps" / f"{entry}.md").is_file()

        deadline, unanswered = time.monotonic() + 60, list(LOANS)
        while unanswered and time.monotonic() < deadline:  # hot reload makes the entry live within seconds
            unanswered = [text for text in unanswered if not any(m["text"] == ANSWER for m in _ask(http, text))]
            time.sleep(1)
        assert unanswered == [], unanswered

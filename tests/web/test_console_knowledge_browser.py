"""The console's "Knowledge base" page in a real browser (Debian's chromium): a lead sees each FAQ problem an action
server found as ``file:line`` with its message and what serves in its place, errors first; an agent has no such page;
it speaks Chinese too; and it says so when every entry serves as written, or when no action server has reported."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import delete

from funddesk.db import Database, KbStatus, StaffRole, database_url
from funddesk.db.kb_status import report
from funddesk.settings import Settings
from tests.web.browser import (
    PASSWORD,
    Console,
    NewPage,
    add_staff,
    browser,
    chinese_page,
    new_page,
    url,
    web_with_fake_rasa,
)

pytestmark = pytest.mark.integration
__all__ = ["browser", "chinese_page", "new_page"]  # fixtures, see tests/web/browser.py
TEAM = "service-desk"
BAD_ID = "invalid id 'Bad_Id': an id is lowercase letters, digits and '-'"
PROBLEMS = [
    {"file": "faq/fees.md", "line": 30, "severity": "warning", "message": "phrasing repeated in fees-switch",
     "scope": "entry", "serving": "as_written"},
    {"file": "faq/redemption.md", "line": 12, "severity": "error", "message": BAD_ID, "scope": "entry",
     "serving": "last_good", "code": "bad_id", "params": {"id": "Bad_Id"}},
    {"file": "faq/fees.md", "line": 3, "severity": "error", "message": "front matter: 'team' is missing",
     "scope": "file", "serving": "nothing"},
]  # fmt: skip


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """``python -m web`` in front of the fake Rasa, with an agent and a team lead."""
    with web_with_fake_rasa(tmp_path_factory.mktemp("console-knowledge") / "var") as settings:
        add_staff(settings, "ana", team=TEAM)
        add_staff(settings, "lee", role=StaffRole.LEAD, team=TEAM)
        yield settings


def servers_report(settings: Settings, *servers: dict[str, Any]) -> None:
    """Only ``servers`` have reported what their knowledge base read, as an action server reports it."""
    db = Database.from_url(database_url("", settings.data_dir))
    try:
        with db.session(write=True) as session:
            session.execute(delete(KbStatus))
            for server in servers:
                report(session, **server)
    finally:
        db.dispose()


def server(name: str, outcome: str, problems: list[dict[str, Any]], minutes_ago: int = 1) -> dict[str, Any]:
    return {
        "server": name,
        "checked_at": datetime.now(UTC) - timedelta(minutes=minutes_ago),
        "outcome": outcome,
        "files": 4,
        "entries": 76,
        "problems": problems,
    }


def open_knowledge(console: Console, name: str = "Knowledge base") -> None:
    console.page.get_by_role("navigation").get_by_role("button", name=name).click()
    expect(console.page.get_by_role("heading", name=name, exact=True)).to_be_visible()
    expect(console.page.locator(".knowledge")).not_to_have_attribute("aria-busy", "true")


def lead_reads_problems(service: Settings, new_page: NewPage) -> Console:
    """The lead lee on the Knowledge base page, with one action server reporting ``PROBLEMS``."""
    servers_report(service, server("host-a:5055", "rejected", PROBLEMS))
    console = Console(new_page(), service)
    console.log_in("lee")
    open_knowledge(console)
    return console


def row(table: Locator, where: str) -> Locator:
    """The problem at ``where`` (``file:line``) in ``table``."""
    return table.locator("tbody tr", has=table.page.get_by_text(where, exact=True))


def test_a_lead_sees_a_broken_entry_as_file_and_line_with_its_message_and_that_its_last_good_version_serves(
    service: Settings, new_page: NewPage
) -> None:
    console = lead_reads_problems(service, new_page)
    expect(console.page).to_have_url(re.compile("#/knowledge$"))
    page = console.page
    expect(page.locator(".knowledge__summary")).to_contain_text("76 entries from 4 files serving")
    expect(page.locator(".knowledge__summary")).to_contain_text("2 errors, 1 warning")
    expect(page.get_by_text("host-a:5055")).to_have_count(0)  # one server: no need to name it

    table = page.locator('[data-table="kb-problems"]')
    expect(table.locator("th")).to_have_text(["Where", "Severity", "Problem", "What serves"])
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(3)
    severities = [rows.nth(n).get_attribute("data-severity") for n in range(3)]
    assert severities == ["error", "error", "warning"]  # errors first
    broken = row(table, "faq/redemption.md:12")
    expect(broken.locator("td")).to_have_text(["faq/redemption.md:12", "Error", BAD_ID, "Its last good version"])
    expect(broken.locator("code")).to_have_css("font-family", re.compile("monospace"))
    expect(row(table, "faq/fees.md:3").locator("td").last).to_have_text("Nothing until it is fixed")  # a whole file
    expect(row(table, "faq/fees.md:30").locator("td").last).to_have_text("Served as written")
    expect(page.get_by_text("The last reload failed", exact=False)).to_have_count(0)

    # Another server, whose last reload failed: both are named, the most recently checked first.
    file_problem = {**PROBLEMS[2], "serving": "last_good"}
    servers_report(
        service, server("host-a:5055", "rejected", PROBLEMS), server("host-b:5055", "failed", [file_problem], 30)
    )
    page.get_by_role("button", name="Check again").click()
    cards = page.locator(".knowledge__server")
    expect(cards).to_have_count(2)
    expect(cards.locator("h3")).to_have_text(["Action server host-a:5055", "Action server host-b:5055"])
    failed = page.locator('[data-server="host-b:5055"]')
    expect(failed.get_by_role("alert")).to_contain_text("The last reload failed")
    expect(failed.locator("tbody td").last).to_have_text("The file's last good version")
    expect(page.locator('[data-server="host-a:5055"]').get_by_role("alert")).to_have_count(0)


def test_an_agent_has_no_knowledge_base_page_and_its_address_leaves_them_on_the_queues(
    service: Settings, new_page: NewPage
) -> None:
    servers_report(service, server("host-a:5055", "rejected", PROBLEMS))
    console = Console(new_page(), service)
    console.log_in("ana")
    navigation = console.page.get_by_role("navigation", name="Console")
    expect(navigation.get_by_role("button", name="Queues")).to_be_visible()
    expect(navigation.get_by_role("button", name="Knowledge base")).to_have_count(0)
    console.page.goto(url(service, "/console#/knowledge"))
    expect(console.page).to_have_url(re.compile("#/queues$"))
    expect(console.page.get_by_role("heading", name="Knowledge base")).to_have_count(0)
    expect(console.page.locator('[data-table="kb-problems"]')).to_have_count(0)


def test_the_knowledge_base_page_speaks_chinese(service: Settings, chinese_page: Page) -> None:
    servers_report(service, server("host-a:5055", "rejected", PROBLEMS))
    page = chinese_page
    page.goto(url(service, "/console"))
    page.get_by_label("用户名").fill("lee")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()
    open_knowledge(Console(page, service), "知识库")
    expect(page.locator(".knowledge__summary")).to_contain_text("4 个文件中的 76 个条目正在生效")
    expect(page.locator(".knowledge__summary")).to_contain_text("2 个错误、1 个警告")
    table = page.locator('[data-table="kb-problems"]')
    expect(table.locator("th")).to_have_text(["位置", "级别", "问题", "当前生效内容"])
    broken = row(table, "faq/redemption.md:12")
    bad_id = "id“Bad_Id”无效：只能用小写字母、数字、“-”和“_”，并以字母或数字开头"  # said in Chinese from its code
    expect(broken.locator("td")).to_have_text(["faq/redemption.md:12", "错误", bad_id, "该条目上一个有效版本"])
    # A problem stored without a code (an older release's) keeps its English.
    expect(row(table, "faq/fees.md:3").locator("td").nth(2)).to_have_text("front matter: 'team' is missing")
    expect(page.get_by_role("button", name="重新检查")).to_be_visible()


def test_with_no_problems_the_page_says_every_entry_serves_as_written(service: Settings, new_page: NewPage) -> None:
    servers_report(service)  # none has reported yet
    console = Console(new_page(), service)
    console.log_in("lee")
    open_knowledge(console)
    page = console.page
    expect(page.get_by_text("No action server has reported yet")).to_be_visible()

    servers_report(service, server("host-a:5055", "ok", []))
    page.get_by_role("button", name="Check again").click()
    expect(page.get_by_text("No problems: every entry serves as written.")).to_be_visible()
    expect(page.locator(".knowledge__summary")).to_contain_text("76 entries from 4 files serving")
    expect(page.locator(".knowledge__summary")).to_contain_text("no problems")
    expect(page.locator('[data-table="kb-problems"]')).to_have_count(0)
    page.reload()  # the address keeps the page
    expect(page.get_by_text("No problems: every entry serves as written.")).to_be_visible()


def test_the_page_shows_a_fixed_edit_by_itself_and_stops_asking_once_another_page_is_open(
    service: Settings, new_page: NewPage
) -> None:
    page = lead_reads_problems(service, new_page).page
    expect(page.locator('[data-table="kb-problems"] tbody tr')).to_have_count(3)

    servers_report(service, server("host-a:5055", "ok", [], minutes_ago=0))  # the fund team fixed and saved
    # No click: the page asks again while it is shown (every 5 s).
    expect(page.get_by_text("No problems: every entry serves as written.")).to_be_visible(timeout=15_000)

    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url) if "/staff/knowledge" in request.url else None)
    page.get_by_role("navigation").get_by_role("button", name="Queues").click()
    page.wait_for_timeout(7_000)
    assert asked == []

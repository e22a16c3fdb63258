"""The staff console in Chinese and in English, in a real browser (Debian's chromium): a browser set to Chinese gets
it in Chinese, and a switch on the login page and in the header changes it and stays in that browser. That both
languages have every word: tests/web/test_words_in_both_languages.py."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from funddesk.db import Database, Incident, IncidentStatus, StaffRole, database_url
from funddesk.settings import Settings
from tests.web.browser import (
    PASSWORD,
    add_staff,
    browser,
    chinese_page,
    investor_asks_for_a_person,
    url,
    web_with_fake_rasa,
)

pytestmark = pytest.mark.integration
__all__ = ["browser", "chinese_page"]  # fixtures, see tests/web/browser.py
TEAM = "service-desk"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """``python -m web`` in front of the fake Rasa, with one team lead."""
    with web_with_fake_rasa(tmp_path_factory.mktemp("console-languages") / "var") as settings:
        add_staff(settings, "mei", role=StaffRole.LEAD, team=TEAM)
        yield settings


def test_a_browser_in_chinese_gets_the_console_in_chinese_and_the_switch_keeps_english(
    service: Settings, chinese_page: Page
) -> None:
    page = chinese_page
    page.goto(url(service, "/console"))
    expect(page.get_by_role("heading", name="FundDesk 客服工作台")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.get_by_label("用户名").fill("mei")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()
    expect(page.get_by_role("navigation", name="工作台").get_by_role("button", name="数据分析")).to_be_visible()
    expect(page.get_by_text("暂无排队。")).to_be_visible()

    page.get_by_role("button", name="English：将工作台切换为英文").click()  # reloads, still signed in
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.reload()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()  # the choice stays in this browser
    page.get_by_role("button", name="中文: switch the console to Chinese").click()
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()


def test_the_analytics_dashboard_speaks_chinese_too(service: Settings, chinese_page: Page) -> None:
    page = chinese_page
    sign_in(page, service)
    page.get_by_role("button", name="数据分析").click()
    expect(page.get_by_role("heading", name="数据分析")).to_be_visible()
    expect(page.locator('img[data-chart="heatmap"]')).to_have_attribute("src", re.compile(r"[?&]lang=zh\b"))
    response = page.locator('[data-table="response"]')
    expect(response.locator("th")).to_have_text(["指标", "数值"])
    expect(response).to_contain_text("首次响应，中位数")


def test_an_error_from_the_service_is_explained_in_chinese_with_its_detail(
    service: Settings, chinese_page: Page
) -> None:
    incident = open_incident(service)
    page = chinese_page
    sign_in(page, service)
    page.get_by_role("button", name="打开事件").click()
    pane = page.get_by_role("region", name=f"事件 {incident}")
    pane.get_by_label("给所有提问者的回复（Markdown）").fill("## A heading of its own {#other-id}")
    pane.get_by_role("button", name="发布给所有提问者").click()
    expect(pane.get_by_role("alert")).to_contain_text("回复不是有效的 FAQ 条目：")  # and the server's own detail:
    expect(pane.get_by_role("alert")).to_contain_text("would not be a valid FAQ entry")


def sign_in(page: Page, settings: Settings) -> None:
    page.goto(url(settings, "/console"))
    page.get_by_label("用户名").fill("mei")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()


def open_incident(settings: Settings, key: str = "k-zh") -> int:
    """An open incident of mei's team, as the detector writes it (``key``: a second one needs its own)."""
    started = datetime.now(UTC) - timedelta(minutes=12)
    db = Database.from_url(database_url("", settings.data_dir))
    try:
        with db.session(write=True) as session:
            row = Incident(
                key=key, cluster_id="c-zh", label="900001今天为什么跌了", fund_code="900001", team_id=TEAM,
                status=IncidentStatus.OPEN, started_at=started, detected_at=started + timedelta(minutes=5), count=34,
                baseline=0.4, samples=["900001今天怎么跌了"], series=[[started.isoformat(), 9, 0.4]],
            )  # fmt: skip
            session.add(row)
            session.flush()
            return row.id
    finally:
        db.dispose()


def test_the_transfer_form_names_each_colleagues_role_in_chinese(service: Settings, chinese_page: Page) -> None:
    cid = investor_asks_for_a_person(service)
    page = chinese_page
    sign_in(page, service)
    page.locator(f'.q-item[data-conversation="{cid}"]').get_by_role("button", name=re.compile("^打开")).click()
    page.get_by_role("button", name="转接…").click()
    expect(page.locator("select.transfer__agent option")).to_contain_text(["Mei (组长)"])

"""The staff console in Chinese and in English, in a real browser (Debian's chromium): a browser set to Chinese gets
it in Chinese, and a switch on the login page and in the header changes it and stays in that browser. That both
languages have every word: tests/web/test_words_in_both_languages.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from escalation.staff import accounts
from funddesk.db import Database, StaffRole, database_url
from funddesk.settings import Settings
from tests.web.browser import PASSWORD, browser, url, web_with_fake_rasa

pytestmark = pytest.mark.integration
__all__ = ["browser"]  # the fixture, see tests/web/browser.py


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """``python -m web`` in front of the fake Rasa, with one team lead."""
    with web_with_fake_rasa(tmp_path_factory.mktemp("console-languages") / "var") as settings:
        db = Database.from_url(database_url("", settings.data_dir))
        try:
            with db.session(write=True) as session:
                accounts.create_user(session, "mei", PASSWORD, role=StaffRole.LEAD, display_name="Mei Lin",
                                     teams=["service-desk"])  # fmt: skip
        finally:
            db.dispose()
        yield settings


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

    page.get_by_role("button", name="工作台语言：切换为英文").click()  # reloads, still signed in
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.reload()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()  # the choice stays in this browser
    page.get_by_role("button", name="Console language: switch to Chinese").click()
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()


def test_the_analytics_dashboard_speaks_chinese_too(service: Settings, chinese_page: Page) -> None:
    page = chinese_page
    page.goto(url(service, "/console"))
    page.get_by_label("用户名").fill("mei")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("button", name="数据分析").click()
    expect(page.get_by_role("heading", name="数据分析")).to_be_visible()
    response = page.locator('[data-table="response"]')
    expect(response.locator("th")).to_have_text(["指标", "数值"])
    expect(response).to_contain_text("首次响应，中位数")

"""The analytics dashboard in a real browser (Debian's chromium): a lead opens it, the numbers are the API's,
the charts are drawn, every table links its CSV, and a knowledge gap becomes a draft that is published."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from escalation.staff import accounts
from funddesk.db import Database, StaffRole, database_url
from funddesk.settings import Settings
from knowledge_base.published import published_dir
from tests.web.analytics_data import Traffic, paraphrase, topic
from tests.web.browser import PASSWORD, Console, NewPage, browser, chinese_page, new_page, url, web_with_fake_rasa

pytestmark = pytest.mark.integration
__all__ = ["browser", "chinese_page", "new_page"]  # fixtures, see tests/web/browser.py
GOLD = ["Do you have a gold fund?", "Is there a fund that invests in gold?", "Can I buy gold through you?"]
ANSWER = "We do not offer a gold fund at present."


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    root = tmp_path_factory.mktemp("analytics")
    with web_with_fake_rasa(root / "var", kb_dir=root / "faq") as settings:
        db = Database.from_url(database_url("", settings.data_dir))
        try:
            with db.session(write=True) as session:
                accounts.create_user(session, "leo", PASSWORD, role=StaffRole.LEAD, display_name="Leo Wu",
                                     teams=["service-desk"])  # fmt: skip
                _traffic(Traffic(session, datetime.now(UTC) - timedelta(minutes=10)))
        finally:
            db.dispose()
        yield settings


def _traffic(data: Traffic) -> None:
    """Today: answered questions, a hand-off, feedback, and three investors asking for a gold fund."""
    for n in range(3):
        asked = data.conversation()
        data.question(asked, "How do I redeem?", "answer", entry_id="redemption-how")
        data.feedback(asked, "redemption-how", n != 0)
    data.handoff(asked, "requested", first_response_after=45, resolved_after=400)
    gold = topic(11)
    for n, text in enumerate(GOLD):
        data.question(data.conversation(), text, "fallback", embedding=paraphrase(gold, n), cluster_id="c5")


def test_the_dashboard_shows_the_apis_numbers_draws_its_charts_and_publishes_a_gap(
    service: Settings, new_page: NewPage, tmp_path: Path
) -> None:
    page = new_page()
    console = Console(page, service)
    console.log_in("leo")
    page.get_by_role("button", name="Analytics").click()
    stats = page.locator("[data-metric]")
    expect(stats).to_have_count(6)

    shown = f"?from={page.locator('input[name=from]').input_value()}&to={page.locator('input[name=to]').input_value()}"
    summary = page.request.get(url(service, "/api/v1/staff/analytics/summary" + shown)).json()
    for key in ("conversations", "messages", "containment_rate", "answer_rate", "clarify_rate", "fallback_rate"):
        assert float(page.locator(f'[data-metric="{key}"]').get_attribute("data-value") or "nan") == summary[key]
    assert summary["conversations"] == 6 and summary["fallback_rate"] == 0.5

    charts = page.locator("img[data-chart]")
    expect(charts).to_have_count(4)
    for index in range(4):
        chart = charts.nth(index)
        expect(chart).to_be_visible()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=chart.element_handle())
    questions_svg = page.request.get(url(service, charts.first.get_attribute("src") or "")).text()
    assert questions_svg.count('class="bar"') >= 1

    for table in (
        "overview",
        "languages",
        "handoffs",
        "feedback",
        "response",
        "incidents",
        "entries_that_hurt",
        "gaps",
    ):
        link = page.locator(f'a[data-csv="{table}"]')
        assert page.request.get(url(service, link.get_attribute("href") or "")).status == 200, table
    page.screenshot(path=str(tmp_path / "analytics.png"), full_page=True)

    gap = page.locator(".gap").first
    assert gap.get_by_role("heading").inner_text() in GOLD
    gap.get_by_role("button", name="Draft entry").click()
    draft = gap.get_by_role("textbox", name="Draft FAQ entry")
    expect(draft).to_have_value(re.compile(r"## .+ \{#gap-c5\}"))
    draft.fill(draft.input_value().rstrip() + "\n\n" + ANSWER + "\n")
    gap.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Published: the bot answers it within seconds.")).to_be_visible()
    assert ANSWER in (published_dir(service) / "gaps" / "gap-c5.md").read_text(encoding="utf-8")

    # Listed under what the team published, and one click takes it back: the file goes, its entry stops serving.
    published = page.locator('[data-table="published"] tr[data-entry="gap-c5"]')
    expect(published.locator("td").nth(1)).to_have_text("gap-c5")
    published.get_by_role("button", name="Take back gap-c5").click()
    expect(page.locator(".toast").last).to_have_text(
        "Taken back: gap-c5 stops serving within seconds; its text is kept as the gap's draft."
    )
    expect(published).to_have_count(0)
    expect(page.get_by_text("Nothing has been published from a knowledge gap.")).to_be_visible()
    assert not (published_dir(service) / "gaps" / "gap-c5.md").exists()

    # Drafting it again brings the answer back as the team wrote it; "Draft anew" starts over from the questions.
    gap.get_by_role("button", name="Draft entry").click()
    expect(gap.get_by_text(re.compile(r"^The draft saved for this gap, as it was left"))).to_be_visible()
    expect(draft).to_have_value(re.compile(re.escape(ANSWER)))
    gap.get_by_role("button", name="Draft anew from the questions").click()
    expect(gap.get_by_text(re.compile(r"^Draft saved at "))).to_be_visible()
    expect(draft).not_to_have_value(re.compile(re.escape(ANSWER)))


def test_a_draft_that_is_not_a_valid_faq_file_is_refused_with_each_problem_in_the_consoles_language(
    service: Settings, chinese_page: Page
) -> None:
    page = chinese_page
    page.goto(url(service, "/console"))
    page.get_by_label("用户名").fill("leo")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("button", name="数据分析").click()
    gap = page.locator(".gap").first
    gap.get_by_role("button", name="起草条目").click()
    draft = gap.get_by_role("textbox", name="FAQ 条目草稿")
    expect(draft).to_have_value(re.compile(r"\{#gap-c5\}"))
    draft.fill("---\nteam: service-desk\nlang: zh\n---\n## 有黄金基金吗？ {#Bad_Id}\n\n目前没有。\n")
    gap.get_by_role("button", name="发布", exact=True).click()
    # Before, the Chinese console showed the server's English sentence after its own Chinese words.
    expect(page.locator(".toast").last).to_have_text(
        "草稿还不是有效的 FAQ 文件：第 5 行：id“Bad_Id”无效：只能用小写字母、数字、“-”和“_”，并以字母或数字开头"
    )
    published = published_dir(service) / "gaps" / "gap-c5.md"
    assert not published.exists() or "Bad_Id" not in published.read_text(encoding="utf-8")  # nothing broken went live


def test_the_dashboard_counts_the_services_days_whatever_the_browsers_time_zone(
    service: Settings, browser: Browser
) -> None:
    # UTC-12 against the service's Asia/Shanghai: the browser's date is a day behind for 20 hours of 24.
    context = browser.new_context(timezone_id="Etc/GMT+12", locale="en-US")
    try:
        page = context.new_page()
        Console(page, service).log_in("leo")
        page.get_by_role("button", name="Analytics").click()
        expect(page.locator("[data-metric]")).to_have_count(6)
        summary = page.request.get(url(service, "/api/v1/staff/analytics/summary")).json()
        assert page.locator("input[name=to]").input_value() == summary["period"]["to"]
        shown = page.locator('[data-metric="conversations"]').get_attribute("data-value")
        assert shown == str(summary["conversations"]) and summary["conversations"] > 0
    finally:
        context.close()

"""Playwright on Debian's chromium (browser downloads are not possible here), and what it needs.

``make browser`` (a dependency of ``make test``) installs ``/usr/bin/chromium``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
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

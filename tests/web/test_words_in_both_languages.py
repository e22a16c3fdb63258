"""Every word of the staff console and of the investors' widget is there in English and in Chinese, with the same
placeholders ({n}, {team} ...), read by a real JavaScript engine (Debian's chromium) from the files served."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from funddesk.settings import PROJECT_ROOT
from tests.web.browser import browser

pytestmark = pytest.mark.integration
__all__ = ["browser"]  # the fixture, see tests/web/browser.py
STATIC = PROJECT_ROOT / "web"
CONSOLE = [STATIC / "console" / "static" / name for name in ("words_en.js", "words_zh.js")]
WIDGET = [STATIC / "widget" / "static" / "strings.js"]

# Every key path of each language, and the placeholders ({n}, {team} ...) of each string.
WORDS = """(tables) => {
  const words = {};
  for (const [lang, table] of Object.entries(tables)) {
    const found = (words[lang] = {});
    (function walk(node, path) {
      for (const [key, value] of Object.entries(node)) {
        if (typeof value === "string") found[path + key] = (value.match(/\\{\\w+\\}/g) || []).sort().join(" ");
        else walk(value, path + key + ".");
      }
    })(table, "");
  }
  return words;
}"""


def words_of(browser: Browser, files: list[Path], tables: str) -> dict[str, dict[str, Any]]:
    """Each language's key paths and placeholders, as the scripts ``files`` define the global ``tables``."""
    page = browser.new_page()
    try:
        page.add_script_tag(content="\n".join(path.read_text(encoding="utf-8") for path in files))
        words: dict[str, dict[str, Any]] = page.evaluate(f"({WORDS})({tables})")
    finally:
        page.close()
    return words


@pytest.mark.parametrize(
    ("files", "tables"), [(CONSOLE, "CONSOLE_STRINGS"), (WIDGET, "STRINGS")], ids=["console", "widget"]
)
def test_every_word_is_there_in_both_languages_with_the_same_placeholders(
    browser: Browser, files: list[Path], tables: str
) -> None:
    words = words_of(browser, files, tables)
    assert set(words) == {"en", "zh"}
    assert sorted(words["zh"]) == sorted(words["en"])
    assert {key: words["zh"][key] for key in words["en"]} == words["en"]

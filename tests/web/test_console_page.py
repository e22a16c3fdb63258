"""The staff console's page and assets: headers, the bundle, and the rule that data is never HTML."""

from __future__ import annotations

import re

from tests.web.conftest import MakeApi
from web.console import BUNDLE, CSP, STATIC, bundle


def test_the_console_page_is_served_under_a_strict_csp_and_never_cached(make_api: MakeApi) -> None:
    page = make_api().request("get", "/console")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == CSP
    assert "script-src 'self';" in CSP and "frame-ancestors 'none'" in CSP and "unsafe" not in CSP
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-cache"
    assert '<script src="/console/console.js"></script>' in page.text


def test_console_js_is_every_console_file_in_one_function_and_revalidates(make_api: MakeApi) -> None:
    api = make_api()
    script = api.request("get", "/console/console.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert script.content == bundle()
    assert script.text.index("var T = CONSOLE_STRINGS[LANG]") < script.text.index("function Console(root)")
    again = api.request("get", "/console/console.js", headers={"If-None-Match": script.headers["etag"]})
    assert again.status_code == 304
    assert api.request("get", "/console/console.css").headers["content-type"].startswith("text/css")


def test_the_bundle_lists_every_script_of_the_console_and_each_stays_small() -> None:
    assert sorted(BUNDLE) == sorted(path.name for path in STATIC.glob("*.js"))
    assert all(len((STATIC / name).read_text().splitlines()) < 400 for name in BUNDLE)


def test_no_console_script_parses_data_as_html_except_through_the_sanitizing_markdown_renderer() -> None:
    sink = re.compile(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function")
    sanitized = re.compile(r"\.innerHTML = renderMarkdown\(")
    lines = [(name, line) for name in BUNDLE for line in (STATIC / name).read_text().splitlines()]
    assert [(name, line) for name, line in lines if sink.search(sanitized.sub("", line))] == []


def test_the_console_is_not_in_the_api_document(make_api: MakeApi) -> None:
    paths = make_api().request("get", "/api/v1/openapi.json").json()["paths"]
    assert not any(path.startswith("/console") for path in paths)

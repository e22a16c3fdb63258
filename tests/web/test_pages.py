"""The widget's files, the demo page, the app factory and the packages' public names."""

from __future__ import annotations

import hashlib
import importlib

import pytest

from tests.web.conftest import MakeApi
from web.widget import STATIC, bundle


def test_the_demo_page_embeds_the_widget_with_one_script_tag_under_a_strict_csp(make_api: MakeApi) -> None:
    api = make_api()
    page = api.request("get", "/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script src="/widget.js"></script>' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert '<script src="/widget.js" data-lang="zh"></script>' in api.request("get", "/?lang=zh").text


def test_the_demo_page_ignores_a_language_it_does_not_know(make_api: MakeApi) -> None:
    page = make_api().request("get", '/?lang="><script>alert(1)</script>').text
    assert '<script src="/widget.js"></script>' in page and "alert(1)" not in page


def test_widget_js_is_the_vendored_bundle_and_the_widget_in_one_function(make_api: MakeApi) -> None:
    api = make_api()
    script = api.request("get", "/widget.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert script.content == bundle()
    assert script.text.count("DOMPurify") >= 1 and "function start(script)" in script.text
    again = api.request("get", "/widget.js", headers={"If-None-Match": script.headers["etag"]})
    assert again.status_code == 304
    assert api.request("get", "/widget.css").headers["content-type"].startswith("text/css")


def test_the_vendored_bundle_was_built_from_the_pinned_lock_file() -> None:
    widget = STATIC.parent
    inputs = b"".join((widget / name).read_bytes() for name in ("package.json", "package-lock.json", "vendor-entry.js"))
    assert (STATIC / "vendor.js.inputs").read_text().strip() == hashlib.sha256(inputs).hexdigest()


def test_an_app_with_only_the_api_serves_no_widget(make_api: MakeApi) -> None:
    api = make_api(modules=["web.api"])
    assert api.request("get", "/widget.js").status_code == 404
    assert api.request("post", "/api/v1/conversations").status_code == 201


@pytest.mark.parametrize("package", ["funddesk.db", "web"])
def test_each_public_name_of_a_package_exists(package: str) -> None:
    module = importlib.import_module(package)
    assert module.__all__ == sorted(module.__all__)
    assert all(hasattr(module, name) for name in module.__all__)

"""Security headers: the console's CSP, HSTS behind TLS, configurable frame-ancestors, and 405 with Allow."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

from funddesk.settings import Settings
from tests.web.conftest import Api, MakeApi
from web.app import create_app

FUND_SITE = "https://www.example-fund.com https://m.example-fund.com"
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def directives(csp: str) -> dict[str, str]:
    return {name: value.strip() for name, _, value in (part.strip().partition(" ") for part in csp.split(";"))}


def test_the_consoles_csp_allows_only_its_own_scripts_and_styles_with_nothing_inline(make_api: MakeApi) -> None:
    api = make_api(widget_frame_ancestors=FUND_SITE)
    csp = api.request("get", "/console").headers["content-security-policy"]
    policy = directives(csp)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert (policy["script-src"], policy["style-src"]) == ("'self'", "'self'")
    assert policy["frame-ancestors"] == "'none'"  # the fund's pages may frame the widget's pages, never the console


def test_by_default_no_page_may_be_framed_and_none_is_sniffed_even_an_error(api: Api) -> None:
    for path in ("/", "/api/v1/openapi.json", "/health", "/no-such-page"):
        headers = api.request("get", path).headers
        assert directives(headers["content-security-policy"])["frame-ancestors"] == "'none'"
        assert headers["x-content-type-options"] == "nosniff"


def test_the_fund_companys_pages_named_in_the_setting_may_frame_the_investor_pages(make_api: MakeApi) -> None:
    api = make_api(widget_frame_ancestors=FUND_SITE)
    demo = directives(api.request("get", "/").headers["content-security-policy"])
    assert demo["frame-ancestors"] == FUND_SITE
    assert demo["script-src"] == "'self'"
    created = api.request("post", "/api/v1/conversations")
    assert directives(created.headers["content-security-policy"])["frame-ancestors"] == FUND_SITE
    assert created.headers["x-content-type-options"] == "nosniff"


def test_a_frame_ancestors_setting_that_would_end_the_directive_is_refused() -> None:
    with pytest.raises(ValueError, match="FUNDDESK_WIDGET_FRAME_ANCESTORS"):
        create_app(Settings(widget_frame_ancestors="https://a.example; script-src *"), name="bad_ancestors")


def test_hsts_is_sent_when_the_trusted_proxy_says_the_request_came_over_tls(make_api: MakeApi) -> None:
    api = make_api(web_proxies_count=1)
    behind_tls = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    assert api.request("get", "/health", headers=behind_tls).headers["strict-transport-security"] == "max-age=31536000"
    assert "strict-transport-security" not in api.request("get", "/health").headers


def test_hsts_is_not_sent_over_plain_http_nor_on_the_word_of_an_untrusted_proxy(api: Api) -> None:
    spoofed = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    assert "strict-transport-security" not in api.request("get", "/health", headers=spoofed).headers
    assert "strict-transport-security" not in api.request("get", "/console").headers


def test_every_route_answers_a_method_it_does_not_take_with_405_and_the_methods_it_takes(api: Api) -> None:
    taken: dict[str, set[str]] = defaultdict(set)
    for route in api.client.app.router.routes:
        taken[re.sub(r"<[^>]+>", "1", "/" + route.path.lstrip("/"))] |= set(route.methods)
    assert "/api/v1/conversations/1/messages" in taken  # routes with parameters are checked too
    for path, methods in taken.items():
        for method in sorted(set(HTTP_METHODS) - methods - {"HEAD"}):
            response = api.request(method, path)
            assert response.status_code == 405, (method, path)
            allowed = {m.strip() for m in response.headers.get("allow", "").split(",")}
            assert allowed == methods, (method, path)

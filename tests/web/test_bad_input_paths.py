"""Path traversal on every route that serves or writes a file: the widget's and the console's assets,
the API documentation, the analytics charts and CSV exports, incident charts and published drafts.
Sent as raw HTTP (a client library would tidy ``..`` away first); the answer is a JSON 400 or 404 and
never a byte of a file outside what the route serves."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest

from funddesk.settings import PROJECT_ROOT
from tests.web.conftest import Api
from tests.web.staff_helpers import StaffClient, add_user

DOTS = ("../", "..%2f", "%2e%2e/", "%2e%2e%2f", "..%5c", "....//", "%252e%252e%252f", "..;/")
# What a traversal would leak, and the one line of it that gives it away.
SECRETS = {
    "/etc/passwd": "root:",
    "README.md": "# FundDesk",
    "pyproject.toml": "[tool.",
    "var/funddesk.sqlite3": "SQLite",
}
ROUTES = (
    "/widget.js/",
    "/static/",
    "/console/",
    "/console/static/",
    "/api/v1/docs/",
    "/api/v1/staff/analytics/charts/",
    "/api/v1/staff/analytics/export/",
    "/api/v1/staff/incidents/1/",
    "/api/v1/conversations/",
)


def raw_get(api: Api, target: str, cookie: str = "") -> tuple[int, bytes]:
    """``GET target`` byte for byte (no client normalises the path), on the server's loop."""

    async def send() -> tuple[int, bytes]:
        reader, writer = await asyncio.open_connection(api.client.host, api.client.port)
        head = f"GET {target} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n"
        writer.write((head + (f"Cookie: {cookie}\r\n" if cookie else "") + "\r\n").encode("latin-1"))
        await writer.drain()
        answer = await reader.read()
        writer.close()
        status = int(answer.split(b" ", 2)[1])
        return status, answer.partition(b"\r\n\r\n")[2]

    result: tuple[int, bytes] = api.run(send())
    return result


def traversals() -> list[str]:
    targets = []
    for route in ROUTES:
        for dots in DOTS:
            for secret in SECRETS:
                depth = 8 if secret.startswith("/") else 3
                targets.append(route + dots * depth + secret.lstrip("/"))
    return targets


@pytest.fixture
def admin(api: Api) -> Iterator[StaffClient]:
    add_user(api, "ada", "admin", ["service-desk"])
    client = StaffClient(api, "ada")
    assert client.login().status_code == 200
    yield client
    client.close()


def test_no_traversal_on_any_file_route_leaks_a_file_even_to_an_admin(api: Api, admin: StaffClient) -> None:
    cookie = "; ".join(f"{name}={value}" for name, value in admin.http.cookies.items())
    leaked, statuses = [], set()
    for target in traversals():
        status, body = raw_get(api, target, cookie)
        statuses.add(status)
        text = body.decode("utf-8", "replace")
        if status < 300 or any(marker in text for marker in SECRETS.values()):
            leaked.append((target, status, text[:80]))
        elif status != 400:  # a 400 from the HTTP parser itself may be plain text; every other refusal is JSON
            assert set(json.loads(body)) == {"error"}, (target, body[:200])
    assert leaked == []
    assert statuses <= {400, 403, 404, 405}


@pytest.mark.parametrize(
    "entry", ["..%2f..%2f..%2fpwned", "..", "%2e%2e", "a%2f..%2f..%2fpwned", "%00", "x" * 300, "..%5c..%5cpwned"]
)
def test_publishing_a_draft_under_a_traversing_name_writes_nothing(admin: StaffClient, entry: str) -> None:
    before = {p for p in admin.api.settings.data_dir.rglob("*")} | set(PROJECT_ROOT.glob("*"))
    response = admin.request(
        "post", f"/api/v1/staff/analytics/drafts/{entry}/publish", json={"markdown": "## Pwned? {#pwned}\n\nYes.\n"}
    )
    assert response.status_code in (400, 404) and set(response.json()) == {"error"}
    after = {p for p in admin.api.settings.data_dir.rglob("*")} | set(PROJECT_ROOT.glob("*"))
    assert {p for p in after - before if "pwned" in p.name or p.suffix == ".md"} == set()
    assert not list(admin.api.settings.data_dir.parent.rglob("pwned*"))


def test_the_assets_themselves_are_still_served(api: Api) -> None:
    for target in ("/widget.js", "/widget.css", "/console/console.js", "/console/console.css", "/api/v1/docs"):
        status, body = raw_get(api, target)
        assert status in (200, 301, 302) and body, target

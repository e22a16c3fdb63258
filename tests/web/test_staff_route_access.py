"""Every staff route in the OpenAPI document refuses anonymous callers, and agents on lead/admin routes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.web.conftest import Api
from tests.web.staff_helpers import StaffClient, add_user

# Routes only a lead or an admin may use (besides these, every analytics route is a lead's).
LEAD_OR_ADMIN = {
    ("get", "/api/v1/staff/users"),
    ("post", "/api/v1/staff/users"),
    ("patch", "/api/v1/staff/users/{user_id}"),
    ("get", "/api/v1/staff/audit"),
    ("post", "/api/v1/staff/teams"),
    ("patch", "/api/v1/staff/teams/{team_id}"),
    ("post", "/api/v1/staff/teams/{team_id}/canned"),
    ("delete", "/api/v1/staff/teams/{team_id}/canned/{canned_id}"),
}
ANALYTICS = "/api/v1/staff/analytics/"


def staff_operations(api: Api) -> list[tuple[str, str, dict[str, Any]]]:
    document = api.request("get", "/api/v1/openapi.json").json()
    return [
        (method, path, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if "staff" in operation.get("tags", ())
    ]


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def restricted(method: str, path: str) -> bool:
    return (method, path) in LEAD_OR_ADMIN or path.startswith(ANALYTICS)


def test_the_document_lists_the_staff_routes_and_marks_all_but_login_as_needing_a_session(api: Api) -> None:
    operations = staff_operations(api)
    assert len(operations) >= 25
    public = {(method, path) for method, path, operation in operations if not operation.get("security")}
    assert public == {("post", "/api/v1/staff/session")}
    assert {(method, path) for method, path, _ in operations} >= LEAD_OR_ADMIN


def test_every_documented_staff_route_refuses_an_anonymous_request_with_401(api: Api) -> None:
    refused = {}
    for method, path, operation in staff_operations(api):
        if operation.get("security"):
            kwargs: dict[str, Any] = {"json": {}} if method in ("post", "patch") else {}
            refused[(method, path)] = api.request(method, concrete(path), **kwargs).status_code
    assert set(refused.values()) == {401}, {route: status for route, status in refused.items() if status != 401}


@pytest.fixture
def agent(api: Api) -> Iterator[StaffClient]:
    add_user(api, "agnes", "agent", teams=["service-desk"])
    client = StaffClient(api, "agnes")
    assert client.login().status_code == 200
    yield client
    client.close()


def test_every_lead_or_admin_route_refuses_an_agent_with_403(api: Api, agent: StaffClient) -> None:
    refused = {}
    for method, path, _ in staff_operations(api):
        if restricted(method, path):
            team_path = path.replace("{team_id}", "service-desk")  # the agent's own team: only the role is wrong
            kwargs: dict[str, Any] = {"json": {}} if method in ("post", "patch") else {}
            refused[(method, path)] = agent.request(method, concrete(team_path), **kwargs).status_code
    assert len(refused) >= len(LEAD_OR_ADMIN)
    assert set(refused.values()) == {403}, {route: status for route, status in refused.items() if status != 403}


def test_every_staff_answer_is_documented_as_a_json_object_not_as_a_python_type(api: Api) -> None:
    for method, path, operation in staff_operations(api):
        for status, response in operation["responses"].items():
            schema = response.get("content", {}).get("application/json")
            if status.startswith("2") and schema is not None:
                assert schema["schema"]["type"] == "object", f"{method.upper()} {path} {status}"
                assert "copy" not in schema["schema"].get("properties", {}), f"{method.upper()} {path} {status}"

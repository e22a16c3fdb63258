"""The staff API's request bodies: parsed strictly into typed values (400 before anything changes),
and described as dataclasses for the OpenAPI document."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from funddesk.db import StaffRole
from web.api.payloads import MAX_TEXT
from web.errors import BadRequest

ROLES = tuple(role.value for role in StaffRole)


@dataclass
class LoginBody:
    username: str
    password: str


@dataclass
class ReplyBody:
    text: str
    internal: bool


@dataclass
class TypingBody:
    active: bool


@dataclass
class TransferBody:
    team_id: str
    user_id: int


@dataclass
class HandoffBody:
    team_id: str


@dataclass
class CannedBody:
    shortcut: str
    text: str


@dataclass
class TeamSettingsBody:
    sla_seconds: int


@dataclass
class NewTeamBody:
    id: str
    name: str
    sla_seconds: int


@dataclass
class NewUserBody:
    username: str
    password: str
    role: str
    display_name: str
    teams: list[str]


@dataclass
class UserChangesBody:
    role: str
    teams: list[str]
    active: bool
    password: str
    display_name: str


def parse(raw: bytes | None) -> dict[str, Any]:
    try:
        body = json.loads(raw or b"")
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("The body must be a JSON object.", code="malformed_json") from exc
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object.", code="malformed_json")
    return body


def text(body: dict[str, Any], key: str, *, limit: int = MAX_TEXT, required: bool = True) -> str | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"'{key}' must be a non-empty string.", code=f"bad_{key}")
    if len(value) > limit:
        raise BadRequest(f"'{key}' is longer than {limit} characters.", code=f"{key}_too_long")
    return value.strip()


def required_text(body: dict[str, Any], key: str, *, limit: int = MAX_TEXT) -> str:
    value = text(body, key, limit=limit)
    assert value is not None  # required: text() raised otherwise
    return value


def flag(body: dict[str, Any], key: str, default: bool | None = None) -> bool:
    value = body.get(key, default)
    if not isinstance(value, bool):
        raise BadRequest(f"'{key}' must be true or false.", code=f"bad_{key}")
    return value


def number(body: dict[str, Any], key: str, *, low: int, high: int, required: bool = True) -> int | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise BadRequest(f"'{key}' must be a whole number from {low} to {high}.", code=f"bad_{key}")
    return value


def role(body: dict[str, Any], *, required: bool = True) -> StaffRole | None:
    value = body.get("role")
    if value is None and not required:
        return None
    if value not in ROLES:
        raise BadRequest(f"'role' must be one of {', '.join(ROLES)}.", code="bad_role")
    return StaffRole(value)


def names(body: dict[str, Any], key: str) -> list[str] | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRequest(f"'{key}' must be a list of strings.", code=f"bad_{key}")
    return list(value)

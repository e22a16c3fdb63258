"""The staff API's request bodies: parsed strictly into typed values (400 before anything changes),
and described as dataclasses for the OpenAPI document."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sanic_ext.extensions.openapi.types import Array

from escalation.staff.passwords import MIN_LENGTH
from funddesk.db import StaffRole
from web.api.characters import check_strings
from web.api.payloads import MAX_TEXT
from web.api.request_schema import NON_BLANK, rule, string
from web.api.request_schema import text as text_rule
from web.errors import BadRequest

ROLES = tuple(role.value for role in StaffRole)


# The bodies as the OpenAPI document describes them (web.api.request_schema): each field's rules
# are the ones the parsers below and the views apply, so the document allows only what is accepted.
SLA_RANGE = rule(minimum=10, maximum=7 * 86400)
TEAM_IDS = Array(string(minLength=1, maxLength=64, pattern=NON_BLANK), nullable=True)
USERNAME = rule(minLength=1, maxLength=64, pattern=r"^[ \t\n\r]*[A-Za-z0-9._-]+[ \t\n\r]*$")  # accounts.create_user
ROLES_LIST = [role.value for role in StaffRole]
PASSWORD = rule(minLength=MIN_LENGTH, maxLength=1024, pattern=NON_BLANK)


@dataclass
class LoginBody:
    username: str = field(metadata=text_rule(64))
    password: str = field(metadata=text_rule(1024))


@dataclass
class ReplyBody:
    text: str = field(metadata=text_rule(MAX_TEXT))
    internal: bool = field(metadata=rule(optional=True))


@dataclass
class TypingBody:
    active: bool


@dataclass
class TransferBody:
    team_id: str = field(metadata=text_rule(64))
    user_id: int | None = field(metadata=rule(optional=True, minimum=1, maximum=2**31))


@dataclass
class HandoffBody:
    team_id: str = field(metadata=text_rule(64))


@dataclass
class CannedBody:
    shortcut: str = field(metadata=text_rule(32))
    text: str = field(metadata=text_rule(MAX_TEXT))


@dataclass
class TeamSettingsBody:
    sla_seconds: int = field(metadata=SLA_RANGE)


@dataclass
class NewTeamBody:
    id: str = field(metadata=text_rule(64))
    name: str = field(metadata=text_rule(200))
    sla_seconds: int | None = field(metadata=rule(optional=True, minimum=10, maximum=7 * 86400))


@dataclass
class NewUserBody:
    username: str = field(metadata=USERNAME)
    password: str = field(metadata=PASSWORD)
    role: StaffRole
    display_name: str | None = field(metadata=text_rule(200, optional=True))
    teams: list[str] | None = field(metadata=rule(optional=True, schema=TEAM_IDS))


@dataclass
class UserChangesBody:
    role: StaffRole | None = field(metadata=rule(optional=True, schema=string(enum=ROLES_LIST, nullable=True)))
    teams: list[str] | None = field(metadata=rule(optional=True, schema=TEAM_IDS))
    active: bool = field(metadata=rule(optional=True))
    password: str | None = field(metadata=rule(optional=True, minLength=MIN_LENGTH, maxLength=1024, pattern=NON_BLANK))
    display_name: str | None = field(metadata=text_rule(200, optional=True))


def parse(raw: bytes | None) -> dict[str, Any]:
    try:
        body = json.loads(raw or b"")
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: nesting thousands deep
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
    check_strings(value)
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
    check_strings(value)
    return list(value)

"""One way to describe a staff route in the OpenAPI document (all share the session and the errors)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sanic_ext import openapi
from sanic_ext.extensions.openapi.types import Object

from web.api import payloads as investor_payloads
from web.api.request_schema import body_schema

F = TypeVar("F", bound=Callable[..., Any])
_ERRORS = {
    400: "Malformed JSON or a bad value",
    401: "No valid console session",
    403: "Wrong role or team, or a missing X-CSRF-Token header",
    404: "No such conversation, message, user or team",
    409: "The state moved on (someone else claimed it, already resolved, taken username)",
    413: "Body over FUNDDESK_WEB_MAX_BODY",
    429: "Too many login attempts from this address; see Retry-After",
}


def staff_route(
    summary: str,
    *,
    body: type | None = None,
    status: int = 200,
    errors: tuple[int, ...] = (401, 403),
    public: bool = False,
) -> Callable[[F], F]:
    if status == 204:
        responses = [openapi.definitions.Response({}, status=204, description="Done; no content")]
    else:
        # A JSON object (the staff answers are not in the document's schemas yet), not Python's ``dict``,
        # whose methods would show up as properties.
        ok = Object(additionalProperties=True)
        responses = [openapi.definitions.Response({"application/json": ok}, status=status, description="OK")]
    # Any path may name nothing (404); any body may be malformed (400) or too large (413).
    statuses = set(errors) | {404} | ({400, 413} if body else set())
    responses += [
        openapi.definitions.Response({"application/json": investor_payloads.Error}, status=s, description=_ERRORS[s])
        for s in sorted(statuses)
    ]
    request_body = (
        openapi.definitions.RequestBody({"application/json": body_schema(body)}, required=True) if body else None
    )
    return openapi.definition(
        summary=summary,
        body=request_body,
        response=responses,
        secured=None if public else {"staff_session": []},
        tag="staff",
    )

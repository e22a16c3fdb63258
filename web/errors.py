"""The web service's exceptions, and the one boundary that turns any error into JSON.

    WebError                      (500: a bug or an outage we did not foresee)
     ├── BadRequest               400: malformed JSON, empty text, text too long, unknown button
     ├── Unauthorized             401: missing or wrong token
     ├── Forbidden                403: the wrong role or team, or a missing CSRF token (staff)
     ├── NotFound                 404: unknown conversation
     ├── Conflict                 409: the state moved on (staff: someone else claimed it)
     ├── PayloadTooLarge          413: body over ``web_max_body`` (raised by Sanic, mapped here)
     ├── TooManyRequests          429: a rate limit; carries ``retry_after`` seconds
     ├── RasaUnavailable          503: Rasa down, failing or slow (the API answers politely instead)
     └── DatabaseUnavailable      503: the database connection failed (a restart); nothing was stored

The staff side's own refusals (:mod:`escalation.staff.errors`) carry their status and are answered
the same way. Every error body is ``{"error": {"code": "...", "message": "..."}}``. Expected errors (4xx) are
quiet; anything else is logged with its traceback and answered with a generic 500.
"""

from __future__ import annotations

import logging
import math
from typing import Any, ClassVar, NotRequired, TypedDict

from sanic import Request, Sanic
from sanic.exceptions import SanicException
from sanic.response import HTTPResponse, json
from sqlalchemy.exc import InterfaceError, OperationalError

from escalation.staff.errors import EscalationError

log = logging.getLogger("web")


class ErrorDetail(TypedDict):
    code: str
    message: str
    problems: NotRequired[list[dict[str, Any]]]  # where one refusal has several parts (an FAQ draft's problems)


class ErrorBody(TypedDict):
    error: ErrorDetail


class WebError(Exception):
    status: ClassVar[int] = 500
    default_code: ClassVar[str] = "internal_error"
    quiet: ClassVar[bool] = False

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code

    def headers(self) -> dict[str, str]:
        return {}


class BadRequest(WebError):
    status, default_code, quiet = 400, "bad_request", True


class Unauthorized(WebError):
    status, default_code, quiet = 401, "unauthorized", True

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer realm="funddesk"'}


class Forbidden(WebError):
    status, default_code, quiet = 403, "forbidden", True


class NotFound(WebError):
    status, default_code, quiet = 404, "not_found", True


class Conflict(WebError):
    status, default_code, quiet = 409, "conflict", True


class TurnInProgress(Conflict):
    """A message sent again while its first sending may still be answered (possibly by another replica)."""

    default_code = "turn_in_progress"

    def __init__(self, message: str, *, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(max(1, math.ceil(self.retry_after)))}


class PayloadTooLarge(WebError):
    status, default_code, quiet = 413, "payload_too_large", True


class TooManyRequests(WebError):
    status, default_code, quiet = 429, "rate_limited", True

    def __init__(self, message: str, *, retry_after: float, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(max(1, round(self.retry_after)))}


class RasaUnavailable(WebError):
    status, default_code, quiet = 503, "assistant_unavailable", True


class DatabaseUnavailable(WebError):
    status, default_code, quiet = 503, "database_unavailable", False

    def headers(self) -> dict[str, str]:
        return {"Retry-After": "2"}  # a restart or fail-over takes seconds; the pool reconnects


# Sanic raises these itself (routing, body size, methods); they get the same JSON shape.
_SANIC_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}


def error_body(code: str, message: str, problems: list[dict[str, Any]] | None = None) -> ErrorBody:
    detail: ErrorDetail = {"code": code, "message": message}
    if problems is not None:
        detail["problems"] = problems
    return {"error": detail}


def error_response(
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
    problems: list[dict[str, Any]] | None = None,
) -> HTTPResponse:
    return json(error_body(code, message, problems), status=status, headers=headers)


async def _web_error(request: Request, exc: WebError) -> HTTPResponse:
    if not exc.quiet:
        log.error("%s %s failed: %s", request.method, request.path, exc, exc_info=exc)
    return error_response(exc.status, exc.code, exc.message, exc.headers())


async def _escalation_error(request: Request, exc: EscalationError) -> HTTPResponse:
    return error_response(exc.status, exc.code, exc.message, problems=exc.problems)


async def _sanic_error(request: Request, exc: SanicException) -> HTTPResponse:
    status = int(exc.status_code)
    if status >= 500:
        log.error("%s %s failed", request.method, request.path, exc_info=exc)
        return error_response(status, "internal_error", "Something went wrong on our side.")
    code = _SANIC_CODES.get(status, "http_error")
    headers: dict[str, Any] = dict(getattr(exc, "headers", None) or {})
    if status == 405 and not any(name.lower() == "allow" for name in headers):
        headers["Allow"] = allowed_methods(request)  # Sanic leaves it out on routes with parameters
    return error_response(status, code, str(exc) or code.replace("_", " "), headers)


def allowed_methods(request: Request) -> str:
    """The methods the request's path answers, for a 405's ``Allow`` header (RFC 9110)."""
    allowed = []
    for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
        try:
            request.app.router.get(request.path, method, None)
        except SanicException:  # not found, or not allowed
            continue
        allowed.append(method)
    return ", ".join(allowed)


async def _database_error(request: Request, exc: OperationalError | InterfaceError) -> HTTPResponse:
    # The transaction rolled back, so nothing half-done is kept: the client may simply send again.
    unavailable = DatabaseUnavailable("The service is briefly unavailable; please try again in a moment.")
    log.warning(
        "%s %s: database unavailable: %s (%s)", request.method, request.path, exc.__class__.__name__, _reason(exc)
    )
    return error_response(unavailable.status, unavailable.code, unavailable.message, unavailable.headers())


def _reason(exc: OperationalError | InterfaceError) -> str:
    """The driver's own first line ("database is locked", "server closed the connection unexpectedly"): enough to tell
    a lock from a restart. Never SQLAlchemy's message, which adds the statement and its parameters (an investor's
    words)."""
    lines = str(exc.orig).strip().splitlines() if exc.orig is not None else []
    return lines[0][:200] if lines else "no reason given"


async def _unexpected(request: Request, exc: Exception) -> HTTPResponse:
    log.error("%s %s failed unexpectedly", request.method, request.path, exc_info=exc)
    return error_response(500, "internal_error", "Something went wrong on our side.")


def install(app: Sanic[Any, Any]) -> None:
    """The one boundary: domain errors, Sanic's own and anything unforeseen, all as JSON."""
    app.error_handler.add(WebError, _web_error)
    app.error_handler.add(EscalationError, _escalation_error)
    app.error_handler.add(SanicException, _sanic_error)
    app.error_handler.add(OperationalError, _database_error)
    app.error_handler.add(InterfaceError, _database_error)
    app.error_handler.add(Exception, _unexpected)

"""Console sessions: the cookie, the CSRF check, and who is asking.

Every staff route runs :func:`authenticate` first (a blueprint middleware): no valid session is
401, a state-changing request without the session's CSRF token in ``X-CSRF-Token`` is 403. The
cookie is HttpOnly and SameSite=Strict; the CSRF token is handed to the console in the login
answer (the console keeps it in memory), so another site can neither read nor forge it.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta

from sanic.response import HTTPResponse

from escalation.staff import access, accounts
from funddesk.db import StaffRole, StaffUser
from web.context import WebContext, WebRequest
from web.errors import Forbidden, Unauthorized
from web.staff.handoff_service import now

COOKIE = "funddesk_staff"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC = frozenset({("POST", "/api/v1/staff/session")})  # logging in


@dataclass(frozen=True)
class Staff:
    user: StaffUser
    session_id: str
    csrf_token: str


async def authenticate(request: WebRequest) -> None:
    if (request.method, request.path.rstrip("/")) in PUBLIC:
        return
    staff = await current(request.app.ctx, request.cookies.get(COOKIE))
    if staff is None:
        raise Unauthorized("Log in to the staff console.", code="login_required")
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), staff.csrf_token.encode()):
            raise Forbidden("Missing or wrong X-CSRF-Token header.", code="csrf")
    request.ctx.staff = staff


async def current(ctx: WebContext, token: str | None) -> Staff | None:
    row = await ctx.run_db(lambda s: accounts.find_session(s, token, now()))
    return None if row is None else Staff(row.user, row.id, row.csrf_token)


def staff_of(request: WebRequest) -> Staff:
    staff = getattr(request.ctx, "staff", None)
    if not isinstance(staff, Staff):  # a route outside the staff blueprints asked
        raise Unauthorized("Log in to the staff console.", code="login_required")
    return staff


def admin_of(request: WebRequest) -> StaffUser:
    """The admin asking (anyone else is 403)."""
    user = staff_of(request).user
    access.require_role(user, StaffRole.ADMIN)
    return user


def set_cookie(response: HTTPResponse, token: str, lifetime: timedelta, *, secure: bool) -> None:
    response.add_cookie(
        COOKIE,
        token,
        path="/",
        max_age=int(lifetime.total_seconds()),
        httponly=True,
        samesite="Strict",
        secure=secure,
    )


def clear_cookie(response: HTTPResponse) -> None:
    response.delete_cookie(COOKIE, path="/")

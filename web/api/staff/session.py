"""``/api/v1/staff/session``: log in (sets the cookie), who am I, log out."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sanic import Blueprint
from sanic.response import HTTPResponse, empty, json

from escalation.staff import access, accounts
from escalation.staff.errors import NotAllowed
from funddesk.db import StaffUser
from web.api.guards import client_address
from web.api.staff import payloads
from web.api.staff.auth import COOKIE, Staff, clear_cookie, set_cookie, staff_of
from web.api.staff.docs import staff_route
from web.context import WebContext, WebRequest
from web.errors import TooManyRequests, Unauthorized
from web.events import SessionsClosed, iso
from web.staff.handoff_service import now
from web.staff.serializers import user_json

bp = Blueprint("staff_session", url_prefix="/session")


def _session_json(request: WebRequest, user: StaffUser, csrf_token: str, expires_at: Any) -> dict[str, Any]:
    reveal_roles = request.app.ctx.settings.reveal_roles.split(",")
    return {
        "user": user_json(user),
        "csrf_token": csrf_token,
        "expires_at": iso(expires_at),
        "reveal_allowed": access.may_reveal(user, reveal_roles),
    }


async def limit_logins(ctx: WebContext, request: WebRequest) -> None:
    """Password guessing is slowed per client address (argon2 makes each guess dear, too)."""
    wait = await ctx.login_limit.hit(client_address(request))
    if wait:
        raise TooManyRequests("Too many login attempts; please wait.", retry_after=wait, code="login_rate_limited")


@bp.post("/")
@staff_route("Log in", body=payloads.LoginBody, errors=(401, 403, 429), public=True)
async def login(request: WebRequest) -> HTTPResponse:
    ctx = request.app.ctx
    await limit_logins(ctx, request)
    body = payloads.parse(request.body)
    username = payloads.required_text(body, "username", limit=64)
    password = payloads.required_text(body, "password", limit=1024)
    lifetime = timedelta(hours=ctx.settings.staff_session_hours)

    def log_in(session: Any) -> accounts.Login | NotAllowed | None:
        try:
            user = accounts.authenticate(session, username, password)
        except NotAllowed as refused:  # the right password of a deactivated account: audited, then answered 403
            access.audit(session, None, "login_failed", attempted=username[:64], reason=refused.code)
            return refused
        if user is None:
            access.audit(session, None, "login_failed", attempted=username[:64])
            return None
        access.audit(session, user, "login")
        return accounts.open_session(session, user, now(), lifetime)

    done = await ctx.run_db(log_in, write=True)
    if isinstance(done, NotAllowed):
        raise done
    if done is None:
        raise Unauthorized("Wrong username or password.", code="bad_login")
    response = json(_session_json(request, done.user, done.csrf_token, done.expires_at))
    set_cookie(response, done.token, lifetime, secure=ctx.settings.staff_cookie_secure)
    return response


@bp.get("/")
@staff_route("The logged-in user, the CSRF token and what the role may do", errors=(401,))
async def whoami(request: WebRequest) -> HTTPResponse:
    staff: Staff = staff_of(request)
    row = await request.app.ctx.run_db(lambda s: accounts.find_session(s, request.cookies.get(COOKIE), now()))
    expires = row.expires_at if row is not None else None
    return json(_session_json(request, staff.user, staff.csrf_token, expires))


@bp.delete("/")
@staff_route("Log out", status=204, errors=(401, 403))
async def logout(request: WebRequest) -> HTTPResponse:
    staff = staff_of(request)
    token = request.cookies.get(COOKIE) or ""

    def log_out(session: Any) -> None:
        accounts.close_session(session, token)
        access.audit(session, staff.user, "logout")

    await request.app.ctx.run_db(log_out, write=True)
    await request.app.ctx.hub.publish(SessionsClosed(staff.user.id))  # this session's other tabs close too
    response = empty()
    clear_cookie(response)
    return response

"""``/api/v1/staff/users`` (admins) and ``/api/v1/staff/audit`` (leads: their teams; admins: all)."""

from __future__ import annotations

from typing import Any

from sanic import Blueprint
from sanic.response import HTTPResponse, json
from sqlalchemy.orm import Session

from escalation.staff import access, accounts, audit
from funddesk.db import StaffRole
from web.api.staff import payloads
from web.api.staff.auth import admin_of, staff_of
from web.api.staff.docs import staff_route
from web.api.staff.writes import written
from web.context import WebRequest
from web.errors import BadRequest
from web.events import SessionsClosed
from web.staff import handoff_service as handoffs
from web.staff.serializers import UserJson, audit_json, user_json

bp = Blueprint("staff_admin")
AUDIT_PAGE = 100


@bp.get("/users")
@staff_route("Every staff account (admin)")
async def list_users(request: WebRequest) -> HTTPResponse:
    admin_of(request)
    rows = await request.app.ctx.run_db(lambda s: [user_json(u) for u in accounts.users(s)])
    return json({"users": rows})


@bp.post("/users")
@staff_route("Create a staff account (admin)", body=payloads.NewUserBody, status=201, errors=(401, 403, 409))
async def create_user(request: WebRequest) -> HTTPResponse:
    admin = admin_of(request)
    body = payloads.parse(request.body)
    username = payloads.required_text(body, "username", limit=64)
    password = payloads.required_text(body, "password", limit=1024)
    role = payloads.role(body)
    display = payloads.text(body, "display_name", limit=200, required=False)
    teams = payloads.names(body, "teams") or []
    assert role is not None

    def create(session: Session) -> UserJson:
        user = accounts.create_user(session, username, password, role=role, display_name=display, teams=teams)
        access.audit(session, admin, "user_add", username=user.username, role=str(role), teams=teams)
        return user_json(user)

    return await written(request, create, status=201)


@bp.patch("/users/<user_id:int>")
@staff_route(
    "Change a staff account: role, teams, active, password, display name (admin)",
    body=payloads.UserChangesBody,
    errors=(401, 403, 404),
)
async def update_user(request: WebRequest, user_id: int) -> HTTPResponse:
    admin = admin_of(request)
    body = payloads.parse(request.body)
    role = payloads.role(body, required=False)
    teams = payloads.names(body, "teams")
    active = payloads.flag(body, "active") if "active" in body else None
    password = payloads.text(body, "password", limit=1024, required=False)
    display = payloads.text(body, "display_name", limit=200, required=False)
    if user_id == admin.id and (active is False or (role is not None and role is not StaffRole.ADMIN)):
        raise BadRequest("Admins cannot lock themselves out; ask another admin.", code="self_lockout")

    def update(session: Session) -> tuple[dict[str, Any], list[handoffs.Outcome]]:
        user = accounts.find_user(session, user_id)
        before = user_json(user)
        changed: list[str] = []
        if role is not None:
            user.role = role
            changed.append("role")
        if teams is not None:
            accounts.set_teams(session, user, teams)
            changed.append("teams")
        if display is not None:
            user.display_name = display
            changed.append("display_name")
        if password is not None:
            accounts.set_password(user, password)
            changed.append("password")
        if active is not None:
            user.active = active
            changed.append("active")
        if password is not None or active is False:
            accounts.close_sessions_of(session, user)  # logged out everywhere
        released = handoffs.release_all_of(session, admin, user) if active is False else []
        session.flush()
        after = user_json(user)
        values = {k: [before[k], after[k]] for k in ("role", "teams", "display_name", "active") if k in changed}
        # ``changes``: what each field was and is (the password is only named)
        access.audit(session, admin, "user_update", username=user.username, changed=changed, changes=values)
        return dict(after), released

    updated, released = await request.app.ctx.run_db(update, write=True)
    for outcome in released:  # their conversations are back in the queues: everyone watching sees it
        await handoffs.publish(request.app.ctx, outcome)
    if password is not None or active is False:  # their open consoles close now, not at their next heartbeat
        await request.app.ctx.hub.publish(SessionsClosed(user_id))
    return json(updated)


@bp.get("/audit")
@staff_route("The audit log, newest first (leads: their teams; admins: everything)")
async def audit_log(request: WebRequest) -> HTTPResponse:
    user = staff_of(request).user
    access.require_role(user, StaffRole.LEAD, StaffRole.ADMIN)
    try:
        limit = min(int(request.args.get("limit", AUDIT_PAGE)), 500)
        before = int(request.args.get("before_id", 0))
    except ValueError as exc:
        raise BadRequest("limit and before_id are whole numbers.", code="bad_query") from exc

    def load(session: Session) -> dict[str, Any]:
        return {"entries": [audit_json(e) for e in audit.page(session, user, limit=limit, before_id=before)]}

    return json(await request.app.ctx.run_db(load))

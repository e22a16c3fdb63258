"""``/api/v1/staff/queues`` and ``/api/v1/staff/teams``: the queues, team settings, canned responses."""

from __future__ import annotations

from typing import Any

from sanic import Blueprint
from sanic.response import HTTPResponse, empty, json
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from escalation.staff import access, accounts
from escalation.staff.errors import Conflict, Missing
from escalation.staff.queues import open_rows
from escalation.staff.teams import TeamConfig
from funddesk.db import CannedResponse, StaffRole, Team
from web.api.staff import payloads
from web.api.staff.auth import staff_of
from web.api.staff.docs import staff_route
from web.context import WebRequest
from web.staff.handoff_service import now
from web.staff.serializers import item_json, team_json

queues_bp = Blueprint("staff_queues", url_prefix="/queues")
bp = Blueprint("staff_teams", url_prefix="/teams")


@queues_bp.get("/")
@staff_route("The live queues of the teams the user works in (admins: all)")
async def queues(request: WebRequest) -> HTTPResponse:
    user = staff_of(request).user

    def load(session: Session) -> dict[str, Any]:
        moment = now()
        visible = [team for team in accounts.teams(session) if team.id in access.visible_teams(user, [team.id])]
        rows = open_rows(session, [team.id for team in visible])
        online = accounts.online_counts(session, [team.id for team in visible], moment)
        out = [
            {
                "team": team_json(team, online.get(team.id, 0)),
                "items": [item_json(row, moment) for row in rows[team.id]],
            }
            for team in visible
        ]
        return {"queues": out}

    return json(await request.app.ctx.run_db(load))


@bp.get("/")
@staff_route("Every team with its members (for transfers) and how many are online")
async def teams(request: WebRequest) -> HTTPResponse:
    def load(session: Session) -> dict[str, Any]:
        moment, out = now(), []
        active = [u for u in accounts.users(session) if u.active]  # read once, not per team
        for team in accounts.teams(session):
            members = [
                {"id": u.id, "display_name": u.display_name, "role": str(u.role)}
                for u in active
                if team.id in u.team_ids
            ]
            out.append({**team_json(team, accounts.online_count(session, team.id, moment)), "members": members})
        return {"teams": out}

    staff_of(request)
    return json(await request.app.ctx.run_db(load))


@bp.post("/")
@staff_route("Create a team (admin)", body=payloads.NewTeamBody, status=201, errors=(401, 403, 409))
async def create_team(request: WebRequest) -> HTTPResponse:
    user = staff_of(request).user
    access.require_role(user, StaffRole.ADMIN)
    body = payloads.parse(request.body)
    team_id = payloads.required_text(body, "id", limit=64)
    name = payloads.required_text(body, "name", limit=200)
    sla = payloads.number(body, "sla_seconds", low=10, high=7 * 86400, required=False) or 120

    def create(session: Session) -> dict[str, Any]:
        if session.get(Team, team_id) is not None:
            raise Conflict(f"The team {team_id!r} exists.", code="team_exists")
        accounts.sync_teams(session, [TeamConfig(team_id, name, sla)])
        team = session.get(Team, team_id)
        assert team is not None
        access.audit(session, user, "team_add", team_id=team_id, name=name, sla_seconds=sla)
        return dict(team_json(team, 0))

    return json(await request.app.ctx.run_db(create, write=True), status=201)


@bp.patch("/<team_id:str>")
@staff_route(
    "Change a team's first-response target (lead of the team, admin)",
    body=payloads.TeamSettingsBody,
    errors=(401, 403, 404),
)
async def update_team(request: WebRequest, team_id: str) -> HTTPResponse:
    user = staff_of(request).user
    access.require_lead_of(user, team_id)
    sla = payloads.number(payloads.parse(request.body), "sla_seconds", low=10, high=7 * 86400)

    def update(session: Session) -> dict[str, Any]:
        team = _team(session, team_id)
        before, team.sla_seconds = team.sla_seconds, int(sla or team.sla_seconds)
        access.audit(session, user, "team_update", team_id=team_id, sla_seconds=[before, team.sla_seconds])
        return dict(team_json(team, accounts.online_count(session, team_id, now())))

    return json(await request.app.ctx.run_db(update, write=True))


@bp.get("/<team_id:str>/canned")
@staff_route("The team's canned responses", errors=(401, 403, 404))
async def canned(request: WebRequest, team_id: str) -> HTTPResponse:
    access.require_team(staff_of(request).user, team_id)

    def load(session: Session) -> dict[str, Any]:
        _team(session, team_id)
        rows = session.scalars(
            select(CannedResponse).where(CannedResponse.team_id == team_id).order_by(CannedResponse.shortcut)
        )
        return {"canned": [{"id": r.id, "shortcut": r.shortcut, "text": r.text} for r in rows]}

    return json(await request.app.ctx.run_db(load))


@bp.post("/<team_id:str>/canned")
@staff_route(
    "Add a canned response (lead of the team, admin)", body=payloads.CannedBody, status=201, errors=(401, 403, 404, 409)
)
async def add_canned(request: WebRequest, team_id: str) -> HTTPResponse:
    user = staff_of(request).user
    access.require_lead_of(user, team_id)
    body = payloads.parse(request.body)
    shortcut = payloads.required_text(body, "shortcut", limit=32).lstrip("/")
    text = payloads.required_text(body, "text")

    def add(session: Session) -> dict[str, Any]:
        _team(session, team_id)
        row = CannedResponse(team_id=team_id, shortcut=shortcut, text=text)
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError as exc:
            raise Conflict(f"The shortcut /{shortcut} exists in this team.", code="shortcut_taken") from exc
        access.audit(session, user, "canned_add", team_id=team_id, shortcut=shortcut)
        return {"id": row.id, "shortcut": row.shortcut, "text": row.text}

    return json(await request.app.ctx.run_db(add, write=True), status=201)


@bp.delete("/<team_id:str>/canned/<canned_id:int>")
@staff_route("Delete a canned response (lead of the team, admin)", status=204, errors=(401, 403, 404))
async def delete_canned(request: WebRequest, team_id: str, canned_id: int) -> HTTPResponse:
    user = staff_of(request).user
    access.require_lead_of(user, team_id)

    def delete(session: Session) -> None:
        row = session.get(CannedResponse, canned_id)
        if row is None or row.team_id != team_id:
            raise Missing("No such canned response.", code="canned_not_found")
        access.audit(session, user, "canned_delete", team_id=team_id, shortcut=row.shortcut)
        session.delete(row)

    await request.app.ctx.run_db(delete, write=True)
    return empty()


def _team(session: Session, team_id: str) -> Team:
    team = session.get(Team, team_id)
    if team is None:
        raise Missing("No such team.", code="team_not_found")
    return team

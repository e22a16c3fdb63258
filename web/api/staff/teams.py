"""``/api/v1/staff/queues`` and ``/api/v1/staff/teams``: the queues, team settings, canned responses."""

from __future__ import annotations

from typing import Any

from sanic import Blueprint
from sanic.response import HTTPResponse, empty, json
from sqlalchemy.orm import Session

from escalation.staff import access, accounts, canned_responses
from escalation.staff.queues import open_rows
from escalation.staff.teams import TeamConfig
from funddesk.db import CannedResponse
from web.api.staff import payloads
from web.api.staff.auth import admin_of, staff_of
from web.api.staff.docs import staff_route
from web.api.staff.writes import written
from web.context import WebRequest
from web.staff.handoff_service import now
from web.staff.serializers import TeamJson, item_json, team_json

queues_bp = Blueprint("staff_queues", url_prefix="/queues")
bp = Blueprint("staff_teams", url_prefix="/teams")


@queues_bp.get("/")
@staff_route("The live queues of the teams the user works in (admins: all)")
async def queues(request: WebRequest) -> HTTPResponse:
    user = staff_of(request).user

    def load(session: Session) -> dict[str, Any]:
        moment = now()
        visible = [team for team in accounts.teams(session) if access.in_team(user, team.id)]
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
        out = []
        teams = accounts.teams(session)
        active = [u for u in accounts.users(session) if u.active]  # read once, not per team
        online = accounts.online_counts(session, [team.id for team in teams], now())
        for team in teams:
            members = [
                {"id": u.id, "display_name": u.display_name, "role": str(u.role)}
                for u in active
                if team.id in u.team_ids
            ]
            out.append({**team_json(team, online.get(team.id, 0)), "members": members})
        return {"teams": out}

    staff_of(request)
    return json(await request.app.ctx.run_db(load))


@bp.post("/")
@staff_route("Create a team (admin)", body=payloads.NewTeamBody, status=201, errors=(401, 403, 409))
async def create_team(request: WebRequest) -> HTTPResponse:
    user, body = admin_of(request), payloads.parse(request.body)
    sla = payloads.number(body, "sla_seconds", low=10, high=7 * 86400, required=False) or 120
    config = TeamConfig(
        payloads.required_text(body, "id", limit=64), payloads.required_text(body, "name", limit=200), sla
    )

    def create(session: Session) -> TeamJson:
        team = accounts.create_team(session, config)
        access.audit(session, user, "team_add", team_id=config.id, name=config.name, sla_seconds=config.sla_seconds)
        return team_json(team, 0)

    return await written(request, create, status=201)


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
        team = accounts.find_team(session, team_id)
        before, team.sla_seconds = team.sla_seconds, int(sla or team.sla_seconds)
        access.audit(session, user, "team_update", team_id=team_id, sla_seconds=[before, team.sla_seconds])
        return dict(team_json(team, accounts.online_count(session, team_id, now())))

    return await written(request, update)


@bp.get("/<team_id:str>/canned")
@staff_route("The team's canned responses", errors=(401, 403, 404))
async def canned(request: WebRequest, team_id: str) -> HTTPResponse:
    access.require_team(staff_of(request).user, team_id)

    def load(session: Session) -> dict[str, Any]:
        accounts.find_team(session, team_id)
        return {"canned": [_canned_json(row) for row in canned_responses.of_team(session, team_id)]}

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
        accounts.find_team(session, team_id)
        row = canned_responses.add(session, team_id, shortcut, text)
        access.audit(session, user, "canned_add", team_id=team_id, shortcut=shortcut)
        return _canned_json(row)

    return await written(request, add, status=201)


@bp.delete("/<team_id:str>/canned/<canned_id:int>")
@staff_route("Delete a canned response (lead of the team, admin)", status=204, errors=(401, 403, 404))
async def delete_canned(request: WebRequest, team_id: str, canned_id: int) -> HTTPResponse:
    user = staff_of(request).user
    access.require_lead_of(user, team_id)

    def delete(session: Session) -> None:
        row = canned_responses.find(session, team_id, canned_id)
        access.audit(session, user, "canned_delete", team_id=team_id, shortcut=row.shortcut)
        canned_responses.remove(session, row)

    await request.app.ctx.run_db(delete, write=True)
    return empty()


def _canned_json(row: CannedResponse) -> dict[str, Any]:
    return {"id": row.id, "shortcut": row.shortcut, "text": row.text}

"""``/api/v1/staff/incidents``: spikes in the user's teams, their charts, one published answer, closing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sanic import Blueprint
from sanic.response import HTTPResponse, json, raw
from sqlalchemy.orm import Session

from escalation.staff import access, accounts
from web.api.request_schema import rule
from web.api.request_schema import text as text_rule
from web.api.staff import payloads
from web.api.staff.auth import staff_of
from web.api.staff.docs import staff_route
from web.context import WebRequest
from web.staff import incident_service as incidents
from web.staff.chart_words import chart_words_of
from web.staff.charts import incident_svg
from web.staff.handoff_service import now

bp = Blueprint("staff_incidents", url_prefix="/incidents")


@dataclass
class AnswerBody:
    """``question`` (optional) becomes the FAQ heading; the incident's questions become its phrasings."""

    answer: str = field(metadata=text_rule(8000))
    question: str | None = field(metadata=text_rule(300, optional=True))


@dataclass
class CloseBody:
    retire: bool = field(metadata=rule(optional=True))


@bp.get("/")
@staff_route("Incidents of the user's teams, newest first (?all=1 includes closed ones)")
async def list_incidents(request: WebRequest) -> HTTPResponse:
    user = staff_of(request).user
    include_closed = request.args.get("all") in ("1", "true")

    def load(session: Session) -> dict[str, Any]:
        teams = access.visible_teams(user, [t.id for t in accounts.teams(session)])
        return {"incidents": incidents.listing(session, teams, include_closed=include_closed)}

    return json(await request.app.ctx.run_db(load))


@bp.get("/<incident_id:int>")
@staff_route("One incident: counts against baseline, sample questions, conversations", errors=(401, 403, 404))
async def read_incident(request: WebRequest, incident_id: int) -> HTTPResponse:
    user = staff_of(request).user
    body = await request.app.ctx.run_db(lambda s: incidents.read(s, user, incident_id))
    return json(body)


@bp.get("/<incident_id:int>/chart.svg")
@staff_route(
    "The incident's chart: questions per bucket against the expected baseline (SVG); ?lang=en|zh for its words",
    errors=(400, 401, 403, 404),
)
async def chart(request: WebRequest, incident_id: int) -> HTTPResponse:
    user = staff_of(request).user
    words = chart_words_of(request)

    def render(session: Session) -> str:
        incident = incidents.find(session, user, incident_id)
        return incident_svg(incident.series or [], words.incident.format(id=incident.id, label=incident.label), words)

    svg = await request.app.ctx.run_db(render)
    headers = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'", "Cache-Control": "no-cache"}
    return raw(svg.encode("utf-8"), content_type="image/svg+xml", headers=headers)


@bp.post("/<incident_id:int>/answer")
@staff_route(
    "Publish the answer: written as an FAQ entry (live through hot reload) and pushed to those who asked",
    body=AnswerBody,
    errors=(401, 403, 404, 409),
)
async def answer(request: WebRequest, incident_id: int) -> HTTPResponse:
    ctx, user = request.app.ctx, staff_of(request).user
    body = payloads.parse(request.body)
    text = payloads.required_text(body, "answer", limit=8000)
    question = payloads.text(body, "question", limit=300, required=False)
    settings = ctx.settings

    def publish(session: Session) -> tuple[list[Any], dict[str, Any]]:
        events = incidents.publish_answer(session, user, incident_id, question, text, settings, now())
        return events, incidents.read(session, user, incident_id)

    events, incident = await ctx.run_db(publish, write=True)
    for event in events:
        await ctx.hub.publish(event)
    return json(incident)


@bp.post("/<incident_id:int>/close")
@staff_route("Close the incident; retire: true also removes its FAQ entry", body=CloseBody, errors=(401, 403, 404, 409))
async def close(request: WebRequest, incident_id: int) -> HTTPResponse:
    ctx, user = request.app.ctx, staff_of(request).user
    body = payloads.parse(request.body) if request.body else {}
    retire = payloads.flag(body, "retire", default=False)
    settings = ctx.settings

    def finish(session: Session) -> tuple[list[Any], dict[str, Any]]:
        events = incidents.close(session, user, incident_id, retire=retire, settings=settings, now=now())
        return events, incidents.read(session, user, incident_id)

    events, incident = await ctx.run_db(finish, write=True)
    for event in events:
        await ctx.hub.publish(event)
    return json(incident)

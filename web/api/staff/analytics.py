"""``/api/v1/staff/analytics``: the fund teams' dashboard (leads and admins; agents get 403).

Every route takes ``from`` and ``to`` (YYYY-MM-DD, local days in ``FUNDDESK_TIMEZONE``, ``to``
inclusive; default the last 30 days) and an optional ``team``. The gaps' drafts are saved under
``<data_dir>/drafts`` and published into the published folder, served with hot reload.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sanic import Blueprint
from sanic.response import HTTPResponse, empty, json, raw, text
from sqlalchemy.orm import Session

from escalation.analytics import drafts, published_gaps, report
from escalation.analytics.period import BadPeriod, Period, parse_period
from escalation.staff import access
from escalation.staff.errors import Missing
from funddesk.db import StaffRole, StaffUser
from web.api.request_schema import text as text_rule
from web.api.staff import payloads
from web.api.staff.auth import staff_of
from web.api.staff.docs import staff_route
from web.context import WebRequest
from web.errors import BadRequest, NotFound
from web.staff import analytics_charts
from web.staff.chart_words import chart_words_of
from web.staff.handoff_service import now

bp = Blueprint("staff_analytics", url_prefix="/analytics")
SVG_HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'", "Cache-Control": "no-cache"}


@dataclass
class PublishBody:
    """The draft as the team edited it: one FAQ file with the answer written."""

    markdown: str = field(metadata=text_rule(64_000))


def _lead_or_admin(request: WebRequest) -> StaffUser:
    user = staff_of(request).user
    access.require_role(user, StaffRole.LEAD, StaffRole.ADMIN)
    return user


def _drafting_team(user: StaffUser, team: str) -> str:
    """A lead drafts in their own team's name (publishing in another's is refused): a gap the clusterer put near
    another team's entries is theirs to answer once they draft it."""
    return team if access.in_team(user, team) or not user.team_ids else user.team_ids[0]


def _scope(request: WebRequest) -> tuple[StaffUser, Period, str | None]:
    """Who asks (a lead or an admin), for which range and team (a lead: overall or one of theirs)."""
    user = _lead_or_admin(request)
    team = request.args.get("team") or None
    if team:
        access.require_team(user, team)
    try:
        period = parse_period(
            request.args.get("from"), request.args.get("to"), request.app.ctx.settings.timezone, now()
        )
    except BadPeriod as exc:
        raise BadRequest(str(exc), code="bad_period") from None
    return user, period, team


@bp.get("/summary")
@staff_route("Conversations, messages, containment, answer/clarify/fallback rates, hand-offs, feedback, SLA, "
             "incidents and busiest hours over ?from=&to= (&team=)", errors=(400, 401, 403))  # fmt: skip
async def summary(request: WebRequest) -> HTTPResponse:
    _, period, team = _scope(request)
    moment = now()
    return json(await request.app.ctx.run_db(lambda s: report.summary(s, period, team, moment)))


@bp.get("/gaps")
@staff_route("Knowledge gaps: questions the FAQ failed, clustered, largest first", errors=(400, 401, 403))
async def gaps(request: WebRequest) -> HTTPResponse:
    _, period, team = _scope(request)
    found = await request.app.ctx.run_db(lambda s: report.gaps(s, report.span_of(period, team)))
    return json({"period": period.as_json(), "team": team, "gaps": [g.as_json() for g in found]})


@bp.post("/gaps/<gap_id:str>/draft")
@staff_route("Draft an FAQ file for the gap (saved, not published); a draft already saved for it (a taken-back "
             "answer, an earlier edit) is returned as it is unless &fresh=1", errors=(400, 401, 403, 404))  # fmt: skip
async def draft(request: WebRequest, gap_id: str) -> HTTPResponse:
    user, period, team = _scope(request)
    settings = request.app.ctx.settings
    fresh = request.args.get("fresh") == "1"

    def make(session: Session) -> dict[str, Any]:
        gap = report.find_gap(session, report.span_of(period, team), gap_id)
        if gap is None:
            raise Missing("No such knowledge gap in that range.", code="gap_not_found")
        entry = drafts.entry_id(gap)
        saved = None if fresh else drafts.saved_draft(settings, entry)
        if saved is not None:  # the team's own words are never overwritten by a click
            path, markdown = drafts.draft_path(settings, entry), saved
        else:
            markdown = drafts.render(gap, _drafting_team(user, team or gap.team or settings.default_team))
            path = drafts.save_draft(settings, entry, markdown)
        access.audit(session, user, "gap_draft", team_id=team or gap.team, gap=gap.id, entry=entry)
        kept = saved is not None
        return {"markdown": markdown, "path": str(path), "entry_id": entry, "gap": gap.as_json(), "kept": kept}

    return json(await request.app.ctx.run_db(make, write=True))


@bp.post("/drafts/<entry:str>/publish")
@staff_route("Publish an edited draft: checked like lint, then served through hot reload; a lead publishes only "
             "for their own teams (403)", body=PublishBody, errors=(400, 401, 403))  # fmt: skip
async def publish(request: WebRequest, entry: str) -> HTTPResponse:
    user, _, _ = _scope(request)
    markdown = payloads.required_text(payloads.parse(request.body), "markdown", limit=64_000)
    settings = request.app.ctx.settings

    def write(session: Session) -> dict[str, Any]:
        path, entries = drafts.publish(settings, entry, markdown, user)
        ids = [e.id for e in entries]
        team = next(iter(drafts.teams_of(entries)), None)  # so a team's audit view shows it
        access.audit(session, user, "gap_publish", team_id=team, entry=entry, entries=ids)
        # ``entry_id``: the draft's (the gap's) as before; ``entries``: the ids the published file serves
        return {"entry_id": entry, "entries": ids, "path": str(path)}

    return json(await request.app.ctx.run_db(write, write=True))


@bp.get("/published")
@staff_route("The FAQ files published from knowledge gaps (a lead: their own teams'), the most recent first",
             errors=(401, 403))  # fmt: skip
async def published_list(request: WebRequest) -> HTTPResponse:
    user = _lead_or_admin(request)
    found = published_gaps.published_gaps(request.app.ctx.settings, user)
    return json({"published": [gap.as_json() for gap in found]})


@bp.delete("/published/<entry:str>")
@staff_route("Take back an FAQ file published from a knowledge gap (a lead: one of their own teams'): its entries "
             "stop serving within a second and its text is the gap's draft again", status=204,
             errors=(401, 403, 404))  # fmt: skip
async def unpublish(request: WebRequest, entry: str) -> HTTPResponse:
    user = _lead_or_admin(request)
    settings = request.app.ctx.settings

    def remove(session: Session) -> None:
        _, teams = published_gaps.unpublish(settings, entry, user)
        access.audit(session, user, "gap_unpublish", team_id=next(iter(teams), None), entry=entry)

    await request.app.ctx.run_db(remove, write=True)
    return empty()


EXCEL = {"1": True, "true": True, "0": False, "false": False}


@bp.get("/export/<name:str>")
@staff_route(
    "One dashboard table as CSV: " + ", ".join(f"{t}.csv" for t in report.TABLES) + "; ?excel=1: with a UTF-8 byte "
    "order mark, so that Excel reads Chinese text right (the console's links ask for it)",
    errors=(400, 401, 403, 404),
)
async def export(request: WebRequest, name: str) -> HTTPResponse:
    _, period, team = _scope(request)
    table = name.removesuffix(".csv")
    if table not in report.TABLES:
        raise NotFound(f"No table {table!r}; tables: {', '.join(report.TABLES)}.", code="table_not_found")
    excel = EXCEL.get((request.args.get("excel") or "0").lower())
    if excel is None:
        raise BadRequest("excel is 1 or 0.", code="bad_excel")
    moment = now()

    def rows(session: Session) -> list[list[Any]]:
        if table == "gaps":
            return report.table(table, {}, report.gaps(session, report.span_of(period, team)))
        return report.table(table, report.summary(session, period, team, moment))

    body = ("\ufeff" if excel else "") + report.to_csv(await request.app.ctx.run_db(rows))
    filename = f"funddesk-{table}-{period.first_day}-{period.last_day}.csv"
    return text(body, content_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{filename}"'})  # fmt: skip


@bp.get("/charts/<name:str>")
@staff_route(
    "A dashboard chart as SVG: " + ", ".join(f"{c}.svg" for c in analytics_charts.CHARTS) + "; ?lang=en|zh: its words",
    errors=(400, 401, 403, 404),
)
async def chart(request: WebRequest, name: str) -> HTTPResponse:
    _, period, team = _scope(request)
    kind = name.removesuffix(".svg")
    if kind not in analytics_charts.CHARTS:
        raise NotFound(f"No chart {kind!r}.", code="chart_not_found")
    words = chart_words_of(request)
    moment = now()
    figures = await request.app.ctx.run_db(lambda s: report.summary(s, period, team, moment))
    svg = analytics_charts.render(kind, figures, words)
    return raw(svg.encode("utf-8"), content_type="image/svg+xml", headers=SVG_HEADERS)

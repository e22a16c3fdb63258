"""``/api/v1/staff/knowledge``: what each action server's knowledge base serves, and every problem its FAQ
files have as ``file:line`` with what serves in its place (leads and admins; agents get 403). Each action
server reports at its start and after every reload (``actions/kb_status.py``)."""

from __future__ import annotations

from typing import Any, TypedDict

from sanic import Blueprint
from sanic.response import HTTPResponse, json

from escalation.staff import access
from funddesk.db import StaffRole
from funddesk.db import kb_status as repository
from knowledge_base.problem_words import messages
from web.api.staff.auth import staff_of
from web.api.staff.docs import staff_route
from web.context import WebRequest
from web.events import iso

bp = Blueprint("staff_knowledge", url_prefix="/knowledge")


class ServerJson(TypedDict):
    server: str
    checked_at: str | None
    reported_at: str | None
    outcome: str
    files: int
    entries: int
    errors: int
    warnings: int
    problems: list[dict[str, Any]]


@bp.get("/")
@staff_route(
    "What each action server's knowledge base serves, and its FAQ files' problems as file:line (leads, admins)",
    errors=(401, 403),
)
async def knowledge(request: WebRequest) -> HTTPResponse:
    access.require_role(staff_of(request).user, StaffRole.LEAD, StaffRole.ADMIN)
    servers = await request.app.ctx.run_db(lambda s: [server_json(row) for row in repository.servers(s)])
    return json({"servers": servers})


def server_json(row: repository.KbStatus) -> ServerJson:
    problems = [_problem_json(dict(p)) for p in row.problems]
    errors = sum(p.get("severity") == "error" for p in problems)
    return {
        "server": row.server,
        "checked_at": iso(row.checked_at),
        "reported_at": iso(row.reported_at),
        "outcome": row.outcome,
        "files": row.files,
        "entries": row.entries,
        "errors": errors,
        "warnings": len(problems) - errors,
        "problems": problems,
    }


def _problem_json(problem: dict[str, Any]) -> dict[str, Any]:
    """The stored problem, and ``messages``: what it says in each console language, English as lint printed it (a
    problem from a release that stored no code, or with a code this release does not know, has English only)."""
    params = problem.get("params")
    code, english = str(problem.get("code") or ""), str(problem.get("message", ""))
    return {**problem, "messages": messages(code, params if isinstance(params, dict) else {}, english)}

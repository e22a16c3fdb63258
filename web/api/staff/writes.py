"""How a staff route that changes something answers: the change in one write transaction, then its JSON."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sanic.response import HTTPResponse, json
from sqlalchemy.orm import Session

from web.context import WebRequest


async def written(
    request: WebRequest, change: Callable[[Session], Mapping[str, Any]], *, status: int = 200
) -> HTTPResponse:
    """Run ``change`` (its own checks and audit entry included) and answer with what it returns."""
    return json(dict(await request.app.ctx.run_db(change, write=True)), status=status)

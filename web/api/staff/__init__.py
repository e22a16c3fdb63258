"""The staff API under ``/api/v1/staff``: what the console uses, documented in the OpenAPI document.

Every route but logging in needs a console session (401 without), and the right role and team
(403); state-changing requests also need the session's CSRF token (403 without).
"""

from __future__ import annotations

from sanic import Blueprint
from sanic.blueprint_group import BlueprintGroup

from web.api.staff import admin, analytics, conversations, incidents, knowledge, live, session, teams
from web.api.staff.auth import authenticate

__all__ = ["document", "group"]


BLUEPRINTS = (
    session.bp,
    teams.queues_bp,
    teams.bp,
    conversations.bp,
    incidents.bp,
    analytics.bp,
    knowledge.bp,
    admin.bp,
    live.bp,
)
for _bp in BLUEPRINTS:  # declared with the routes, like them
    _bp.on_request(authenticate)


def group() -> BlueprintGroup:
    return Blueprint.group(*BLUEPRINTS, url_prefix="/staff")


def document() -> None:
    live.document()

"""The investor API: every blueprint under ``/api/v1`` (Blueprint.group, version 1)."""

from __future__ import annotations

from sanic import Blueprint
from sanic.response import HTTPResponse, json
from sanic_ext import openapi
from sanic_ext.extensions.openapi.builders import SpecificationBuilder

from web.api import characters, conversations, live, staff
from web.context import WebApp, WebRequest

__all__ = ["setup"]

TITLE = "FundDesk API: investors and staff"
DESCRIPTION = (
    "Conversations between investors and FundDesk's assistant. Errors are "
    '`{"error": {"code": "...", "message": "..."}}`.'
)


def setup(app: WebApp) -> None:
    characters.install(app)  # no control character in any path or query
    app.blueprint(Blueprint.group(conversations.bp, live.bp, staff.group(), version=1, version_prefix="/api/v"))
    live.document()
    staff.document()
    app.add_route(openapi_document, "/api/v1/openapi.json", name="openapi_document")
    app.ext.openapi.describe(TITLE, version="1", description=DESCRIPTION)
    app.ext.openapi.add_security_scheme("token", "http", scheme="bearer")
    app.ext.openapi.add_security_scheme("staff_session", "apiKey", location="cookie", name="funddesk_staff")


@openapi.exclude()
async def openapi_document(request: WebRequest) -> HTTPResponse:
    """The OpenAPI document (sanic-ext builds it at start from the routes' definitions).

    sanic-ext's builder is a process-wide singleton, so another Sanic app started in the same
    process (the action server in tests) would leak its routes in: keep only ours.
    """
    document = SpecificationBuilder().build(request.app).serialize()  # type: ignore[no-untyped-call]
    document["paths"] = {path: item for path, item in document["paths"].items() if path.startswith("/api/v1/")}
    return json(document)

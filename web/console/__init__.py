"""The staff console: one page (``/console``) and its script and styles, over the staff JSON API.

``/console/console.js`` is the console's plain-JS files (``static/*.js``, in ``BUNDLE`` order)
wrapped in one function, so nothing becomes a global, after the widget's markdown renderer
(``vendor.js`` + ``markdown.js``: bot and staff answers look as the investor saw them). The page's
CSP allows only the service's own scripts and styles; an investor's message is always set as
text, and rendered markdown is sanitized by DOMPurify first. Everything is assembled when the
server starts, not at import time.
"""

from __future__ import annotations

from pathlib import Path

from sanic import Blueprint
from sanic.response import HTTPResponse
from sanic_ext import openapi

from web import assets, widget
from web.context import WebApp, WebRequest

STATIC = Path(__file__).resolve().parent / "static"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self' ws: wss:; "
    "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
# Staff must get a new console as soon as it is deployed: revalidate every time (ETag).
CACHE = "no-cache"

bp = Blueprint("console", url_prefix="/console")
__all__ = ["BUNDLE", "CSP", "bp", "bundle", "setup"]

# Helpers first, then the API client and live connection, the views, and the boot code last.
BUNDLE = (
    "dom.js",
    "api.js",
    "live.js",
    "queue.js",
    "incidents.js",
    "incident.js",
    "conversation.js",
    "composer.js",
    "admin.js",
    "console.js",
)


# The widget's markdown renderer, so bot and staff answers render exactly as in the widget.
SHARED = (widget.STATIC / "vendor.js", widget.STATIC / "markdown.js")


def bundle(static: Path = STATIC) -> bytes:
    return assets.bundle(static, [*SHARED, *BUNDLE], "FundDesk staff console", '"use strict";\n')


@bp.before_server_start
async def assemble(app: WebApp) -> None:
    app.ctx.console_assets = {
        "console.js": (bundle(), "text/javascript; charset=utf-8"),
        "console.css": ((STATIC / "console.css").read_bytes(), "text/css; charset=utf-8"),
        "index.html": ((STATIC / "index.html").read_bytes(), "text/html; charset=utf-8"),
    }


def _asset(request: WebRequest, name: str, extra: dict[str, str] | None = None) -> HTTPResponse:
    return assets.serve(request, request.app.ctx.console_assets, name, cache=CACHE, extra=extra)


@bp.get("")
async def page(request: WebRequest) -> HTTPResponse:
    """The console's single page; the script shows the login form or the queues."""
    return _asset(request, "index.html", {"Content-Security-Policy": CSP, "Referrer-Policy": "same-origin"})


@bp.get("/console.js")
async def console_js(request: WebRequest) -> HTTPResponse:
    return _asset(request, "console.js")


@bp.get("/console.css")
async def console_css(request: WebRequest) -> HTTPResponse:
    return _asset(request, "console.css")


def setup(app: WebApp) -> None:
    app.blueprint(bp)
    openapi.exclude(bp=bp)  # a page and its assets, not API (after registering: that fills bp.routes)

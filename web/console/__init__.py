"""The staff console: one page (``/console``) and its script and styles, over the staff JSON API.

``/console/console.js`` is the console's plain-JS files (``static/*.js``, in ``BUNDLE`` order)
wrapped in one function, so nothing becomes a global, after the widget's markdown renderer
(``vendor.js`` + ``markdown.js``: bot and staff answers look as the investor saw them) and the
reconnecting WebSocket and the JSON fetch the widget uses too (``web/static/``). The page's
CSP allows only the service's own scripts and styles; an investor's message is always set as
text, and rendered markdown is sanitized by DOMPurify first. ``/console/console.css`` is ``STYLES``
in order, one stylesheet. Everything is assembled when the server starts, not at import time.
"""

from __future__ import annotations

from pathlib import Path

from sanic import Blueprint
from sanic.response import HTTPResponse

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
__all__ = ["BUNDLE", "CSP", "STYLES", "bp", "bundle", "setup"]

# The words first, then the helpers, the API client and live connection, the views, and the boot code last.
BUNDLE = (
    "words_en.js",
    "words_zh.js",
    "strings.js",
    "dom.js",
    "route.js",
    "drafts.js",
    "api.js",
    "staff_live.js",
    "queue.js",
    "incidents.js",
    "incident.js",
    "conversation.js",
    "composer.js",
    "admin.js",
    "published_gaps.js",
    "analytics.js",
    "knowledge.js",
    "notify.js",
    "console.js",
)


# /console/console.css, in cascade order: the page (colours, login, header), the queues, the
# conversation and reply box, admin pages, incidents, notices, the analytics dashboard and knowledge base.
STYLES = (
    "page.css",
    "queues.css",
    "conversation.css",
    "admin.css",
    "incidents.css",
    "notices.css",
    "analytics.css",
)

# The widget's markdown renderer, so bot and staff answers render exactly as in the widget, the
# live connection's WebSocket and the JSON fetch.
SHARED = (widget.STATIC / "vendor.js", widget.STATIC / "markdown.js", assets.LIVE_JS, assets.HTTP_JS)


def bundle(static: Path = STATIC) -> bytes:
    return assets.bundle(static, [*SHARED, *BUNDLE], "FundDesk staff console", '"use strict";\n')


@bp.before_server_start
async def assemble(app: WebApp) -> None:
    app.ctx.console_assets = {
        "console.js": (bundle(), assets.TYPES[".js"]),
        "console.css": (assets.stylesheet(STATIC, STYLES), assets.TYPES[".css"]),
        **assets.files(STATIC, ["index.html"]),
    }


@bp.get("")
async def page(request: WebRequest) -> HTTPResponse:
    """The console's single page; the script shows the login form or the queues."""
    headers = {"Content-Security-Policy": CSP, "Referrer-Policy": "same-origin"}
    return assets.serve(request, request.app.ctx.console_assets, "index.html", cache=CACHE, extra=headers)


assets.add_routes(bp, lambda request: request.app.ctx.console_assets, ("console.js", "console.css"), cache=CACHE)


def setup(app: WebApp) -> None:
    assets.register(app, bp)

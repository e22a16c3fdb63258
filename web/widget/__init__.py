"""The embeddable chat widget (``/widget.js``, ``/widget.css``) and a demo fund-company page (``/``).

``/widget.js`` is one script: the vendored markdown renderer and sanitizer (``static/vendor.js``,
built by esbuild from ``package-lock.json``) and FundDesk's settings for them (``static/markdown.js``,
shared with the staff console), the widget's words (``static/strings.js``), its live
connection (``static/live.js``), the hand-off status line (``static/handoff.js``) and the widget
itself (``static/widget.js``, plain JS), wrapped in one function so nothing leaks into the host
page. It is assembled when the server starts, not at import time.
"""

from __future__ import annotations

from pathlib import Path

from sanic import Blueprint
from sanic.response import HTTPResponse, raw
from sanic_ext import openapi

from web import assets
from web.context import WebApp, WebRequest

STATIC = Path(__file__).resolve().parent / "static"
CACHE = "public, max-age=300"
DEMO_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

bp = Blueprint("widget")
__all__ = ["STATIC", "bp", "bundle", "setup"]


# In this order, inside one function: the vendored libraries and the markdown renderer, the words,
# the live connection, the hand-off status line, then the widget that uses them all.
BUNDLE = ("vendor.js", "markdown.js", "strings.js", "live.js", "handoff.js", "widget.js")


def bundle(static: Path = STATIC) -> bytes:
    return assets.bundle(static, BUNDLE, "FundDesk chat widget")


@bp.before_server_start
async def assemble(app: WebApp) -> None:
    app.ctx.widget_assets = {
        "widget.js": (bundle(), "text/javascript; charset=utf-8"),
        "widget.css": ((STATIC / "widget.css").read_bytes(), "text/css; charset=utf-8"),
        "demo.css": ((STATIC / "demo.css").read_bytes(), "text/css; charset=utf-8"),
    }
    app.ctx.demo_html = (STATIC / "demo.html").read_text(encoding="utf-8")


def _asset(request: WebRequest, name: str) -> HTTPResponse:
    return assets.serve(request, request.app.ctx.widget_assets, name, cache=CACHE)


@bp.get("/widget.js")
async def widget_js(request: WebRequest) -> HTTPResponse:
    return _asset(request, "widget.js")


@bp.get("/widget.css")
async def widget_css(request: WebRequest) -> HTTPResponse:
    return _asset(request, "widget.css")


@bp.get("/demo.css")
async def demo_css(request: WebRequest) -> HTTPResponse:
    return _asset(request, "demo.css")


@bp.get("/")
async def demo_page(request: WebRequest) -> HTTPResponse:
    """A fund company's page with the widget embedded; ``?lang=zh`` shows the Chinese widget."""
    lang = request.args.get("lang", "")
    page = request.app.ctx.demo_html
    attribute = f' data-lang="{lang}"' if lang in ("en", "zh") else ""
    html = page.replace("{{lang_attribute}}", attribute)
    headers = {"Content-Security-Policy": DEMO_CSP, "X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}
    return raw(html.encode("utf-8"), content_type="text/html; charset=utf-8", headers=headers)


def setup(app: WebApp) -> None:
    app.blueprint(bp)
    openapi.exclude(bp=bp)  # pages and assets, not API (after registering: that fills bp.routes)

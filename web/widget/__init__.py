"""The embeddable chat widget (``/widget.js``, ``/widget.css``) and a demo fund-company page (``/``).

``/widget.css`` is ``STYLES`` in order, one stylesheet.

``/widget.js`` is one script: the vendored markdown renderer and sanitizer (``static/vendor.js``,
built by esbuild from ``package-lock.json``) and FundDesk's settings for them (``static/markdown.js``,
shared with the staff console), the widget's words (``static/strings.js``), its live connection
and JSON fetch (``web/static/live.js``, ``web/static/http.js``, shared with the console), the
hand-off status line (``static/handoff.js``), the conversation's API (``static/conversation.js``),
its elements (``static/panel.js``), the message log (``static/messages.js``) and the widget that
ties them together (``static/widget.js``), plain JS wrapped in one function so nothing leaks into
the host page. It is assembled when the server starts, not at import time.
"""

from __future__ import annotations

from pathlib import Path

from sanic import Blueprint
from sanic.response import HTTPResponse, raw

from web import assets, security
from web.context import WebApp, WebRequest

STATIC = Path(__file__).resolve().parent / "static"
CACHE = "public, max-age=300"
DEMO_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; base-uri 'none'; form-action 'none'; frame-ancestors {ancestors}"
)  # ancestors: the fund company's pages that may frame it (FUNDDESK_WIDGET_FRAME_ANCESTORS)

bp = Blueprint("widget")
__all__ = ["STATIC", "bp", "bundle", "setup"]


# In this order, inside one function: the vendored libraries and the markdown renderer, the words,
# the live connection and the JSON fetch, the hand-off status line, the conversation's API, the
# elements, the message log, then the widget that ties them together.
BUNDLE = (
    "vendor.js",
    "markdown.js",
    "strings.js",
    assets.LIVE_JS,
    assets.HTTP_JS,
    "handoff.js",
    "conversation.js",
    "panel.js",
    "messages.js",
    "widget.js",
)
# /widget.css, linked in the widget's shadow root: the launcher and panel, the log, the form (and phones).
STYLES = ("panel.css", "messages.css", "form.css")


def bundle(static: Path = STATIC) -> bytes:
    return assets.bundle(static, BUNDLE, "FundDesk chat widget")


@bp.before_server_start
async def assemble(app: WebApp) -> None:
    app.ctx.widget_assets = {
        "widget.js": (bundle(), assets.TYPES[".js"]),
        "widget.css": (assets.stylesheet(STATIC, STYLES), assets.TYPES[".css"]),
        **assets.files(STATIC, ["demo.css"]),
    }
    app.ctx.demo_html = (STATIC / "demo.html").read_text(encoding="utf-8")


assets.add_routes(
    bp, lambda request: request.app.ctx.widget_assets, ("widget.js", "widget.css", "demo.css"), cache=CACHE
)


@bp.get("/")
async def demo_page(request: WebRequest) -> HTTPResponse:
    """A fund company's page with the widget embedded; ``?lang=zh`` shows the Chinese widget."""
    lang = request.args.get("lang", "")
    page = request.app.ctx.demo_html
    attribute = f' data-lang="{lang}"' if lang in ("en", "zh") else ""
    html = page.replace("{{lang_attribute}}", attribute)
    csp = DEMO_CSP.format(ancestors=security.frame_ancestors(request.app.ctx.settings.widget_frame_ancestors))
    headers = {"Content-Security-Policy": csp, "X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}
    return raw(html.encode("utf-8"), content_type="text/html; charset=utf-8", headers=headers)


def setup(app: WebApp) -> None:
    assets.register(app, bp)

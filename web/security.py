"""Security headers on every response of the web service.

- ``Strict-Transport-Security`` when the request came over TLS: directly, or through a trusted
  proxy's ``X-Forwarded-Proto: https`` (trusted only with ``web_proxies_count`` ≥ 1, as for the
  client address), so a plain-HTTP development server never pins browsers to HTTPS.
- ``X-Content-Type-Options: nosniff`` everywhere.
- ``frame-ancestors``: the staff console may never be framed (its CSP says ``'none'``, with no
  ``unsafe-inline`` anywhere); the investor-facing pages may be framed by the fund company's own
  pages, ``widget_frame_ancestors`` (see :func:`frame_ancestors`), and JSON answers carry the same.
"""

from __future__ import annotations

import re

from sanic.response import BaseHTTPResponse

from web.context import WebApp, WebRequest

HSTS = "max-age=31536000"  # a year; subdomains are the operator's to decide, so not included
# A CSP source list: keywords and origins separated by spaces, nothing that ends the directive.
_SOURCES = re.compile(r"^[A-Za-z0-9*'\-:/.\s]+$")


def frame_ancestors(configured: str) -> str:
    """The ``frame-ancestors`` source list from the setting, or an error naming the setting."""
    value = " ".join(configured.split())
    if not value or not _SOURCES.match(value):
        raise ValueError(
            f"FUNDDESK_WIDGET_FRAME_ANCESTORS={configured!r}: expected CSP sources separated by spaces, "
            'e.g. "https://www.example-fund.com" or "\'none\'"'
        )
    return value


def over_tls(request: WebRequest) -> bool:
    return request.scheme in ("https", "wss")


def install(app: WebApp) -> None:
    ancestors = frame_ancestors(app.ctx.settings.widget_frame_ancestors)

    async def add_headers(request: WebRequest, response: BaseHTTPResponse) -> None:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        if "content-security-policy" not in headers:
            headers["Content-Security-Policy"] = f"frame-ancestors {ancestors}"
        if over_tls(request):
            headers.setdefault("Strict-Transport-Security", HSTS)

    app.register_middleware(add_headers, "response")

"""Static assets assembled at start-up and served with an ETag (the widget's and the console's).

``static/`` holds the scripts both pages bundle: ``live.js``, the one reconnecting WebSocket client, and
``http.js``, the one fetch of a JSON request.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

from sanic import Blueprint
from sanic.response import HTTPResponse, raw
from sanic_ext import openapi

from web.context import WebApp, WebRequest

Assets = dict[str, tuple[bytes, str]]  # name -> (body, content type)
Store = Callable[[WebRequest], Assets]  # where a page keeps its assembled assets (on app.ctx)
SHARED = Path(__file__).resolve().parent / "static"
LIVE_JS = SHARED / "live.js"  # LiveSocket, in both /widget.js and /console/console.js
HTTP_JS = SHARED / "http.js"  # sendJson, the one fetch of a JSON request, in both too


def bundle(static: Path, names: Sequence[str | Path], banner: str, prologue: str = "") -> bytes:
    """Plain-JS files (relative to ``static``, or absolute) concatenated inside one function, so
    nothing leaks into the page's globals."""
    parts = b"\n".join((static / name).read_bytes() for name in names)
    return f"/* {banner} */\n(function () {{\n{prologue}".encode() + parts + b"\n})();\n"


TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
}


def stylesheet(static: Path, names: Sequence[str]) -> bytes:
    """One stylesheet of these parts, in this order: later parts win the cascade, as they would further
    down one file."""
    return b"\n".join((static / name).read_bytes() for name in names)


def files(static: Path, names: Sequence[str]) -> Assets:
    """These files of ``static``, as they are, with their content types."""
    return {name: ((static / name).read_bytes(), TYPES[Path(name).suffix]) for name in names}


def serve(
    request: WebRequest, assets: Assets, name: str, *, cache: str, extra: dict[str, str] | None = None
) -> HTTPResponse:
    body, content_type = assets[name]
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"Cache-Control": cache, "ETag": etag, "X-Content-Type-Options": "nosniff", **(extra or {})}
    if request.headers.get("if-none-match") == etag:
        return raw(b"", status=304, headers=headers)
    return raw(body, content_type=content_type, headers=headers)


def add_routes(bp: Blueprint, store: Store, names: Sequence[str], *, cache: str) -> None:
    """A GET ``/<name>`` route on ``bp`` for each asset, served from ``store`` with an ETag."""
    for name in names:

        async def asset(request: WebRequest, name: str = name) -> HTTPResponse:
            return serve(request, store(request), name, cache=cache)

        bp.add_route(asset, f"/{name}", methods=["GET"], name=name.replace(".", "_"))


def register(app: WebApp, bp: Blueprint) -> None:
    """A page's blueprint, left out of the API's OpenAPI document: pages and assets are no API."""
    app.blueprint(bp)
    openapi.exclude(bp=bp)  # after registering: that fills bp.routes

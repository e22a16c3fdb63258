"""Static assets assembled at start-up and served with an ETag (the widget's and the console's)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from sanic.response import HTTPResponse, raw

from web.context import WebRequest

Assets = dict[str, tuple[bytes, str]]  # name -> (body, content type)


def bundle(static: Path, names: Sequence[str | Path], banner: str, prologue: str = "") -> bytes:
    """Plain-JS files (relative to ``static``, or absolute) concatenated inside one function, so
    nothing leaks into the page's globals."""
    parts = b"\n".join((static / name).read_bytes() for name in names)
    return f"/* {banner} */\n(function () {{\n{prologue}".encode() + parts + b"\n})();\n"


def serve(
    request: WebRequest, assets: Assets, name: str, *, cache: str, extra: dict[str, str] | None = None
) -> HTTPResponse:
    body, content_type = assets[name]
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"Cache-Control": cache, "ETag": etag, "X-Content-Type-Options": "nosniff", **(extra or {})}
    if request.headers.get("if-none-match") == etag:
        return raw(b"", status=304, headers=headers)
    return raw(body, content_type=content_type, headers=headers)

"""What no string in a request body may hold: control characters and lone surrogates.

JSON can carry both (``"\\u0000"``, ``"\\ud800"``), but PostgreSQL refuses NUL in text, a lone
surrogate cannot be encoded to UTF-8 at all, and neither is anything an investor or a member of
staff types. Checked on every value a parser reads from a body (keys it ignores stay ignored) before anything
is stored, and on every request's path and query (:func:`install`): a path holding one names
nothing (404), a query holding one is a 400, never a database error. So does a path id no
32-bit id column can hold (``/incidents/99999999999999999999``).
Tabs and line breaks are text; emoji, every script and every other printable character are welcome.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, unquote_plus

from sanic import Request, Sanic

from web.errors import BadRequest, NotFound

ALLOWED_CONTROLS = "\t\n\r"
ROW_IDS = range(-(2**31), 2**31)  # every id column is a 32-bit integer (PostgreSQL's ``integer``)
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def forbidden_character(value: str) -> str | None:
    """The first character of ``value`` that no text may hold, or None."""
    found = _FORBIDDEN.search(value)
    return found.group() if found else None


def check_strings(value: Any) -> None:
    """Raise :class:`BadRequest` (``invalid_characters``) if any string in ``value`` holds a forbidden character."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            bad = forbidden_character(item)
            if bad is not None:
                raise BadRequest(
                    f"The request holds a control character or an unpaired surrogate (U+{ord(bad):04X}).",
                    code="invalid_characters",
                )
        elif isinstance(item, dict):
            pending += [*item.keys(), *item.values()]
        elif isinstance(item, list):
            pending += item


def install(app: Sanic[Any, Any]) -> None:
    """Check every request's path and query string, whatever route it is for."""
    app.register_middleware(_check_address, "request", priority=100)  # before any route's own, e.g. staff auth


async def _check_address(request: Request) -> None:
    if forbidden_character(unquote(request.path)) is not None:
        raise NotFound("No such resource.", code="not_found")
    if any(isinstance(v, int) and v not in ROW_IDS for v in request.match_info.values()):
        raise NotFound("No such resource.", code="not_found")  # an id no row can have, not a database error
    check_strings(unquote_plus(request.query_string))

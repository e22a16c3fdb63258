"""Request-body schemas for the OpenAPI document that say what the parsers accept, no more, no less.

sanic-ext documents a dataclass as bare properties: nothing required, no bounds. Here a body
dataclass's fields carry their rules (:func:`rule`), and :func:`body_schema` writes the object with
``required``, lengths, ranges and patterns, so every request the document allows passes
``web.api.payloads`` and ``web.api.staff.payloads`` (schemathesis checks it:
tests/web/test_openapi_conformance.py). Unknown keys are ignored by the server, and documented so.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, get_type_hints

from sanic_ext.extensions.openapi.types import Object, Schema, String

# A string the parsers take as text: no control character (web.api.characters), not only spaces.
_CONTROLS = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f"
PLAIN = rf"^[^{_CONTROLS}]*$"
NON_BLANK = rf"^[^{_CONTROLS}]*[^{_CONTROLS}\s][^{_CONTROLS}]*$"


def rule(*, optional: bool = False, schema: Schema | None = None, **constraints: Any) -> dict[str, Any]:
    """A field's rules, as ``field(metadata=rule(...))``: JSON-Schema ``constraints`` (``maxLength=64``),
    ``optional`` (may be left out), or a whole ``schema`` for what a type cannot say."""
    return {"optional": optional, "schema": schema, "openapi": constraints}


def text(limit: int, *, optional: bool = False) -> dict[str, Any]:
    """A non-blank string of at most ``limit`` characters, as ``payloads.text`` accepts."""
    return rule(optional=optional, minLength=1, maxLength=limit, pattern=NON_BLANK)


def schema(**keywords: Any) -> Schema:
    """A schema written out (``oneOf``, ``enum``...), where no Python type says it."""
    return Schema(**keywords)  # type: ignore[no-untyped-call]


def string(**constraints: Any) -> Schema:
    return String(**constraints)  # type: ignore[no-untyped-call]


def body_schema(cls: type) -> Object:
    """The request-body schema of the dataclass ``cls``: its fields, which are required, their rules."""
    hints = get_type_hints(cls)
    properties: dict[str, Schema] = {}
    required: list[str] = []
    for field in fields(cls):
        meta = field.metadata
        made = meta.get("schema") or Schema.make(hints[field.name], **meta.get("openapi", {}))  # type: ignore[no-untyped-call]
        properties[field.name] = made
        if not meta.get("optional"):
            required.append(field.name)
    extra: dict[str, Any] = {"required": required} if required else {}
    return Object(properties, title=cls.__name__, additionalProperties=True, **extra)

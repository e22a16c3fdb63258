"""The investor API's responses are written once, as the TypedDicts the views build; the OpenAPI
schemas are derived from them (``web.api.payloads.documented``), and the document they make is the
contract, byte for byte: ``investor_response_schemas.json`` is what it said before the derivation.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints, is_typeddict

import pytest

from tests.web.conftest import Api
from web import errors, events
from web.api import payloads

GOLDEN = Path(__file__).with_name("investor_response_schemas.json")

# (documented schema, what the views build)
PAIRS: list[tuple[type, type]] = [
    (payloads.ConversationCreated, payloads.ConversationCreatedJson),
    (payloads.Messages, payloads.MessagesJson),
    (payloads.MessageSchema, events.MessageOut),
    (payloads.Button, events.ButtonOut),
    (payloads.QueueSchema, events.QueueJson),
    (payloads.Error, errors.ErrorBody),
    (payloads.ErrorDetailSchema, errors.ErrorDetail),
]
SAME = {schema: shape for schema, shape in PAIRS}
# Keys sent only in some answers and, so far, left out of the document (adding one is a decision).
# An error's ``problems`` are only a refused FAQ draft's (staff); the investor API's error is as its contract says.
UNDOCUMENTED: dict[type, set[str]] = {events.MessageOut: {"payload", "author"}, errors.ErrorDetail: {"problems"}}


def _normal(hint: Any) -> Any:
    """A type as JSON sees it: a StrEnum is a string, a documented schema is its TypedDict."""
    origin = get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return frozenset(_normal(arg) for arg in get_args(hint))
    if origin is not None:
        return (origin, *(_normal(arg) for arg in get_args(hint)))
    if isinstance(hint, type) and issubclass(hint, enum.StrEnum):
        return str
    return SAME.get(hint, hint)


def _documented(schema: type) -> dict[str, Any]:
    hints = get_type_hints(schema)
    return {field.name: _normal(hints[field.name]) for field in dataclasses.fields(schema)}


def _built(shape: type) -> dict[str, Any]:
    hints = get_type_hints(shape)  # NotRequired[...] unwrapped
    return {key: _normal(hint) for key, hint in hints.items() if key not in UNDOCUMENTED.get(shape, set())}


@pytest.mark.parametrize(("schema", "shape"), PAIRS, ids=[schema.__name__ for schema, _ in PAIRS])
def test_each_documented_schema_has_the_keys_and_types_the_views_send(schema: type, shape: type) -> None:
    assert dataclasses.is_dataclass(schema) and is_typeddict(shape)
    documented, built = _documented(schema), _built(shape)
    assert list(documented) == list(built)  # same keys, in the same order
    for key, hint in documented.items():
        optional = key in _optional_keys(shape)
        # A key the views may leave out is documented as nullable (``X | None = None``) instead.
        expected = frozenset({built[key], type(None)}) if optional else built[key]
        assert hint == expected, (schema.__name__, key)


def test_every_key_left_out_of_the_document_is_an_optional_one() -> None:
    for shape, keys in UNDOCUMENTED.items():
        assert keys <= _optional_keys(shape)


def _optional_keys(shape: type) -> set[str]:
    """Keys marked ``NotRequired`` (``__optional_keys__`` misses them under postponed annotations)."""
    hints = get_type_hints(shape, include_extras=True)
    return {key for key, hint in hints.items() if get_origin(hint) is typing.NotRequired}


def test_the_document_describes_the_investor_responses_exactly_as_the_contract_says(api: Api) -> None:
    paths = api.request("get", "/api/v1/openapi.json").json()["paths"]
    messages = paths["/api/v1/conversations/{conversation_id}/messages"]
    created = paths["/api/v1/conversations"]["post"]["responses"]

    def schema(response: dict[str, Any]) -> Any:
        return response["content"]["application/json"]["schema"]

    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert schema(messages["post"]["responses"]["200"]) == schema(messages["get"]["responses"]["200"])
    assert json.dumps(schema(messages["post"]["responses"]["200"])) == json.dumps(golden["messages"])  # key order too
    assert json.dumps(schema(created["201"])) == json.dumps(golden["created"])
    assert json.dumps(schema(messages["post"]["responses"]["400"])) == json.dumps(golden["error"])

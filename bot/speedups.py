"""Two per-message costs of Rasa 3.6 that repeat work whose answer never changes, done once.

Runs inside Rasa's own environment (``.venv-rasa``, Python 3.10): :mod:`bot.serve` applies them
before ``rasa run``. A py-spy profile of Rasa answering 8 clients in 8-question conversations
(README: Reliability, throughput) found a fifth of its CPU in two such places:

- ``RemoteAction._validate_action_result`` calls ``jsonschema.validate``, which checks the constant
  response schema itself against the JSON Schema meta-schema before every action reply (11.5 %).
  Here the schema is checked once and its validator kept; replies are validated exactly as before,
  with the same error.
- ``Event.resolve_by_type`` walks every ``Event`` subclass, recursively, for each event it reads
  (9.5 %): Rasa re-reads a conversation's events on every turn. Here a name found once is
  remembered; a name not found yet is looked up as before, so events defined later still resolve.

Both rely on Rasa internals, so they apply only to the version they were written for; any other
version runs unchanged, with a warning.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)

RASA_VERSION = "3.6.21"


def apply() -> bool:
    """Patch the running Rasa; False (and a warning) when it is not the version these fit."""
    import rasa

    if rasa.__version__ != RASA_VERSION:
        log.warning("bot.speedups: written for Rasa %s, found %s; running it unchanged", RASA_VERSION, rasa.__version__)
        return False
    _validate_with_one_validator()
    _remember_event_types()
    return True


def _validate_with_one_validator() -> None:
    from jsonschema import ValidationError, validators
    from jsonschema.exceptions import best_match
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    schema = RemoteAction.action_response_format_spec()
    kind = validators.validator_for(schema)
    kind.check_schema(schema)  # what jsonschema.validate does on every call, once
    validator = kind(schema)

    def _validate_action_result(self: Any, result: dict[str, Any]) -> bool:
        error: ValidationError | None = best_match(validator.iter_errors(result))
        if error is None:
            return True
        error.message += (  # Rasa's own wording
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error

    RemoteAction._validate_action_result = _validate_action_result


def _remember_event_types() -> None:
    from rasa.shared.core.events import Event

    original = Event.resolve_by_type
    found: dict[str, type[Event]] = {}

    def resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
        known = found.get(type_name)
        if known is not None:
            return known
        resolved = original(type_name, default)
        # Only a class whose own name it is: a default stands in for an unknown name and is not remembered.
        if resolved is not None and getattr(resolved, "type_name", None) == type_name:
            found[type_name] = resolved
        return resolved

    Event.resolve_by_type = staticmethod(resolve_by_type)

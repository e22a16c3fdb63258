"""What the staff side refuses, and why. The web boundary (``web.errors``) answers each with its status.

EscalationError
 ├── Invalid        400: a bad value (unknown team, weak password, ...)
 ├── NotAllowed     403: the wrong role or team
 ├── Missing        404: no such conversation, hand-off, user, team
 └── Conflict       409: the state moved on (someone else claimed it, already resolved)
"""

from __future__ import annotations

from typing import Any, ClassVar


class EscalationError(Exception):
    status: ClassVar[int] = 400
    default_code: ClassVar[str] = "invalid"

    def __init__(self, message: str, *, code: str | None = None, problems: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.problems = problems  # each part of the refusal on its own (an FAQ draft's: line, code, messages)


class Invalid(EscalationError):
    status, default_code = 400, "invalid"


class NotAllowed(EscalationError):
    status, default_code = 403, "forbidden"


class Missing(EscalationError):
    status, default_code = 404, "not_found"


class Conflict(EscalationError):
    status, default_code = 409, "conflict"

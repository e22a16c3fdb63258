"""Reading back state that another release saved.

A release that records something new (a key in an incident's evidence, a field of a series' state) writes it into the
state file and the database snapshot. Should the deployment roll back, the release before must still read that state,
or its detector starts afresh and forgets every series' baseline: so a stored record keeps the fields this release
knows and drops the rest. A field this release needs and the stored record lacks is still an error.
"""

from __future__ import annotations

import dataclasses
from typing import Any


def known_fields(record: type[Any], stored: dict[str, Any]) -> dict[str, Any]:
    """The items of ``stored`` that name a field of the dataclass ``record``."""
    names = {field.name for field in dataclasses.fields(record)}
    return {key: value for key, value in stored.items() if key in names}

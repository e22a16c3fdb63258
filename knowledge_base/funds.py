"""The funds file (``knowledge_base/funds.yml``): each fund's 6-digit code and its names.

The matcher reads it to recognise a fund named in a question, the action server to show a
fund's name, and the bot's build to generate its lookup table (:mod:`bot.tooling.fund_lookup`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from funddesk.text import is_fund_code


@dataclass(frozen=True)
class Fund:
    code: str
    names: tuple[str, ...]


def read_funds(path: Path) -> list[Fund]:
    """The funds of a funds file; a missing file means no funds (the bot still works)."""
    if not path.is_file():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    funds = []
    for item in data.get("funds") or []:
        code = str(item.get("code", "")).strip()
        if not is_fund_code(code):
            raise ValueError(f"{path}: fund code {code!r} is not 6 digits")
        names = tuple(str(n).strip() for n in item.get("names") or [] if str(n).strip())
        funds.append(Fund(code, names))
    return funds


def display_names(funds: list[Fund]) -> dict[str, str]:
    """Each fund's first name, for showing it next to a fund-scoped question."""
    return {f.code: f.names[0] for f in funds if f.names}

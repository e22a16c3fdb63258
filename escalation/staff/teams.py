"""Teams from the teams file, and routing a hand-off to one of their queues.

Routing order: the team that owns the last matched FAQ entry, else the team of the
fund the investor asked about (funds.yml), else the default queue. A team name that is not
configured is never a dead end: the hand-off goes to the default queue.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


class BadTeamsFile(ValueError):
    pass


@dataclass(frozen=True)
class TeamConfig:
    id: str
    name: str
    sla_seconds: int = 120


def load_teams(path: Path) -> list[TeamConfig]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise BadTeamsFile(f"{path}: {exc}") from exc
    rows = data.get("teams") if isinstance(data, dict) else None
    if not isinstance(rows, list) or not rows:
        raise BadTeamsFile(f"{path}: expected a 'teams:' list")
    teams: list[TeamConfig] = []
    for number, row in enumerate(rows, 1):
        where = f"{path}: team {number}"
        if not isinstance(row, dict) or not isinstance(row.get("id"), str) or not _SLUG.match(row["id"]):
            raise BadTeamsFile(f"{where}: needs an id of lowercase letters, digits and '-'")
        sla = row.get("sla_seconds", 120)
        if not isinstance(sla, int) or sla <= 0:
            raise BadTeamsFile(f"{where} ({row['id']}): sla_seconds must be a positive whole number")
        teams.append(TeamConfig(row["id"], str(row.get("name") or row["id"]), sla))
    duplicates = {t.id for t in teams if sum(u.id == t.id for u in teams) > 1}
    if duplicates:
        raise BadTeamsFile(f"{path}: team ids listed twice: {', '.join(sorted(duplicates))}")
    return teams


def load_fund_teams(funds_file: Path) -> dict[str, str]:
    """Fund code -> owning team, from funds.yml (funds without a team are left out)."""
    try:
        data = yaml.safe_load(funds_file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return {}
    funds = data.get("funds") if isinstance(data, dict) else None
    return {
        str(f["code"]): str(f["team"]) for f in funds or () if isinstance(f, dict) and f.get("code") and f.get("team")
    }


@dataclass(frozen=True)
class Router:
    known: frozenset[str]
    fund_teams: Mapping[str, str]
    default: str

    def route(self, *, entry_team: str | None, fund_code: str | None) -> str:
        for team in (entry_team, self.fund_teams.get(fund_code or "")):
            if team and team in self.known:
                return team
        return self.default

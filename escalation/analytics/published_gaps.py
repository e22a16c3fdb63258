"""The FAQ files a team published from knowledge gaps, and taking one back.

A published gap is one file in the published folder's ``gaps/`` (:mod:`escalation.analytics.drafts`). Taking it back
removes that file: the knowledge base's reloader drops its entries within a second, as it would for a file deleted
from ``kb_dir``, and the bot falls back where it answered from it. The file's text, the team's written answer, becomes
the gap's draft again (``drafts.draft_path``), to be edited and published anew. A lead sees and takes back only the
files that answer for their own teams; an admin, every file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from escalation.analytics.drafts import FOLDER, ID_RE, published_name, save_draft, teams_of
from escalation.staff import access
from escalation.staff.errors import Missing
from funddesk.db import StaffUser
from funddesk.settings import Settings
from knowledge_base import published
from knowledge_base.parser import parse_file, parse_text


@dataclass(frozen=True)
class PublishedGap:
    entry_id: str  # the draft's id, which names the file
    path: Path
    entries: list[str]  # the ids the file serves (the team may have changed them from the draft's)
    published_at: datetime  # when the file was last written
    teams: list[str]  # the teams it answers for (none when its front matter names none)

    def as_json(self) -> dict[str, object]:
        return {
            "entry_id": self.entry_id,
            "path": str(self.path),
            "entries": self.entries,
            "published_at": self.published_at.isoformat().replace("+00:00", "Z"),
            "teams": self.teams,
        }


def published_gaps(settings: Settings, user: StaffUser | None = None) -> list[PublishedGap]:
    """Every FAQ file published from a knowledge gap (for ``user``: those of their teams), the most recent first."""
    folder = published.published_dir(settings) / FOLDER
    if not folder.is_dir():
        return []
    read = (_read(settings, file) for file in folder.glob("*.md") if ID_RE.fullmatch(file.stem))
    found = [gap for gap in read if gap is not None]
    if user is not None:
        found = [gap for gap in found if access.owns_teams(user, gap.teams)]
    return sorted(found, key=lambda gap: (gap.published_at, gap.entry_id), reverse=True)


def unpublish(settings: Settings, entry: str, user: StaffUser | None = None) -> tuple[Path, list[str]]:
    """Remove the published file of ``entry`` and keep its text as the gap's draft; where the draft is, and the teams
    the file answered for. ``user`` may take back only a file of their own teams (None: the service)."""
    name = published_name(entry)
    nothing = Missing(f"Nothing is published as {entry!r}.", code="not_published")
    if not ID_RE.fullmatch(entry):  # not a gap's id: nothing is published under it
        raise nothing
    try:
        # undecodable bytes (a hand edit) must not keep the file from being taken back
        text = published.entry_path(settings, name).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise nothing from None
    teams = teams_of(parse_text(text, published.PREFIX + name).entries)
    if user is not None:
        access.require_teams(user, teams, f"The published {entry}")
    # The draft first: should removing fail, the answer is still published, never lost.
    draft = save_draft(settings, entry, text)
    if not published.remove_entry_file(settings, name):
        raise nothing
    return draft, teams


def _read(settings: Settings, file: Path) -> PublishedGap | None:
    """The file as published, or None once it is gone: taken back by another request since the folder was listed."""
    try:
        written = datetime.fromtimestamp(file.stat().st_mtime, UTC)
    except FileNotFoundError:
        return None
    parsed = parse_file(file, published.published_dir(settings), prefix=published.PREFIX)
    if any(p.code == "unreadable" for p in parsed.problems) and not file.exists():
        return None
    return PublishedGap(file.stem, file, [e.id for e in parsed.entries], written, teams_of(parsed.entries))

"""The FAQ files a team published from knowledge gaps, and taking one back.

A published gap is one file in the published folder's ``gaps/`` (:mod:`escalation.analytics.drafts`). Taking it back
removes that file: the knowledge base's reloader drops its entries within a second, as it would for a file deleted
from ``kb_dir``, and the bot falls back where it answered from it. The draft is not restored: the gap, if investors
still ask, shows on the dashboard again and can be drafted anew.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from escalation.analytics.drafts import FOLDER, ID_RE, published_name
from escalation.staff.errors import Missing
from funddesk.settings import Settings
from knowledge_base import published
from knowledge_base.parser import parse_file


@dataclass(frozen=True)
class PublishedGap:
    entry_id: str  # the draft's id, which names the file
    path: Path
    entries: list[str]  # the ids the file serves (the team may have changed them from the draft's)
    published_at: datetime  # when the file was last written

    def as_json(self) -> dict[str, object]:
        return {
            "entry_id": self.entry_id,
            "path": str(self.path),
            "entries": self.entries,
            "published_at": self.published_at.isoformat().replace("+00:00", "Z"),
        }


def published_gaps(settings: Settings) -> list[PublishedGap]:
    """Every FAQ file published from a knowledge gap, the most recent first."""
    root = published.published_dir(settings)
    folder = root / FOLDER
    if not folder.is_dir():
        return []
    found = []
    for file in folder.glob("*.md"):
        if not ID_RE.fullmatch(file.stem):
            continue
        parsed = parse_file(file, root, prefix=published.PREFIX)
        written = datetime.fromtimestamp(file.stat().st_mtime, UTC)
        found.append(PublishedGap(file.stem, file, [e.id for e in parsed.entries], written))
    return sorted(found, key=lambda gap: (gap.published_at, gap.entry_id), reverse=True)


def unpublish(settings: Settings, entry: str) -> None:
    """Remove the published file of ``entry`` (no gap's id names none)."""
    if not ID_RE.fullmatch(entry) or not published.remove_entry_file(settings, published_name(entry)):
        raise Missing(f"Nothing is published as {entry!r}.", code="not_published")

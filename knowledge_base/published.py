"""The folder of answers published from the running service (incident answers, FAQ drafts).

They are FAQ markdown in the exact format of ``kb_dir``, but they are runtime state, not the fund
teams' files: they live under ``data_dir`` (untracked), and the knowledge base loads this folder
alongside ``kb_dir``, hot-reloaded the same way. In the index, in lint and in the logs their
names start with ``PREFIX``: no file of ``kb_dir`` can (names starting with ``_`` are not read
there), so a message always says which folder a file is in.
"""

from __future__ import annotations

import os
from pathlib import Path

from funddesk.settings import Settings

PREFIX = "_published/"


def published_dir(settings: Settings) -> Path:
    return settings.published_dir or settings.data_dir / "published"


def entry_path(settings: Settings, name: str) -> Path:
    """Where the published file ``name`` (a relative path such as ``incidents/incident-7.md``) lives."""
    root = published_dir(settings)
    target = (root / name).resolve()
    if not name.endswith(".md") or not target.is_relative_to(root.resolve()):
        raise ValueError(f"not a markdown file inside the published folder: {name!r}")
    return root / name


def write_entry_file(settings: Settings, name: str, markdown: str) -> Path:
    """Write ``markdown`` as the published file ``name`` atomically: the reloader never sees half a file."""
    target = entry_path(settings, name)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name("." + target.name + ".tmp")  # dot files are never read as FAQ
    partial.write_text(markdown, encoding="utf-8")
    os.replace(partial, target)
    return target


def remove_entry_file(settings: Settings, name: str) -> bool:
    target = entry_path(settings, name)
    if not target.exists():
        return False
    target.unlink()
    return True

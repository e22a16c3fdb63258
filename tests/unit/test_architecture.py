"""README's architecture section names every package and points only at files that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
README = PROJECT / "README.md"
SKIP = {".venv", ".venv-rasa", "var", "node_modules", "tests", ".git"}
# What a newcomer looks for first; each must have a row of the section's "where to find" table.
CONCERNS = (
    "FAQ parsing",
    "matching",
    "decision",
    "dialog replies",
    "actions",
    "investor API",
    "widget",
    "staff console",
    "hand-off state machine",
    "clustering",
    "spike detector",
    "incidents",
    "models",
    "migrations",
    "launcher",
)


def section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("\n## Architecture\n")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def packages() -> list[str]:
    found = []
    for init in PROJECT.rglob("__init__.py"):
        relative = init.parent.relative_to(PROJECT)
        if not SKIP.intersection(relative.parts):
            found.append(relative.as_posix() + "/")
    return sorted(found)


@pytest.mark.parametrize("package", packages())
def test_every_package_has_a_row_with_its_purpose(package: str) -> None:
    assert re.search(rf"^\| `{re.escape(package)}` \| .+ \|$", section(), re.M), f"no row for {package}"


def test_every_path_the_section_names_exists() -> None:
    """A name in a package's row may be relative to that package (`text.py` in `funddesk/`)."""
    missing, named = [], 0
    for line in section().splitlines():
        row = re.match(r"^\| `([\w./-]+/)` \|", line)
        base = PROJECT / row.group(1) if row else PROJECT
        for path in re.findall(r"`([\w./-]+(?:/|\.py|\.yml|\.md|\.js|\.json))`", line):
            named += 1
            if path.startswith("var/"):  # written at run time (the data folder), not part of the tree
                continue
            if not (PROJECT / path).exists() and not (base / path).exists():
                missing.append(path)
    assert named, "the section names no paths"
    assert not missing, f"README names paths that do not exist: {missing}"


@pytest.mark.parametrize("concern", CONCERNS)
def test_a_newcomer_finds_each_concern_by_name(concern: str) -> None:
    row = re.search(rf"^\| {re.escape(concern)} \| (.+) \|$", section(), re.M)
    assert row, f"no row for {concern!r} in the 'where to find' table"
    assert re.search(r"`[\w./-]+`", row.group(1)), f"the row for {concern!r} names no file"

"""A knowledge gap as a draft FAQ file, and publishing the draft once the team has written the answer.

The draft is one file in the exact FAQ format: the team's front matter, the gap's most central question as
the heading, the other questions as alternative phrasings, and an empty answer. A YAML comment in the front
matter says what to write; lint reports "empty answer" until someone does, so an unwritten draft can never
be published. Drafts live in ``<data_dir>/drafts``; a published one goes to the published folder
(``knowledge_base.published``), which the knowledge base serves and hot-reloads like ``kb_dir``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml

from escalation.analytics.gaps import Gap
from escalation.staff import access
from escalation.staff.errors import Invalid
from escalation.staff.teams import load_teams
from funddesk.db import StaffUser
from funddesk.settings import Settings
from knowledge_base import published
from knowledge_base.entries import Entry, Problem
from knowledge_base.lint import check_ids_across, discover
from knowledge_base.parser import parse_file, parse_text, phrasing_key
from knowledge_base.problem_words import messages

DRAFTS = "drafts"
FOLDER = "gaps"  # inside the published folder
MAX_PHRASINGS = 20
ID_RE = re.compile(r"gap-[a-z0-9-]+")  # fullmatch: "$" would let a trailing newline through


def entry_id(gap: Gap) -> str:
    return f"gap-{re.sub(r'[^a-z0-9-]', '-', gap.id.removeprefix('gap-').lower())}"


def render(gap: Gap, team: str) -> str:
    """The draft FAQ file of ``gap`` for ``team`` (see the module text)."""
    [question, *others] = [_one_line(s) for s in gap.samples] or [gap.id]
    lang = max(gap.lang_counts, key=lambda k: (gap.lang_counts[k], k)) if gap.lang_counts else "en"
    front: dict[str, object] = {"team": team, "lang": lang if lang in ("en", "zh") else "en", "tags": ["gap"]}
    if gap.all_funded and gap.funds:
        front["funds"] = list(gap.funds)
    kept = {phrasing_key(question): question}
    for phrasing in others:
        if phrasing:
            kept.setdefault(phrasing_key(phrasing), phrasing)
    note = (
        f"# Draft from knowledge gap {gap.id} ({gap.size} questions). Write the answer below the phrasings,\n"
        "# remove phrasings that ask something else, then publish."
    )
    lines = ["---", note, yaml.safe_dump(front, allow_unicode=True, sort_keys=True).strip(), "---", ""]
    lines.append(f"## {question} {{#{entry_id(gap)}}}")
    lines += [f"- {p}" for p in list(kept.values())[1 : MAX_PHRASINGS + 1]]
    lines += ["", ""]
    return "\n".join(lines)


def draft_path(settings: Settings, entry: str) -> Path:
    return settings.data_dir / DRAFTS / f"{entry}.md"


def saved_draft(settings: Settings, entry: str) -> str | None:
    """The draft saved for ``entry``, if any (undecodable bytes from a hand edit are shown, not refused)."""
    try:
        return draft_path(settings, entry).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return None


def save_draft(settings: Settings, entry: str, markdown: str) -> Path:
    target = draft_path(settings, entry)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name("." + target.name + ".tmp")
    partial.write_text(markdown, encoding="utf-8")
    os.replace(partial, target)
    return target


def published_name(entry: str) -> str:
    return f"{FOLDER}/{entry}.md"


def check(settings: Settings, entry: str, markdown: str) -> list[Entry]:
    """Refuse, with every problem, a file the knowledge base would not serve whole, or whose ids clash, that holds no
    entry, whose team does not exist, or that asks a question another entry of the same funds already asks (the bot
    would then offer a choice between them). The entries it would serve."""
    name = published.PREFIX + published_name(entry)
    parsed = parse_text(markdown, name)
    problems = [p for p in parsed.problems if p.severity == "error"]
    if not problems and not parsed.entries:
        problems.append(Problem.of(name, 1, "draft_no_entry"))
    if not problems:
        others = [parse_file(f, settings.kb_dir) for f in discover(settings.kb_dir)]
        root = published.published_dir(settings)
        if root.is_dir():
            mine = published.entry_path(settings, published_name(entry)).resolve()
            others += [parse_file(f, root, prefix=published.PREFIX) for f in discover(root) if f.resolve() != mine]
        [checked] = check_ids_across([*others, parsed])[-1:]
        problems = [p for p in checked.problems if p.severity == "error"]
        problems += _asked_already(name, checked.entries, [e for other in others for e in other.entries])
        problems += _unknown_teams(settings, name, checked.entries)
    if problems:
        said = "The draft is not a valid FAQ file yet: " + "; ".join(f"line {p.line}: {p.message}" for p in problems)
        raise Invalid(said, code="invalid_draft", problems=[_json(p) for p in problems])
    return list(parsed.entries)


def _json(problem: Problem) -> dict[str, Any]:
    """One problem of a refused draft, said in every console language."""
    params = dict(problem.params)
    said = messages(problem.code, params, problem.message)
    return {"line": problem.line, "code": problem.code, "params": params, "messages": said}


def _asked_already(name: str, entries: Sequence[Entry], others: Sequence[Entry]) -> list[Problem]:
    asked = {(phrasing_key(p), e.funds): e for e in others for p in e.phrasings}
    problems: list[Problem] = []
    for new in entries:
        for phrasing in new.phrasings:
            old = asked.get((phrasing_key(phrasing), new.funds))
            if old is not None and old.id != new.id:
                clash = Problem.of(
                    name,
                    new.line,
                    "draft_asked_already",
                    phrasing=repr(phrasing),
                    entry=old.id,
                    where=f"{old.file}:{old.line}",
                )
                problems.append(clash)
    return problems


def _unknown_teams(settings: Settings, name: str, entries: Sequence[Entry]) -> list[Problem]:
    known = {team.id for team in load_teams(settings.teams_file)}
    unknown = sorted({e.team for e in entries if e.team and e.team not in known})
    where = settings.teams_file.name
    return [Problem.of(name, 1, "draft_unknown_team", team=repr(team), teams_file=where) for team in unknown]


def teams_of(entries: Iterable[Entry]) -> list[str]:
    """The teams a FAQ file answers for: its entries' ``team`` (the front matter's, the same for the whole file)."""
    return sorted({e.team for e in entries if e.team})


def publish(settings: Settings, entry: str, markdown: str, user: StaffUser | None = None) -> tuple[Path, list[Entry]]:
    """Check the edited draft, write it to the published folder (live at the next reload), drop the draft; where,
    and the entries it serves. ``user``, who publishes, may answer only for their own teams (None: the service)."""
    if not ID_RE.fullmatch(entry):
        raise Invalid("Not a knowledge-gap entry id.", code="invalid_draft")
    markdown = markdown.rstrip() + "\n"
    entries = check(settings, entry, markdown)
    if user is not None:
        _require_own(settings, user, entry, entries)
    target = published.write_entry_file(settings, published_name(entry), markdown)
    draft_path(settings, entry).unlink(missing_ok=True)
    return target, entries


def _require_own(settings: Settings, user: StaffUser, entry: str, entries: Sequence[Entry]) -> None:
    # A lead answers investors in their own teams' name only; replacing a published file takes back its answer,
    # which is its team's to do.
    access.require_teams(user, teams_of(entries), f"The draft {entry}")
    before = published.entry_path(settings, published_name(entry))
    if before.is_file():
        parsed = parse_file(before, published.published_dir(settings), prefix=published.PREFIX)
        access.require_teams(user, teams_of(parsed.entries), f"The published {entry}")


def _one_line(text: str) -> str:
    # A heading or phrasing is one line; markup that would change the file's structure is flattened.
    flat = re.sub(r"\s+", " ", text).strip()
    return flat.lstrip("#-*> ").replace("{#", "{ #")

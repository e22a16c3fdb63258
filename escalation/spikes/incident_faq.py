"""An incident's published answer as an FAQ entry (``incidents/incident-<id>.md`` in the published folder).

Staff write one answer; it becomes an ordinary entry in the exact FAQ format, with the
incident's sample questions as its phrasings, so hot reload makes the bot give it to everyone
still asking, with no retraining. The file is checked with the same parser the knowledge base
uses before it is written, and written atomically, so a bad answer never reaches the index. It
lives in :func:`knowledge_base.published.published_dir` (under ``data_dir``), never in the tracked
FAQ folder: it is runtime state.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import yaml

from escalation.staff.errors import Invalid
from funddesk.settings import Settings
from funddesk.text import detect_lang
from knowledge_base import published
from knowledge_base.parser import parse_text, phrasing_key

FOLDER = "incidents"
MAX_PHRASINGS = 20


def entry_id(incident_id: int) -> str:
    return f"incident-{incident_id}"


def name_of(incident_id: int) -> str:
    """The file's name inside the published folder."""
    return f"{FOLDER}/{entry_id(incident_id)}.md"


def render(
    incident_id: int, question: str, answer: str, phrasings: Sequence[str], *, team: str, fund_code: str | None
) -> str:
    question = _one_line(question)
    lang = detect_lang(question + " " + answer)
    front = {"team": team, "lang": lang, "tags": ["incident"]}
    if fund_code:
        front["funds"] = [fund_code]
    # Phrasings the parser would call duplicates (of each other or of the heading) are dropped here.
    kept = {phrasing_key(question): question}
    for phrasing in (_one_line(p) for p in phrasings):
        if phrasing:
            kept.setdefault(phrasing_key(phrasing), phrasing)
    bullets = list(kept.values())[1:]
    lines = ["---", yaml.safe_dump(front, allow_unicode=True, sort_keys=True).strip(), "---", ""]
    lines.append(f"## {question} {{#{entry_id(incident_id)}}}")
    lines += [f"- {p}" for p in bullets[:MAX_PHRASINGS]]
    lines += ["", answer.strip(), ""]
    return "\n".join(lines)


def publish(settings: Settings, incident_id: int, text: str) -> Path:
    """Check ``text`` as the knowledge base would, then write it; refused with every problem."""
    parsed = parse_text(text, published.PREFIX + name_of(incident_id))
    if not parsed.clean:  # any error, even one that would cost only this entry, refuses the answer
        problems = "; ".join(f"line {p.line}: {p.message}" for p in parsed.problems)
        raise Invalid(f"The answer would not be a valid FAQ entry: {problems}", code="invalid_answer")
    return published.write_entry_file(settings, name_of(incident_id), text)


def retire(settings: Settings, incident_id: int) -> bool:
    return published.remove_entry_file(settings, name_of(incident_id))


def asked_before(settings: Settings, incident_id: int, text: str) -> list[int]:
    """Earlier incidents whose published answer asks the question ``text`` (incident ``incident_id``'s entry) asks, for
    the same funds: the surge came back. Both answers serving, the bot would offer investors the same question twice,
    or last time's answer alone, so the new one supersedes them. One asks what the other does when either's question
    is one of the other's phrasings."""
    [new] = parse_text(text, published.PREFIX + name_of(incident_id)).entries
    asks = {phrasing_key(p) for p in new.phrasings}
    folder = published.published_dir(settings) / FOLDER
    earlier = []
    for path in sorted(folder.glob("incident-*.md")) if folder.is_dir() else []:
        number = re.fullmatch(r"incident-(\d+)\.md", path.name)
        other = int(number.group(1)) if number else incident_id
        if other >= incident_id:
            continue
        for old in parse_text(path.read_text(encoding="utf-8"), published.PREFIX + name_of(other)).entries:
            same = phrasing_key(old.question) in asks or phrasing_key(new.question) in map(phrasing_key, old.phrasings)
            if same and old.funds == new.funds:
                earlier.append(other)
    return earlier


def _one_line(text: str) -> str:
    # A phrasing or heading is one line; markup that would change the structure is flattened.
    flat = re.sub(r"\s+", " ", text).strip()
    return flat.lstrip("#-*> ").replace("{#", "{ #")

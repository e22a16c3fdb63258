"""An incident's published answer as an FAQ entry (``faq/incidents/incident-<id>.md``).

Staff write one answer; it becomes an ordinary entry in the exact FAQ format, with the
incident's sample questions as its phrasings, so hot reload makes the bot give it to everyone
still asking, with no retraining. The file is checked with the same parser the knowledge base
uses before it is written, and written atomically, so a bad answer never reaches the index.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

import yaml

from escalation.staff.errors import Invalid
from knowledge_base.language import detect_lang
from knowledge_base.parser import parse_text, phrasing_key

FOLDER = "incidents"
MAX_PHRASINGS = 20


def entry_id(incident_id: int) -> str:
    return f"incident-{incident_id}"


def path_of(kb_dir: Path, incident_id: int) -> Path:
    return kb_dir / FOLDER / f"{entry_id(incident_id)}.md"


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


def publish(kb_dir: Path, incident_id: int, text: str) -> Path:
    """Check ``text`` as the knowledge base would, then write it; refused with every problem."""
    target = path_of(kb_dir, incident_id)
    parsed = parse_text(text, str(target.relative_to(kb_dir)))
    if not parsed.clean:  # any error, even one that would cost only this entry, refuses the answer
        problems = "; ".join(f"line {p.line}: {p.message}" for p in parsed.problems)
        raise Invalid(f"The answer would not be a valid FAQ entry: {problems}", code="invalid_answer")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name("." + target.name + ".tmp")  # dot files are never read as FAQ
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, target)
    return target


def retire(kb_dir: Path, incident_id: int) -> bool:
    target = path_of(kb_dir, incident_id)
    if not target.exists():
        return False
    target.unlink()
    return True


def _one_line(text: str) -> str:
    # A phrasing or heading is one line; markup that would change the structure is flattened.
    flat = re.sub(r"\s+", " ", text).strip()
    return flat.lstrip("#-*> ").replace("{#", "{ #")

"""Edit-to-live: save one changed answer and one new entry, then time until the running bot serves both.

Both bots get the same edit of a copy of the shipped FAQ and are asked the same two questions
through their REST channel until each reply carries the new text.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

FILE = Path("en") / "redemption.md"
CHANGED_QUESTION = "Can redemption money be paid to a different bank card?"
CHANGED = re.compile(r"Redemption proceeds (?:\(update \w+\) )?go back")  # as shipped, or as a previous edit left it


@dataclass(frozen=True)
class Edit:
    marker: str
    checks: tuple[tuple[str, str], ...]  # (question to ask, text the live answer must contain)


def apply(kb: Path, number: int) -> Edit:
    """Change the answer of ``redemption-to-which-card`` and append a new entry, in one save."""
    marker = f"edit{number}n{time.time_ns() % 10**8}"
    path = kb / FILE
    text = path.read_text(encoding="utf-8")
    if not CHANGED.search(text):
        raise ValueError(f"{path} no longer matches {CHANGED.pattern!r}: update bench/edit_to_live.py")
    text = CHANGED.sub(f"Redemption proceeds (update {marker}) go back", text, count=1)
    question = f"Can I redeem through the {marker} mini program?"
    text += f"\n## {question} {{#redeem-{marker}}}\n- redeem using {marker}\n\nYes: {marker} redemptions work.\n"
    path.write_text(text, encoding="utf-8")
    return Edit(marker, ((CHANGED_QUESTION, f"update {marker}"), (question, f"{marker} redemptions work")))

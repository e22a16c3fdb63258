"""What a live service serves from a file with errors: its good entries, and last good versions.

The parser decides what an error rejects (see :mod:`knowledge_base.parser`): the whole file or
one entry. :func:`with_last_good` puts back what the file served before in its place.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from knowledge_base.entries import Entry, ParsedFile, Rejected
from knowledge_base.parser import phrasing_key


def with_last_good(parsed: ParsedFile, served: Sequence[Entry]) -> ParsedFile:
    """``parsed``, with ``served`` (what the file served until now) standing in for what its errors reject.

    After a file-level error every ``served`` entry stays: nothing in the new version can be
    trusted. Otherwise each rejected entry keeps the served entry with the same id or, when
    its id could not be read, with the same canonical question (:func:`phrasing_key`). An
    entry deleted from the file is gone, and a last good version never takes an id that a
    good entry of the new version has.
    """
    if not parsed.ok:
        return dataclasses.replace(parsed, entries=tuple(served))
    by_id = {e.id: e for e in served}
    by_question = {phrasing_key(e.question): e for e in served}
    taken = {e.id for e in parsed.entries}
    kept: list[tuple[int, Entry]] = []
    for section in parsed.rejected:
        last = _last_good(section, by_id, by_question)
        if last is not None and last.id not in taken:
            taken.add(last.id)
            kept.append((section.line, last))
    if not kept:
        return parsed
    # Each last good version takes its section's place, so the file's order is the index's order.
    placed = sorted([*((e.line, e) for e in parsed.entries), *kept], key=lambda pair: pair[0])
    return dataclasses.replace(
        parsed, entries=tuple(entry for _, entry in placed), standing_in=tuple(line for line, _ in kept)
    )


def _last_good(section: Rejected, by_id: dict[str, Entry], by_question: dict[str, Entry]) -> Entry | None:
    if section.id is not None:
        return by_id.get(section.id)
    if section.question:
        return by_question.get(phrasing_key(section.question))
    return None

"""What a surge is about: the clusters its incident holds, the FAQ entry it asks, and its name.

A cluster's label is its member nearest the centroid, and its questions are one topic only where the model reads the
language: a cluster that holds many topics (Chinese under the packaged English model) would name a surge by another
topic, sample other topics' questions (which a published answer takes as its phrasings) and hold back every later
asker of the cluster with the holding reply. Where more than half of the questions that made an alarm were matched to
one FAQ entry, that entry says what the surge asks instead; where none was, the questions the FAQ answered are not
the surge's (:func:`joins`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence


def asked_entry(entries: Sequence[str | None]) -> str | None:
    """The FAQ entry more than half of a surge's questions were matched to (ranked first), if there is one."""
    counted = Counter(entry for entry in entries if entry)
    if not counted:
        return None
    entry, count = counted.most_common(1)[0]
    return entry if 2 * count > len(entries) else None


def joins(asks: str | None, entry_id: str | None, decision: str | None) -> bool:
    """Whether a question of an incident's clusters belongs to it (its holding reply, its published answer): one that
    asks the incident's entry, or that the FAQ did not match elsewhere; where the incident asks no one entry, one the
    FAQ could not answer. A question the FAQ answered is not that surge's when the surge asks nothing the FAQ holds:
    its cluster holds other topics too, and the investor has an answer."""
    if asks is not None:
        return entry_id in (None, asks)
    return decision != "answer"


def most_asked(texts: Sequence[str]) -> str:
    """The wording asked most often (the first of a tie: samples come newest first)."""
    times = Counter(texts)
    most = max(times.values())
    return next(text for text in texts if times[text] == most)


def members_of(by_cluster: Counter[str], questions: int) -> list[str]:
    """The clusters that hold at least a tenth of a surge's ``questions`` in the window, busiest first: the incident's
    (a topic's or a fund's alarm; an entry's keeps the clusters that are mostly its questions instead)."""
    return [c for c, n in by_cluster.most_common() if n * 10 >= questions]

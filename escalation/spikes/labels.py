"""What an incident is called: the question its surge asks, in an investor's words (personal numbers masked)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence


def surge_label(asked: Sequence[tuple[str, str | None]], fallback: str) -> str:
    """``asked``: the questions that made the alarm (text, the FAQ entry the matcher ranked first), oldest first.

    Where more than half of them were matched to one entry, the text most asked among those (the latest of a tie);
    otherwise ``fallback``, the cluster's label. A cluster's label is its member nearest the centroid, which names
    the surge only where the model reads the language: a cluster that holds many topics (Chinese under the packaged
    English model) would name it by another topic, and the holding reply would tell investors so.
    """
    entries = Counter(entry for _, entry in asked if entry)
    if not entries:
        return fallback
    entry, count = entries.most_common(1)[0]
    if 2 * count <= len(asked):
        return fallback
    texts = [text for text, of in asked if of == entry]
    times = Counter(texts)
    most = max(times.values())
    return next(text for text in reversed(texts) if times[text] == most)

"""The Numenta Anomaly Benchmark scorer, written from NAB's published definition (numenta/NAB ``sweeper.py``).

A detector's alarms on one series score like this (``../shared/data/README.md`` has the summary):

- the first ``probation_length`` rows (15% of the file, at most 750) are not scored at all;
- each labelled window is one true anomaly: the first alarm inside it scores the scaled sigmoid of its position,
  ``A_TP`` at the window's first row and falling to 0 at its last; later alarms in that window count nothing;
- an alarm outside every window costs ``A_FP`` times the scaled sigmoid of its distance past the preceding window
  (in window widths), so an alarm just after a window costs almost nothing and one before any window costs ``A_FP``;
- a window without any alarm costs ``A_FN``.

The normalized score over a corpus is ``100 * (raw - null) / (perfect - null)``: ``null`` raises no alarm (every
window a miss) and ``perfect`` catches every window at its first row.
"""

from __future__ import annotations

import bisect
import csv
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "nab"
PROBATION_SHARE = 0.15


@dataclass(frozen=True)
class Profile:
    """NAB's application profiles: weights of a true positive, a false positive and a missed window."""

    tp: float
    fp: float
    fn: float


PROFILES = {
    "standard": Profile(tp=1.0, fp=0.11, fn=1.0),
    "reward_low_FP_rate": Profile(tp=1.0, fp=0.22, fn=1.0),
    "reward_low_FN_rate": Profile(tp=1.0, fp=0.11, fn=2.0),
}


@dataclass(frozen=True)
class Series:
    name: str
    timestamps: list[str]
    values: list[float]
    windows: list[tuple[str, str]]


@dataclass(frozen=True)
class FileScore:
    raw: float
    null: float
    perfect: float
    true_positives: int
    false_positives: int
    missed: int


def scaled_sigmoid(position: float) -> float:
    """+0.987 at -1 (a window's first row), 0 at 0 (its last row), -0.987 one window width past it, -1 from 3."""
    if position >= 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * position)) - 1.0


def probation_length(rows: int) -> int:
    return int(min(math.floor(PROBATION_SHARE * rows), PROBATION_SHARE * 5000))


def _window_rows(times: Sequence[datetime], windows: Iterable[tuple[str, str]]) -> list[tuple[int, int]]:
    """Each window as (first row, last row), inclusive."""
    rows = []
    for start, end in windows:
        first = bisect.bisect_left(times, _parse(start))
        last = bisect.bisect_right(times, _parse(end)) - 1
        if first <= last:
            rows.append((first, last))
    return sorted(rows)


def score_file(
    timestamps: Sequence[str], alarms: Iterable[int], windows: Iterable[tuple[str, str]], profile: Profile
) -> FileScore:
    """Score alarm row indices on one series (timestamps in input order, ascending)."""
    times = [_parse(t) for t in timestamps]
    spans = _window_rows(times, windows)
    probation = probation_length(len(times))
    # A window lying wholly in the probationary period is not scored (as in NAB's sweeper).
    scored = [span for span in spans if span[1] >= probation]
    best: dict[tuple[int, int], float] = {}
    fp_cost = 0.0
    false_positives = 0
    ends = [last for _, last in spans]
    for row in sorted(set(alarms)):
        if row < probation:
            continue
        span = next((s for s in spans if s[0] <= row <= s[1]), None)
        if span is not None:
            width = span[1] - span[0] + 1
            score = scaled_sigmoid(-(span[1] - row + 1) / width) * profile.tp / scaled_sigmoid(-1.0)
            best[span] = max(best.get(span, -math.inf), score)
            continue
        false_positives += 1
        before = bisect.bisect_left(ends, row) - 1
        if before < 0:
            fp_cost += -1.0 * profile.fp
        else:
            first, last = spans[before]
            distance = abs(last - row) / max(1, last - first)
            fp_cost += scaled_sigmoid(distance) * profile.fp
    tp_score = sum(best.get(span, -profile.fn) for span in scored)
    return FileScore(
        raw=tp_score + fp_cost,
        null=-profile.fn * len(scored),
        perfect=profile.tp * len(spans),
        true_positives=sum(1 for span in scored if span in best),
        false_positives=false_positives,
        missed=sum(1 for span in scored if span not in best),
    )


def normalized(scores: Iterable[FileScore]) -> float:
    """NAB's normalized score over a corpus: 0 for the null detector, 100 for a perfect one."""
    scores = list(scores)
    raw, null, perfect = (sum(s.raw for s in scores), sum(s.null for s in scores), sum(s.perfect for s in scores))
    return 100.0 * (raw - null) / (perfect - null)


def load_series(folder: Path = DATA) -> list[Series]:
    """The realTweets series in ``folder`` with their windows (``windows.json`` keys are ``realTweets/NAME.csv``)."""
    labels: dict[str, list[list[str]]] = json.loads((folder / "windows.json").read_text(encoding="utf-8"))
    series = []
    for key in sorted(labels):
        path = folder / Path(key).name
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        windows = [(start, end) for start, end in labels[key]]
        series.append(Series(path.stem, [r["timestamp"] for r in rows], [float(r["value"]) for r in rows], windows))
    return series


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.strip())

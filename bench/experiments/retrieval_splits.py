"""The question sets the retrieval experiments score (all seed 0): BANKING77 and CLINC150 split into FAQ entries
(their phrasings) and questions; see :mod:`bench.experiments.retrieval_tuning`."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
SEED = 0


@dataclass
class Split:
    name: str
    phr_text: list[str]
    phr_entry: np.ndarray  # entry index per phrasing
    q_text: list[str]
    q_entry: np.ndarray  # entry index per question, -1 = out of scope
    n_entries: int
    cal_mask: np.ndarray | None = None  # CLINC: which questions calibrate thresholds
    extra_mask: np.ndarray | None = None  # CLINC: oos_train rows (extra OOS test questions)

    def groups(self) -> list[list[str]]:
        g: list[list[str]] = [[] for _ in range(self.n_entries)]
        for t, e in zip(self.phr_text, self.phr_entry, strict=False):
            g[e].append(t)
        return g


def _by_label(rows: list[tuple[str, str]]) -> dict[str, list[str]]:
    d: dict[str, list[str]] = defaultdict(list)
    for t, l in rows:
        d[l].append(t)
    return d


def b77_splits() -> tuple[Split, Split]:
    with open(DATA / "banking77_train.csv", newline="") as f:
        rows = [(r["text"], r["category"]) for r in csv.DictReader(f)]
    by = _by_label(rows)
    labels = sorted(by)
    out = []
    for name, pick in (("b77_10", lambda n: 10), ("b77_full", lambda n: n - max(1, round(0.15 * n)))):
        rng = np.random.default_rng(SEED)
        pt, pe, qt, qe = [], [], [], []
        for i, l in enumerate(labels):
            texts = by[l]
            perm = rng.permutation(len(texts))
            k = pick(len(texts))
            pt += [texts[j] for j in perm[:k]]
            pe += [i] * k
            qt += [texts[j] for j in perm[k:]]
            qe += [i] * (len(texts) - k)
        out.append(Split(name, pt, np.array(pe), qt, np.array(qe), len(labels)))
    return out[0], out[1]


def clinc_split() -> Split:
    d = json.loads((DATA / "clinc150_dev.json").read_text())
    by = _by_label([tuple(r) for r in d["train"]])
    labels = sorted(by)
    idx = {l: i for i, l in enumerate(labels)}
    pt = [t for l in labels for t in by[l]]
    pe = np.array([idx[l] for l in labels for _ in by[l]])
    rng = np.random.default_rng(SEED)
    qt, qe, cal = [], [], []
    for rows, lab in ((d["val"], None), (d["oos_val"], -1)):
        perm = rng.permutation(len(rows))
        half = set(perm[: len(rows) // 2].tolist())
        for j, (t, l) in enumerate(rows):
            qt.append(t)
            qe.append(idx[l] if lab is None else -1)
            cal.append(j in half)
    # oos_train is used nowhere else: extra out-of-scope test questions (50 -> 150) so that
    # oos_recall is less noisy; reported separately as oos_rec150.
    n_main = len(qt)
    for t, _ in d["oos_train"]:
        qt.append(t)
        qe.append(-1)
        cal.append(False)
    sp = Split("clinc", pt, pe, qt, np.array(qe), len(labels), np.array(cal))
    sp.extra_mask = np.arange(len(qt)) >= n_main
    return sp


def subsample(split: Split, n: int) -> Split:
    """Keep n random questions (seed 1): fine-tuned models must re-embed every question."""
    if not n or n >= len(split.q_text):
        return split
    sel = np.sort(np.random.default_rng(1).choice(len(split.q_text), n, replace=False))
    return Split(
        split.name,
        split.phr_text,
        split.phr_entry,
        [split.q_text[i] for i in sel],
        split.q_entry[sel],
        split.n_entries,
        None if split.cal_mask is None else split.cal_mask[sel],
    )

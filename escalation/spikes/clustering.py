"""Online clustering of question embeddings into topics with stable ids.

A question joins the nearest cluster of its fund when the cosine similarity to that cluster's centroid reaches the
cluster's bar; otherwise it founds a new cluster. ``threshold`` is the bar of a large cluster, whose centroid is the
topic's mean. A young cluster's centroid is a few noisy members, which a new paraphrase resembles less than it
resembles the topic's mean, so its bar is lower: if same-topic questions have pairwise cosine ``rho``, a question's
cosine to the mean of ``n`` of them is ``rho / sqrt((1 + (n - 1) * rho) / n)``, which is ``rho`` for one member
and tends to ``sqrt(rho)``. The bar follows that curve through ``threshold`` at ``n`` -> infinity. Without it, a
model that places paraphrases at pairwise cosine 0.6 splits every topic into single-question clusters, and a burst
into as many series as it has questions. The fund code is part of the key: each fund (and "no fund") has its
own centroids, so "why did NAV fall" for two funds are two topics. A cluster keeps its id for life. When two
centroids of one fund drift together, the younger cluster is absorbed by the older one and the merge is recorded.

Memory is bounded: a cluster keeps its centroid, counts, a per-day count history, its label (the member closest
to the centroid so far, with its vector) and a small reservoir of sample questions, never every member; beyond
``max_clusters`` the longest-idle clusters are forgotten (a question like theirs founds a new one; their questions
stay in the question log). Vectors are given unit-normalised (the matcher's embedding) and are never recomputed.
"""

from __future__ import annotations

import base64
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

NO_FUND = ""


@dataclass(frozen=True)
class ClusterConfig:
    threshold: float = 0.72  # cosine to the centroid; tuned on BANKING77 paraphrases (bench spikes)
    merge_threshold: float = 0.85
    samples: int = 8
    history_days: int = 60
    max_clusters: int = 20_000
    max_merges: int = 10_000  # merge records kept (the caller persists them as they happen)


@dataclass
class Cluster:
    id: str
    fund_code: str | None
    mean: np.ndarray  # running mean of member vectors (not normalised)
    count: int
    first_seen: str
    last_seen: str
    samples: list[str] = field(default_factory=list)
    daily: dict[str, int] = field(default_factory=dict)  # ISO day -> members that day
    label: str = ""  # the member closest to the centroid so far: a readable name for the topic
    label_vector: np.ndarray | None = None
    topic: str = ""  # the cluster whose satellite this one is (founded near it, below its bar); "" for its own

    def offer_label(self, text: str, vector: np.ndarray) -> None:
        """Keep whichever of the current label and this member is closer to the centroid as it is now."""
        if self.label_vector is None or float(vector @ self.mean) >= float(self.label_vector @ self.mean):
            self.label, self.label_vector = text, vector

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "fund_code": self.fund_code,
            "label": self.label,
            "count": self.count,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "daily": dict(self.daily),
            "topic": self.topic,
        }


@dataclass(frozen=True)
class Assignment:
    cluster_id: str
    created: bool
    similarity: float
    merged: str | None = None  # a cluster absorbed by this one just now


@dataclass(frozen=True)
class Merge:
    survivor: str
    absorbed: str
    at: str


def join_bar(threshold: float, members: np.ndarray | int, others: np.ndarray | int = 1) -> np.ndarray:
    """The cosine between the centroids of ``members`` and of ``others`` same-topic questions (see the module
    text): with ``others`` = 1, what a new question reaches against a cluster of ``members``."""
    rho = threshold * threshold

    def spread(count: np.ndarray | int) -> np.ndarray:
        n = np.maximum(np.asarray(count, dtype=np.float64), 1.0)
        return np.asarray((1.0 + (n - 1.0) * rho) / n)

    return np.asarray(rho / np.sqrt(spread(members) * spread(others)))


class _FundIndex:
    """Normalised centroids of one fund in a growable matrix: a nearest-centroid search is one mat-vec."""

    def __init__(self, dim: int) -> None:
        self.ids: list[str] = []
        self.rows: dict[str, int] = {}
        self.matrix = np.zeros((16, dim), dtype=np.float32)
        self.bars = np.ones(16, dtype=np.float32)  # each cluster's join bar, by its size

    def nearest(self, vector: np.ndarray, exclude: str | None = None) -> tuple[str | None, float]:
        if not self.ids:
            return None, -1.0
        scores = self.matrix[: len(self.ids)] @ vector
        if exclude is not None:
            scores[self.rows[exclude]] = -2.0
        best = int(np.argmax(scores))
        return self.ids[best], float(scores[best])

    def joinable(self, vector: np.ndarray) -> tuple[str | None, float, str | None]:
        """The most similar cluster whose bar the vector reaches (None when none does), that similarity (else the
        highest), and the most similar cluster whatever its bar."""
        if not self.ids:
            return None, -1.0, None
        scores = self.matrix[: len(self.ids)] @ vector
        nearest = int(np.argmax(scores))
        best = int(np.argmax(np.where(scores >= self.bars[: len(self.ids)], scores, -2.0)))
        if scores[best] < self.bars[best]:
            return None, float(scores[nearest]), self.ids[nearest]
        return self.ids[best], float(scores[best]), self.ids[nearest]

    def put(self, cluster_id: str, centroid: np.ndarray, bar: float = 1.0) -> None:
        row = self.rows.get(cluster_id)
        if row is None:
            row = self.rows[cluster_id] = len(self.ids)
            self.ids.append(cluster_id)
            if row >= len(self.matrix):
                self.matrix = np.concatenate([self.matrix, np.zeros_like(self.matrix)])
                self.bars = np.concatenate([self.bars, np.ones_like(self.bars)])
        norm = float(np.linalg.norm(centroid))
        self.matrix[row] = centroid / max(norm, 1e-12)
        self.bars[row] = bar

    def remove(self, cluster_id: str) -> None:
        row = self.rows.pop(cluster_id)
        last = len(self.ids) - 1
        if row != last:  # move the last row into the hole
            moved = self.ids[last]
            self.ids[row] = moved
            self.rows[moved] = row
            self.matrix[row] = self.matrix[last]
            self.bars[row] = self.bars[last]
        self.ids.pop()


class OnlineClusterer:
    def __init__(self, config: ClusterConfig | None = None) -> None:
        self.config = config or ClusterConfig()
        self.clusters: dict[str, Cluster] = {}
        self.merges: list[Merge] = []
        self.next_id = 1
        self._indexes: dict[str, _FundIndex] = {}

    def assign(self, vector: np.ndarray, text: str, fund_code: str | None, moment: datetime) -> Assignment:
        vector = np.asarray(vector, dtype=np.float32)
        index = self._index(fund_code, len(vector))
        nearest, similarity, closest = index.joinable(vector)
        when = moment.isoformat(sep=" ")
        if nearest is None:
            cluster = self._create(vector, fund_code, when)
            # Same topic as the closest cluster at the pairwise level (the lowest bar of any cluster size), though
            # not close enough to its centroid: a satellite of that cluster's topic.
            if closest is not None and similarity >= self.config.threshold**2:
                cluster.topic = self.topic_of(closest)
            self._add_member(cluster, vector, text, moment)
            index.put(cluster.id, cluster.mean, self._bar(cluster))
            self._bound()
            return Assignment(cluster.id, True, similarity)
        cluster = self.clusters[nearest]
        self._add_member(cluster, vector, text, moment)
        index.put(cluster.id, cluster.mean, self._bar(cluster))
        merge = self._maybe_merge(cluster, index, when) if _checkpoint(cluster.count) else None
        if merge is None:
            return Assignment(cluster.id, False, similarity)
        return Assignment(merge.survivor, False, similarity, merge.absorbed)

    def topic_of(self, cluster_id: str) -> str:
        """The topic a cluster belongs to: the first cluster of its topic, as it lives on after merges."""
        current = self.resolve(cluster_id)
        for _ in range(8):  # satellites are founded beside a topic's root, so chains are short (merges add a step)
            cluster = self.clusters.get(current)
            if cluster is None or not cluster.topic:
                return current
            root = self.resolve(cluster.topic)
            if root == current or root not in self.clusters:
                return current
            current = root
        return current

    def _bar(self, cluster: Cluster) -> float:
        return float(join_bar(self.config.threshold, cluster.count))

    def similarity(self, first: str, second: str) -> float:
        a, b = self.clusters[first].mean, self.clusters[second].mean
        return float(a @ b / max(float(np.linalg.norm(a) * np.linalg.norm(b)), 1e-12))

    def resolve(self, cluster_id: str) -> str:
        """The id a cluster lives on under after merges."""
        for merge in reversed(self.merges):
            if merge.absorbed == cluster_id:
                return self.resolve(merge.survivor)
        return cluster_id

    def _index(self, fund_code: str | None, dim: int) -> _FundIndex:
        key = fund_code or NO_FUND
        index = self._indexes.get(key)
        if index is None:
            index = self._indexes[key] = _FundIndex(dim)
        return index

    def _create(self, vector: np.ndarray, fund_code: str | None, when: str) -> Cluster:
        cluster = Cluster(f"c{self.next_id}", fund_code, np.zeros_like(vector), 0, when, when)
        self.next_id += 1
        self.clusters[cluster.id] = cluster
        return cluster

    def _add_member(self, cluster: Cluster, vector: np.ndarray, text: str, moment: datetime) -> None:
        cluster.count += 1
        cluster.mean += (vector - cluster.mean) / cluster.count
        cluster.last_seen = moment.isoformat(sep=" ")
        day = moment.date().isoformat()
        cluster.daily[day] = cluster.daily.get(day, 0) + 1
        if len(cluster.daily) > self.config.history_days:
            del cluster.daily[min(cluster.daily)]
        cluster.offer_label(text, vector)
        # Reservoir sampling (algorithm R) with a hash for the dice, so the state needs no random generator.
        if len(cluster.samples) < self.config.samples:
            cluster.samples.append(text)
            return
        slot = zlib.crc32(f"{cluster.id}:{cluster.count}".encode()) % cluster.count
        if slot < self.config.samples:
            cluster.samples[slot] = text

    def _maybe_merge(self, cluster: Cluster, index: _FundIndex, when: str) -> Merge | None:
        other_id, similarity = index.nearest(index.matrix[index.rows[cluster.id]], exclude=cluster.id)
        if other_id is None or similarity < self.config.merge_threshold:
            return None
        other = self.clusters[other_id]
        survivor, absorbed = (cluster, other) if _older_or_larger(cluster, other) else (other, cluster)
        total = survivor.count + absorbed.count
        survivor.mean = (survivor.mean * survivor.count + absorbed.mean * absorbed.count) / total
        survivor.count = total
        for day, n in absorbed.daily.items():
            survivor.daily[day] = survivor.daily.get(day, 0) + n
        survivor.first_seen = min(survivor.first_seen, absorbed.first_seen)
        survivor.last_seen = max(survivor.last_seen, absorbed.last_seen)
        survivor.samples += absorbed.samples[: self.config.samples - len(survivor.samples)]
        if absorbed.label_vector is not None:
            survivor.offer_label(absorbed.label, absorbed.label_vector)
        index.remove(absorbed.id)
        index.put(survivor.id, survivor.mean, self._bar(survivor))
        del self.clusters[absorbed.id]
        merge = Merge(survivor.id, absorbed.id, when)
        self.merges.append(merge)
        del self.merges[: -self.config.max_merges]
        return merge

    def _bound(self) -> None:
        excess = len(self.clusters) - self.config.max_clusters
        if excess <= 0:
            return
        # Evict a twentieth at once, so a full clusterer does not sort on every new cluster.
        idle_first = sorted(self.clusters.values(), key=lambda c: c.last_seen)
        for cluster in idle_first[: max(excess, len(self.clusters) // 20)]:
            self._index(cluster.fund_code, len(cluster.mean)).remove(cluster.id)
            del self.clusters[cluster.id]

    # -- persistence -----------------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "next_id": self.next_id,
            "merges": [[m.survivor, m.absorbed, m.at] for m in self.merges],
            "clusters": [
                {
                    **c.summary(),
                    "mean": _encode(c.mean),
                    "samples": list(c.samples),
                    "label_vector": _encode(c.label_vector) if c.label_vector is not None else None,
                }
                for c in self.clusters.values()
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], config: ClusterConfig | None = None) -> OnlineClusterer:
        clusterer = cls(config)
        clusterer.next_id = int(data["next_id"])
        clusterer.merges = [Merge(*m) for m in data["merges"]]
        for raw in data["clusters"]:
            mean = _decode(raw["mean"])
            cluster = Cluster(
                raw["id"],
                raw["fund_code"],
                mean,
                int(raw["count"]),
                raw["first_seen"],
                raw["last_seen"],
                list(raw["samples"]),
                {k: int(v) for k, v in raw["daily"].items()},
                raw["label"],
                _decode(raw["label_vector"]) if raw["label_vector"] is not None else None,
                raw.get("topic", ""),
            )
            clusterer.clusters[cluster.id] = cluster
            clusterer._index(cluster.fund_code, len(mean)).put(cluster.id, mean, clusterer._bar(cluster))
        return clusterer


def _encode(vector: np.ndarray) -> str:
    """float32 bytes as base64: exact, and a quarter of the size of a JSON list of floats."""
    return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode("ascii")


def _decode(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<f4").copy()


def _checkpoint(count: int) -> bool:
    """Merges are looked for as a cluster grows (at 2, 4, 8, ... members, then every 64): centroids move most early."""
    return count & (count - 1) == 0 or count % 64 == 0


def _older_or_larger(first: Cluster, second: Cluster) -> bool:
    return (first.count, -int(first.id[1:])) >= (second.count, -int(second.id[1:]))

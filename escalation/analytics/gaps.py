"""Knowledge gaps: the questions the FAQ failed, grouped into topics with the embeddings already logged.

The spike watch files every logged question under a topic cluster of its fund (escalation.spikes.clustering).
A gap joins those clusters across funds: clusters are taken largest first, and each joins the gap whose
centroid is most similar to its own when that similarity reaches the bar two same-topic groups reach. With
the clusterer's bar ``threshold`` read as it reads it (same-topic questions have pairwise cosine
``rho = threshold ** 2``), the means of ``n1`` and ``n2`` such questions have expected cosine
``rho / sqrt(q(n1) * q(n2))`` with ``q(n) = (1 + (n - 1) * rho) / n``: ``rho`` for two single questions,
rising with the sizes. It is capped at the clusterer's own centroid merge bar, so two large same-topic
groups join as two clusters of one fund would. No constant here was chosen on data.

A gap's id is its largest cluster's (``gap-<cluster>``): the same range gives the same gaps, and a gap keeps
its id while its main cluster stays the largest.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from escalation.analytics.repository import GroupCount, Member
from escalation.spikes import clustering
from escalation.spikes.clustering import ClusterConfig
from funddesk.masking import mask
from knowledge_base.parser import phrasing_key

MAX_SAMPLES = 20
TOP_CLUSTERS = 200  # clusters considered per request: the gaps worth a draft are among the largest
MEMBERS_PER_CLUSTER = 20  # embeddings read per cluster: its centroid, and as many samples as a gap shows
PREFIX = "gap-"


@dataclass
class Gap:
    id: str
    size: int
    clusters: list[str]
    languages: list[str]
    funds: list[str]
    samples: list[str]  # the most central first
    all_funded: bool = False  # every question named a fund: a draft is scoped to ``funds``
    team: str | None = None  # the queue most of its questions routed to
    lang_counts: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "size": self.size,
            "samples": self.samples,
            "languages": self.languages,
            "funds": self.funds,
            "clusters": self.clusters,
        }


def join_bar(first: int | np.ndarray, second: int | np.ndarray, config: ClusterConfig | None = None) -> np.ndarray:
    """The cosine between the centroids of ``first`` and ``second`` same-topic questions (module text),
    capped at the clusterer's merge bar."""
    config = config or ClusterConfig()
    return np.asarray(np.minimum(config.merge_threshold, clustering.join_bar(config.threshold, first, second)))


@dataclass
class _Group:
    clusters: list[str]
    centroid: np.ndarray  # sum of unit vectors
    members: list[Member]
    size: int


def top_clusters(groups: Sequence[GroupCount], limit: int = TOP_CLUSTERS) -> list[str]:
    sizes: Counter[str] = Counter()
    for group in groups:
        sizes[group.cluster_id] += group.count
    return [cluster for cluster, _ in sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]


def build_gaps(
    groups: Sequence[GroupCount], members: Sequence[Member], config: ClusterConfig | None = None
) -> list[Gap]:
    """Gaps from the clusters' counts and some members of the largest clusters, largest gap first."""
    sizes: Counter[str] = Counter()
    counts: dict[str, list[GroupCount]] = {}
    for group in groups:
        sizes[group.cluster_id] += group.count
        counts.setdefault(group.cluster_id, []).append(group)
    by_cluster: dict[str, list[Member]] = {}
    for member in members:
        if member.embedding:
            by_cluster.setdefault(member.cluster_id, []).append(member)
    merged: list[_Group] = []
    directions: list[np.ndarray] = []  # the merged groups' unit centroids, row by row
    for cluster in sorted(by_cluster, key=lambda c: (-sizes[c], c)):
        vectors = _unit(by_cluster[cluster])
        _join(merged, directions, _Group([cluster], vectors.sum(axis=0), by_cluster[cluster], sizes[cluster]), config)
    gaps = [_gap(group, [c for cluster in group.clusters for c in counts.get(cluster, [])]) for group in merged]
    return sorted(gaps, key=lambda g: (-g.size, g.id))


def _join(merged: list[_Group], directions: list[np.ndarray], group: _Group, config: ClusterConfig | None) -> None:
    """Join ``group`` to the most similar merged group whose bar it reaches, or start a new one."""
    direction = group.centroid / max(float(np.linalg.norm(group.centroid)), 1e-12)
    if merged:
        similarity = np.stack(directions) @ direction
        bars = join_bar(np.array([len(g.members) for g in merged]), len(group.members), config)
        similarity = np.where(similarity >= bars, similarity, -2.0)
        best = int(np.argmax(similarity))
        if similarity[best] > -2.0:
            target = merged[best]
            target.clusters += group.clusters
            target.centroid = target.centroid + group.centroid
            target.members += group.members
            target.size += group.size
            directions[best] = target.centroid / max(float(np.linalg.norm(target.centroid)), 1e-12)
            return
    merged.append(group)
    directions.append(direction)


def _gap(group: _Group, mine: Sequence[GroupCount]) -> Gap:
    langs: Counter[str] = Counter()
    funds: Counter[str] = Counter()
    teams: Counter[str] = Counter()
    for count in mine:
        if count.team_id:
            teams[count.team_id] += count.count
        langs[count.lang] += count.count
        if count.fund_code:
            funds[count.fund_code] += count.count
    return Gap(
        id=PREFIX + group.clusters[0],
        size=group.size,
        clusters=group.clusters,
        languages=[lang for lang, _ in langs.most_common()],
        funds=[fund for fund, _ in funds.most_common()],
        samples=central_samples(group.members, group.centroid),
        all_funded=all(c.fund_code for c in mine),
        lang_counts=dict(langs),
        team=teams.most_common(1)[0][0] if teams else None,
    )


def central_samples(members: Sequence[Member], centroid: np.ndarray, limit: int = MAX_SAMPLES) -> list[str]:
    """Distinct question texts, the closest to the centroid first (the first is the gap's central question)."""
    if not members:
        return []
    order = np.argsort(-(_unit(members) @ centroid), kind="stable")
    seen: dict[str, str] = {}
    for index in order:
        text = mask(members[int(index)].text).text.strip()  # masked when logged; again for older rows
        if text:
            seen.setdefault(phrasing_key(text), text)
        if len(seen) >= limit:
            break
    return list(seen.values())


def cluster_of(gap_id: str) -> str | None:
    return gap_id[len(PREFIX) :] if gap_id.startswith(PREFIX) and len(gap_id) > len(PREFIX) else None


def _unit(members: Sequence[Member]) -> np.ndarray:
    matrix = np.stack([np.frombuffer(m.embedding or b"", dtype="<f4") for m in members]).astype(np.float64)
    unit: np.ndarray = matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    return unit

"""Online clustering: paraphrases together, fund codes apart, ids stable, merges recorded, memory bounded."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import numpy as np

from escalation.spikes.clustering import ClusterConfig, OnlineClusterer
from knowledge_base.embedder import HashingEmbedder

NOW = datetime(2026, 3, 4, 10, 0)
EMBED = HashingEmbedder()
NAV = [
    "why did the NAV fall today",
    "why did NAV fall so much today",
    "NAV fell today why",
    "why is the NAV falling today",
]
FEES = ["what is the redemption fee", "how much is the redemption fee", "redemption fee please"]


def assign_all(clusterer: OnlineClusterer, texts: list[str], fund: str | None = None) -> list[str]:
    vectors = EMBED.encode(texts)
    return [
        clusterer.assign(v, t, fund, NOW + timedelta(seconds=i)).cluster_id
        for i, (t, v) in enumerate(zip(texts, vectors, strict=True))
    ]


def unit(*values: float) -> np.ndarray:
    vector = np.asarray(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def test_paraphrases_land_in_one_cluster_and_other_topics_apart() -> None:
    clusterer = OnlineClusterer(ClusterConfig(threshold=0.5))
    nav = assign_all(clusterer, NAV)
    fees = assign_all(clusterer, FEES)
    assert len(set(nav)) == 1
    assert len(set(fees)) == 1
    assert set(nav) != set(fees)


def test_a_cluster_keeps_its_id_as_it_grows() -> None:
    clusterer = OnlineClusterer(ClusterConfig(threshold=0.5))
    first = assign_all(clusterer, NAV[:1])[0]
    assert assign_all(clusterer, NAV * 50) == [first] * 200
    assert clusterer.clusters[first].count == 201


def test_the_same_question_for_two_funds_makes_two_clusters() -> None:
    clusterer = OnlineClusterer()
    fund_a = assign_all(clusterer, NAV[:2], "110022")
    fund_b = assign_all(clusterer, NAV[:2], "000001")
    assert fund_a[0] == fund_a[1] != fund_b[0] == fund_b[1]
    assert clusterer.clusters[fund_a[0]].fund_code == "110022"


def test_the_label_is_the_sample_closest_to_the_centroid() -> None:
    clusterer = OnlineClusterer(ClusterConfig(threshold=0.0))
    for vector, text in ((unit(1, 0.3, 0), "edge a"), (unit(1, 0, 0), "middle"), (unit(1, -0.3, 0), "edge b")):
        clusterer.assign(vector, text, None, NOW)
    assert next(iter(clusterer.clusters.values())).label == "middle"


def test_two_clusters_that_drift_together_merge_into_the_larger_and_the_merge_is_recorded() -> None:
    clusterer = OnlineClusterer(ClusterConfig(threshold=0.9, merge_threshold=0.85))
    big = clusterer.assign(unit(1, 0, 0), "a", None, NOW).cluster_id
    for _ in range(3):
        clusterer.assign(unit(1, 0, 0), "a", None, NOW)
    small = clusterer.assign(unit(0.8, 0.6, 0), "b", None, NOW).cluster_id
    assert small != big
    # Members between the two pull the small centroid towards the big one until they merge.
    merged = [clusterer.assign(unit(0.9, 0.2, 0), "c", None, NOW) for _ in range(4)]
    assert any(a.merged == small for a in merged)
    assert small not in clusterer.clusters
    assert clusterer.resolve(small) == big
    assert (clusterer.merges[0].survivor, clusterer.merges[0].absorbed) == (big, small)


def test_memory_is_bounded_samples_and_clusters() -> None:
    clusterer = OnlineClusterer(ClusterConfig(threshold=0.99, samples=4, max_clusters=50))
    rng = np.random.default_rng(0)
    for i in range(400):
        vector = rng.normal(size=16).astype(np.float32)
        clusterer.assign(vector / np.linalg.norm(vector), f"q{i}", None, NOW + timedelta(minutes=i))
    for _ in range(100):
        clusterer.assign(unit(*([1.0] * 16)), "same", None, NOW + timedelta(days=1))
    assert len(clusterer.clusters) <= 50
    assert all(len(c.samples) <= 4 for c in clusterer.clusters.values())
    assert "c1" not in clusterer.clusters and "c400" in clusterer.clusters  # the longest idle go first


def test_a_restored_clusterer_assigns_the_same_ids() -> None:
    clusterer = OnlineClusterer(ClusterConfig(threshold=0.5))
    assign_all(clusterer, NAV + FEES)
    restored = OnlineClusterer.from_dict(json.loads(json.dumps(clusterer.to_dict())))
    later = NAV[::-1] + FEES + ["how do I open an account"]
    assert assign_all(restored, later) == assign_all(clusterer, later)

"""The question pipeline opens one incident per spike, attaches later questions to it and survives a restart."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import numpy as np

from escalation.spikes.pipeline import QuestionPipeline
from escalation.spikes.question import Question
from knowledge_base.embedder import HashingEmbedder

START = datetime(2026, 3, 2, 9, 0)
EMBED = HashingEmbedder()
ROUTINE = ["how do I redeem my shares", "what is the subscription fee", "when is the cut-off time"]
NAV = "why did 110022 fall today?"


def stream(burst_minutes: int = 60) -> list[Question]:
    questions = [
        Question(START + timedelta(minutes=m), ROUTINE[m % 3], EMBED.encode([ROUTINE[m % 3]])[0])
        for m in range(0, 2 * 24 * 60, 5)
    ]
    burst = START + timedelta(days=1, hours=2)
    vector = EMBED.encode([NAV])[0]
    questions += [
        Question(burst + timedelta(seconds=20 * i), NAV, vector, fund_code="110022", conversation_id=f"conv{i}")
        for i in range(3 * burst_minutes)
    ]
    return sorted(questions, key=lambda q: q.moment)


def run(pipeline: QuestionPipeline, questions: list[Question]) -> list[str]:
    return [incident.id for q in questions for incident in pipeline.add(q).opened]


def test_an_hour_long_burst_opens_one_incident_and_every_later_question_attaches() -> None:
    pipeline = QuestionPipeline()
    assert run(pipeline, stream()) == ["i1"]
    incident = pipeline.incidents["i1"]
    assert (incident.fund_code, incident.label) == ("110022", NAV)
    assert 170 <= incident.count <= 180  # the questions from the spike's first bucket on
    # Conversations attach from detection on (earlier ones in the first bucket are in the service's question log).
    assert incident.conversations[-1] == "conv179" and len(set(incident.conversations)) > 150
    peak = max(pipeline.chart("i1"), key=lambda row: row[1])
    assert peak[1] >= 15 > 10 * peak[2]  # the chart shows counts far above the baseline
    later = Question(START + timedelta(days=2, hours=1), NAV, EMBED.encode([NAV])[0], fund_code="110022")
    assert pipeline.add(later).incident is incident  # still open: the bot gives the holding reply


def test_a_restored_pipeline_keeps_the_open_incident() -> None:
    questions = stream()
    first = QuestionPipeline()
    cut = len(questions) - 60
    run(first, questions[:cut])
    second = QuestionPipeline.from_dict(json.loads(json.dumps(first.to_dict())))
    assert run(second, questions[cut:]) == run(first, questions[cut:]) == []
    assert second.incidents["i1"].count == first.incidents["i1"].count


def test_questions_with_personal_numbers_are_kept_masked_in_labels_samples_and_state() -> None:
    """Whoever calls the pipeline (the service, a replay, the bench), it never keeps a personal number."""
    numbers = [f"11010119900307{i:03d}3" for i in range(3 * 60)]  # 18-digit ID-card numbers, one per investor
    questions = [q for q in stream() if q.text != NAV]
    burst = START + timedelta(days=1, hours=2)
    vector = EMBED.encode([NAV])[0]
    questions += [
        Question(burst + timedelta(seconds=20 * i), f"{NAV} 身份证{n}", vector, fund_code="110022")
        for i, n in enumerate(numbers)
    ]
    pipeline = QuestionPipeline()
    assert run(pipeline, sorted(questions, key=lambda q: q.moment)) == ["i1"]
    incident = pipeline.incidents["i1"]
    assert incident.label.startswith(f"{NAV} 身份证[id ••••") and incident.samples
    assert all(s.startswith(f"{NAV} 身份证[id ••••") for s in incident.samples)
    state = json.dumps(pipeline.to_dict(), ensure_ascii=False)
    assert not [n for n in numbers if n in state]


def test_a_surge_in_a_topics_satellite_opens_an_incident_named_and_sampled_by_the_surge() -> None:
    """A question close to a busy topic, though not close enough to join its cluster, founds a satellite that counts
    in the topic's series. When the satellite's questions make the topic alarm, the incident is about them: it holds
    their cluster (so later askers get the holding reply) and is named after them, not after the topic's routine."""
    rng = np.random.default_rng(3)
    axes = np.eye(32, dtype=np.float32)
    routine, near = axes[0], 0.6 * axes[0] + 0.8 * axes[1]  # cosine 0.6: under the cluster's bar, over the pairwise

    def asked(at: datetime, text: str, direction: np.ndarray) -> Question:
        noisy = direction + rng.normal(scale=0.02, size=32).astype(np.float32)
        return Question(at, text, noisy / np.linalg.norm(noisy))

    questions = [
        asked(START + timedelta(minutes=m), text, direction)
        for m in range(0, 2 * 24 * 60, 5)
        for text, direction in ((ROUTINE[0], routine), (ROUTINE[1], axes[2]), (ROUTINE[2], axes[3]))
    ]
    surge = START + timedelta(days=2, hours=1)
    questions += [asked(surge + timedelta(seconds=20 * i), NAV, near) for i in range(30)]
    pipeline = QuestionPipeline()
    assert run(pipeline, sorted(questions, key=lambda q: q.moment)) == ["i1"]
    incident = pipeline.incidents["i1"]
    satellite = pipeline.add(asked(surge + timedelta(minutes=11), NAV, near))
    root = pipeline.clusterer.topic_of(satellite.cluster_id)
    assert satellite.cluster_id != root and pipeline.clusterer.clusters[root].label == ROUTINE[0]
    assert (incident.cluster_id, incident.label, set(incident.samples)) == (root, NAV, {NAV})
    assert satellite.cluster_id in incident.clusters and satellite.incident is incident
    # The topic's routine askers are not held for an answer about another question.
    assert pipeline.add(asked(surge + timedelta(minutes=12), ROUTINE[0], routine)).incident is None


def test_the_chart_ends_with_the_bucket_still_being_counted_and_keeps_only_closed_ones() -> None:
    pipeline = QuestionPipeline()
    mid_burst = START + timedelta(days=1, hours=2, minutes=31)
    run(pipeline, [q for q in stream() if q.moment < mid_burst])
    *closed, (start, count, expected, marker) = pipeline.chart("i1")
    assert marker == "open" and start == pipeline.bank.start_of(pipeline.bank.bucket or 0).isoformat(sep=" ")
    assert count > 0 and expected >= 0 and all(len(point) == 3 for point in closed)
    assert pipeline.incidents["i1"].series == closed  # what the incident keeps, and saves, is closed buckets only

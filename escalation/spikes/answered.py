"""When the detector is done with an answered incident: its surge is over.

Staff publish an answer and often leave the incident open. While it was open in the detector, every later alarm of
its clusters, its fund or its FAQ entry joined it: the fund's next NAV drop, days later, paged nobody, and its askers
got last week's published answer. An answered incident now stays the surge's only while the surge lasts, that is,
while the series whose alarm opened it is in its alarm episode (escalation/spikes/detector.py: counts back under 1.5x
their expected for 15 minutes, and an hour since the alarm). After that the detector closes it, and a new surge opens a
new incident; staff still see it answered, and its published answer keeps serving.
"""

from __future__ import annotations

from escalation.spikes.pipeline import ENTRY_SERIES, FUND_SERIES, QuestionPipeline


def fired_series(pipeline: QuestionPipeline, incident_id: str) -> str:
    """The series whose alarm opened the incident: its topic's, its fund's or its FAQ entry's."""
    incident = pipeline.incidents[incident_id]
    evidence = incident.evidence
    if evidence is not None and evidence.trigger == "entry" and evidence.entry:
        return ENTRY_SERIES + evidence.entry
    if evidence is not None and evidence.trigger == "fund" and len(evidence.funds) == 1:
        return FUND_SERIES + next(iter(evidence.funds))
    return pipeline.clusterer.topic_of(pipeline.clusterer.resolve(incident.cluster_id))


def surge_over(pipeline: QuestionPipeline, incident_id: str) -> bool:
    """The alarm episode of the series that opened the incident has ended."""
    return fired_series(pipeline, incident_id) not in pipeline.bank.episodes

"""When the detector is done with an incident: staff closed it, or its surge is over.

The surge is over once the series whose alarm opened the incident has left its alarm episode
(escalation/spikes/detector.py: counts back under 1.5x their expected for 15 minutes, and an hour since the alarm).
From then on the detector keeps no incident of it, answered or not:
- *answered*: staff publish an answer and often leave the incident open. While it was open in the detector, every
  later alarm of its clusters, its fund or its FAQ entry joined it: the fund's next NAV drop, days later, paged nobody,
  and its askers got last week's published answer. Its published answer keeps serving as an FAQ entry;
- *unanswered*: its askers were told the team is preparing an answer "right now", however long after the surge, for
  as long as nobody in the console acted. Now they get the FAQ's answer again, and the next surge of the question
  pages the team as a new incident. Staff still see the incident open, with when its surge ended; an answer they
  publish still reaches everyone who asked during it.
The row records the end (``incidents.surge_ended_at``), so that action servers that do not run the detector stop the
holding reply too (escalation/spikes/open_view.py).
"""

from __future__ import annotations

from collections.abc import Mapping

from escalation.spikes.pipeline import ENTRY_SERIES, FUND_SERIES, QuestionPipeline
from funddesk.db import IncidentStatus


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


def done_with(pipeline: QuestionPipeline, statuses: Mapping[str, IncidentStatus]) -> tuple[list[str], list[str]]:
    """The detector's incidents that it is done with: those staff closed, and those whose surge is over.
    An incident without a row yet (``statuses`` lacks it: being opened, or not written yet) is neither."""
    closed, over = [], []
    for key in pipeline.incidents:  # every one is open: closing forgets it
        status = statuses.get(key)
        if status is None:
            continue
        if status is IncidentStatus.CLOSED:
            closed.append(key)
        elif surge_over(pipeline, key):
            over.append(key)
    return closed, over

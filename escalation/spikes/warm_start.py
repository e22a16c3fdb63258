"""A warm start: the detector learns a deployment's normal from questions asked before it went live.

A fresh detector knows nothing of a fund company's traffic. For its first day it judges every series against a
prior, and so it lets through surges it would catch a week later: in the generated weeks of
:mod:`bench.spike_scenarios` the Monday bursts are caught least. A fund company that moves to FundDesk has
its old chat log. Fed through the pipeline in time order before the first live question, that log teaches
the clusters, the baselines, the weekday profiles and the noise, exactly as live traffic would.

The time between the log's end and the first live question was not watched: the detector skips it rather than
learn it as days nobody asked in, so a log from last month teaches what last week's does.

Surges in the log are detected as they would have been live. Their buckets teach no noise, as with a live
alarm. The incidents themselves are dropped: they are history, nobody is asking now. Incident numbering
stays where it was, so a live incident never takes the number of a dropped one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from escalation.spikes.pipeline import QuestionPipeline
from escalation.spikes.question import Question


@dataclass(frozen=True)
class Learned:
    """What a warm start read: its questions, their time span, the series the detector now follows, and the
    surges it found in them (detected as live, then dropped)."""

    questions: int
    first: datetime | None
    last: datetime | None
    series: int
    clusters: int
    surges: int


def learn(pipeline: QuestionPipeline, questions: Iterable[Question]) -> Learned:
    """Feed ``questions`` (in time order) to ``pipeline``, close the last bucket and drop the incidents they opened.

    The pipeline must not have seen anything later than the first question (the detector's time only runs
    forward); a fresh one is the usual case."""
    numbered = pipeline.next_incident
    count, first, last, surges = 0, None, None, 0
    for question in questions:
        surges += len(pipeline.add(question).opened)
        first = first or question.moment
        last = question.moment
        count += 1
    if last is not None:  # the last bucket is complete once the history ends
        surges += len(pipeline.tick(last + timedelta(seconds=pipeline.bank.bucket_seconds)))
        pipeline.bank.pause()  # and nobody watches from there until the service's first question
    forget_incidents(pipeline)
    pipeline.next_incident = numbered
    return Learned(count, first, last, len(pipeline.bank.detectors), len(pipeline.clusterer.clusters), surges)


def forget_incidents(pipeline: QuestionPipeline) -> None:
    """Drop every incident (closed ones too): what was learned stays, nothing is open and no question attaches."""
    pipeline.incidents.clear()
    pipeline.open_by_cluster.clear()
    pipeline.open_by_entry.clear()

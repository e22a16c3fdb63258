"""The week before a simulated week: the old chat log a fund company would give a warm start.

Same traffic as the week (:mod:`bench.scenario_weeks`): its topics, rates, seasons, fund naming and hourly noise
model, with fresh draws. No burst, no decoy and no holiday: a quiet week, so what a warm start teaches is the
deployment's normal, not this week's events. Each of its questions copies the text, embedding and FAQ entry of
a routine question of the same topic in the week (one of the topic's ordinary phrasings, as asked again); the
fund it names is its own draw. The week's timing and counts are never copied, so the history cannot leak the
week's noise: only its vocabulary.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np

from bench.scenario_questions import _questions
from bench.scenario_weeks import Event, Stream


def week_before(stream: Stream) -> list[Event]:
    """A burst-free week ending where ``stream``'s begins, in time order."""
    scenario = stream.scenario
    quiet = replace(scenario, bursts=(), decoys=(), seasons=replace(scenario.seasons, holiday=None))
    rng = np.random.default_rng([scenario.seed, 2])  # its own draws: the week is the same with or without it
    minute, topic, fund, _ = _questions(rng, quiet)
    routine: dict[int, list[Event]] = {}
    for event in stream.events:
        if event.burst is None:
            routine.setdefault(event.topic, []).append(event)
    start = scenario.start - timedelta(weeks=1)
    seconds = rng.uniform(0.0, 60.0, len(minute))
    picks = rng.random(len(minute))
    events = []
    drawn = zip(minute.tolist(), topic.tolist(), fund.tolist(), seconds.tolist(), picks.tolist(), strict=True)
    for m, t, f, s, pick in drawn:
        asked = routine.get(t)
        if not asked:  # a topic too rare to have been asked in the week: nothing to copy its vocabulary from
            continue
        like = asked[int(pick * len(asked))]
        code = scenario.funds[f] if f >= 0 else None
        moment = start + timedelta(seconds=60.0 * m + s)
        events.append(Event(moment, like.text, like.vector, code, t, None, like.entry))
    events.sort(key=lambda e: e.moment)
    return events

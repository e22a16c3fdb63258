"""bot.speedups changes what Rasa spends, never what it decides: checked inside Rasa's own environment."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.integration.in_rasa import run_in_rasa

pytestmark = pytest.mark.integration

# Runs in .venv-rasa: every answer Rasa gives before the patch, compared with the answer after it.
CHECK = textwrap.dedent(
    """
    import json
    from jsonschema import ValidationError
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import Event, UserUttered
    from rasa.shared.utils.common import all_subclasses
    from bot import speedups

    names = sorted({c.type_name for c in all_subclasses(Event)})
    before = {n: Event.resolve_by_type(n) for n in names}
    replies = [
        {"events": [{"event": "slot", "name": "lang", "value": "zh"}], "responses": [{"text": "你好"}]},
        {"events": [{"event": "slot", "name": "lang"}], "responses": "not a list"},
        {"events": "not a list"},
        {},
    ]
    # Every event shape, bare and as Rasa writes it, then each value swapped for one of every JSON type.
    samples = [{"event": name} for name in names] + [
        {"event": "user", "text": "赎回", "parse_data": {"intent": {"name": "ask_question", "confidence": 0.9},
         "entities": [{"entity": "fund", "value": "110022", "start": 2, "end": 8}]}, "input_channel": "rest"},
        {"event": "bot", "text": "hi", "data": {"buttons": [{"title": "a", "payload": "/b"}]}, "metadata": {}},
        {"event": "action", "name": "action_listen", "policy": None, "confidence": 1.0},
        {"event": "slot", "name": "awaiting", "value": None, "timestamp": 1.5},
        {"event": "entities", "entities": [{"entity": "fund", "value": "1"}]},
        {"event": "active_loop", "name": None}, {"event": "followup", "name": "utter_ok"},
        {"event": "reminder", "intent": "x", "date_time": "2026-12-03T10:00:00", "name": None},
    ]
    others = [None, True, 0, 1.5, "s", "user", [], [{}], {}, {"x": 1}]

    def swapped(event):
        for key in event:
            for other in others:
                yield {**event, key: other}
        yield {k: v for k, v in event.items() if k != "event"}

    replies += [{"events": [e]} for e in samples]
    replies += [{"events": [e]} for sample in samples for e in swapped(sample)]
    replies += [{"events": samples[:3] + [{"event": "nope"}]}, {"events": [1]}, {"events": [{"event": ["user"]}]}]
    replies += [{"events": samples, "responses": r} for r in others]
    replies += [o for o in others if not isinstance(o, dict)]

    def judged(reply):
        try:
            return RemoteAction._validate_action_result(RemoteAction, reply)
        except ValidationError as error:
            return error.message

    judged_before = [judged(r) for r in replies]
    applied = speedups.apply()
    after = {n: Event.resolve_by_type(n) for n in names}
    again = {n: Event.resolve_by_type(n) for n in names}  # now from memory
    try:
        Event.resolve_by_type("no_such_event")
        unknown = "resolved"
    except ValueError as error:
        unknown = str(error)
    print(json.dumps({
        "applied": applied,
        "names": len(names),
        "same_classes": before == after == again,
        "default_kept": Event.resolve_by_type("no_such_event", UserUttered) is UserUttered,
        "unknown": unknown,
        "judged_before": [j if isinstance(j, str) else bool(j) for j in judged_before],
        "judged_after": [j if isinstance(j, str) else bool(j) for j in (judged(r) for r in replies)],
    }))
    """
)


def test_rasa_resolves_every_event_and_judges_every_action_reply_as_it_did_before_the_speedups() -> None:
    found = run_in_rasa(CHECK, timeout=300).found
    assert found["applied"] is True
    assert found["names"] > 20
    assert found["same_classes"] is True
    assert found["default_kept"] is True
    assert found["unknown"] == "Unknown event name 'no_such_event'."
    assert found["judged_after"] == found["judged_before"]
    assert found["judged_before"][0] is True
    assert len(found["judged_before"]) > 500
    assert 100 < found["judged_before"].count(True) < len(found["judged_before"]) - 100  # both verdicts, often
    assert all("Failed to validate Action server response" in j for j in found["judged_after"][1:3])


# The trained model's two graphs, NLU and the policies, run by dask on the event loop's thread and
# then in the patched order, the NLU graph on its worker thread.
SAME_GRAPHS = textwrap.dedent(
    """
    import asyncio, json, sys, threading
    from rasa.core.agent import Agent
    from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from bot import speedups

    agent = Agent.load(sys.argv[1])
    runner, nlu_threads = agent.processor.graph_runner, []
    plain_run = runner.run

    def run(inputs=None, targets=None):
        if targets == [agent.processor.model_metadata.nlu_target]:
            nlu_threads.append(threading.current_thread().name)
        return plain_run(inputs=inputs, targets=targets)

    texts = ["你好", "赎回多久到账？", "I want to talk to a person", "110022的申购费是多少", "yes", "asdf qwer", ""]

    async def decisions():
        found = []
        for text in texts:
            parsed = await agent.parse_message(text)
            tracker = DialogueStateTracker.from_events(
                "speedups",
                [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
                 UserUttered(text, parsed["intent"], parsed["entities"], parsed)],
                slots=agent.domain.slots,
            )
            prediction = agent.processor._predict_next_with_tracker(tracker)
            found.append({
                "intent": parsed["intent"],
                "ranking": parsed.get("intent_ranking"),
                "entities": parsed["entities"],
                "action": agent.domain.action_names_or_texts[prediction.max_confidence_index],
                "policy": prediction.policy_name,
                "probabilities": prediction.probabilities,
            })
        return found

    runner.run = run
    before = asyncio.run(decisions())
    threads_before = sorted(set(nlu_threads))
    nlu_threads.clear()
    speedups.apply()
    plain_run = type(runner).run.__get__(runner)  # the patched class method, behind the same recorder
    join, joined = speedups.join_coo, []

    def counted(left, right):
        result = join(left, right)
        joined.append(result is not None)
        return result

    speedups.join_coo = counted
    after = asyncio.run(decisions())
    print(json.dumps({
        "before": before, "after": after, "nlu_threads": [threads_before, sorted(set(nlu_threads))], "joined": joined,
    }))
    """
)


def test_the_trained_model_parses_and_predicts_exactly_as_with_dask_after_the_speedups(
    rasa_model_file: Path,
) -> None:
    found = run_in_rasa(SAME_GRAPHS, str(rasa_model_file)).found
    assert found["after"] == found["before"]
    assert {d["action"] for d in found["before"]} > {"action_answer_faq"}  # several different decisions
    assert found["nlu_threads"] == [["MainThread"], ["rasa-nlu_0"]]  # parsed beside the loop, on one thread
    assert len(found["joined"]) >= 2 * len(found["after"]) and all(found["joined"])  # every join took the direct path


# Rasa's featurizers give COO matrices; the direct join must give what scipy's hstack gives, bit for bit.
SAME_JOINS = textwrap.dedent(
    """
    import json
    import numpy as np
    from scipy import sparse
    from bot.speedups import join_coo

    def coo(rows, columns, density, dtype, seed):
        return sparse.random(rows, columns, density=density, format="coo", random_state=seed).astype(dtype)

    same, cases = [], 0
    for rows in (1, 3, 12):
        for widths in ((3000, 20000), (0, 5), (5, 0), (1, 1), (40, 7)):
            for dtypes in ((np.float32, np.float32), (np.float64, np.float32), (np.int64, np.float32)):
                for density in (0.0, 0.01, 1.0):
                    left, right = coo(rows, widths[0], density, dtypes[0], 1), coo(rows, widths[1], 0.3, dtypes[1], 2)
                    want, got = sparse.hstack([left, right]), join_coo(left, right)
                    cases += 1
                    same.append(
                        type(got) is type(want) and got.shape == want.shape
                        and all(getattr(got, a).dtype == getattr(want, a).dtype for a in ("data", "row", "col"))
                        and all(np.array_equal(getattr(got, a), getattr(want, a)) for a in ("data", "row", "col"))
                    )
    refused = [join_coo(coo(2, 3, 0.5, np.float32, 1), coo(3, 3, 0.5, np.float32, 1)),
               join_coo(coo(2, 3, 0.5, np.float32, 1).tocsr(), coo(2, 3, 0.5, np.float32, 1)),
               join_coo(np.zeros((2, 3)), coo(2, 3, 0.5, np.float32, 1))]
    print(json.dumps({"cases": cases, "same": all(same), "refused": [r is None for r in refused]}))
    """
)


def test_joining_two_sparse_feature_matrices_directly_gives_exactly_what_scipy_hstack_gives() -> None:
    found = run_in_rasa(SAME_JOINS, timeout=300).found
    assert found["cases"] == 135
    assert found["same"] is True
    assert found["refused"] == [True, True, True]  # other heights or formats go through Rasa's own hstack

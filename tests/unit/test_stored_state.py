"""A state that a later release saved, with fields this one does not know, still reads back: a rollback keeps the
detector's memory (its baselines and open incidents) instead of starting afresh. And the state a watch saves is a
copy that the questions asked while it is written cannot change."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from escalation.spikes.pipeline import QuestionPipeline
from escalation.spikes.state_file import as_json, load_state, state_dict
from tests.unit.test_fund_surges import scattered_week


def _with_an_incident() -> QuestionPipeline:
    questions, burst_at = scattered_week(entries=True)
    pipeline = QuestionPipeline()
    for question in questions:
        if question.moment > burst_at + timedelta(minutes=15):
            break
        pipeline.add(question)
    assert pipeline.incidents, "the scattered week's burst opens an incident by then"
    return pipeline


def _from_a_later_release(state: dict[str, Any]) -> dict[str, Any]:
    later: dict[str, Any] = json.loads(json.dumps(state))
    for incident in later["incidents"]:
        incident["priority"] = "high"
        incident["evidence"]["drift"] = 0.3
    for detector in later["bank"]["detectors"].values():
        detector["weekly_trend"] = [1.0, 2.0]
    return later


def test_incidents_and_series_saved_with_fields_this_release_does_not_know_read_back_as_saved(tmp_path: Path) -> None:
    pipeline = _with_an_incident()
    saved = pipeline.to_dict()
    state_file = tmp_path / "spikes_state.json"
    state_file.write_text(json.dumps(_from_a_later_release(saved)), encoding="utf-8")
    restored = load_state(state_file, None)
    assert json.loads(json.dumps(restored.to_dict())) == json.loads(json.dumps(saved))


def test_a_stored_incident_that_lacks_a_field_this_release_needs_is_still_refused() -> None:
    saved = _with_an_incident().to_dict()
    del saved["incidents"][0]["label"]
    with pytest.raises(TypeError):
        QuestionPipeline.from_dict(saved)


def test_the_state_a_watch_copies_under_its_lock_shares_nothing_the_pipeline_goes_on_changing() -> None:
    """The watch writes the copy as JSON after letting questions through again. Before, the births being followed
    were the pipeline's own rows, which the questions asked meanwhile changed."""
    questions, burst_at = scattered_week(entries=True)
    pipeline = QuestionPipeline()
    taken: dict[str, Any] | None = None
    for question in questions:
        if taken is None and question.moment > burst_at:
            taken = state_dict(pipeline)
            as_taken = as_json(taken)
        pipeline.add(question)
    assert taken is not None and as_json(taken) == as_taken

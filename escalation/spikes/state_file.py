"""The in-line detector's state file: the pipeline as JSON, written whole, read back at start.

The elected detector (escalation/spikes/worker.py) keeps the same JSON as a snapshot in the database instead. Either
says until when the process that saved it watched: the time after, until a process watches again, is skipped.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from escalation.spikes import question_log
from escalation.spikes.pipeline import PipelineConfig, QuestionPipeline

log = logging.getLogger("escalation.spikes.watch")  # the watch's logger, as before this module was split off


def pipeline_state(pipeline: QuestionPipeline, *, watched_until: datetime | None = None) -> str:
    """A pipeline's state as JSON; ``watched_until`` (local time) is when the process that saves it stops watching
    as far as anyone will know, should it stop now."""
    return as_json(state_dict(pipeline, watched_until=watched_until))


def state_dict(pipeline: QuestionPipeline, *, watched_until: datetime | None = None) -> dict[str, Any]:
    """What ``pipeline_state`` writes, before it is JSON. It shares nothing the pipeline goes on changing, so a
    watch takes it under its lock and writes the JSON, most of the time, after letting questions through."""
    data = pipeline.to_dict()
    if watched_until is not None:
        data["watched_until"] = watched_until.isoformat()
    return data


def as_json(data: dict[str, Any]) -> str:
    return json.dumps(data, default=question_log.jsonable)


def write_state_file(state_file: Path, state: str) -> None:
    state_file.parent.mkdir(parents=True, exist_ok=True)
    partial = state_file.with_suffix(".tmp")
    partial.write_text(state, encoding="utf-8")
    os.replace(partial, state_file)  # a crash mid-write leaves the previous snapshot


def restore(data: dict[str, Any], config: PipelineConfig | None, now: datetime | None = None) -> QuestionPipeline:
    """A saved pipeline that skips the time from when its process last watched until ``now`` (local time: the
    restoring process watches from then on; None: until the next question)."""
    pipeline = QuestionPipeline.from_dict(data, config)
    if data.get("watched_until"):  # absent in what a warm start or an older release wrote
        pipeline.bank.pause(datetime.fromisoformat(data["watched_until"]), now)
    elif pipeline.bank.paused:  # a warm start's pause: the restoring process watches from ``now`` on
        pipeline.bank.pause(back_at=now)
    return pipeline


def load_state(state_file: Path, config: PipelineConfig | None, now: datetime | None = None) -> QuestionPipeline:
    """The saved pipeline (:func:`restore`); a fresh one if there is none or it is unreadable (said in the log:
    losing the detector's memory is no reason not to serve)."""
    if state_file.is_file():
        try:
            return restore(json.loads(state_file.read_text(encoding="utf-8")), config, now)
        except (ValueError, KeyError, TypeError) as exc:
            log.error("%s is unreadable (%s): starting the spike watch afresh", state_file, exc)
    return QuestionPipeline(config)

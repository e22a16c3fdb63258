"""Per-message costs of Rasa 3.6 that repeat work whose answer never changes, done once.

Runs inside Rasa's own environment (``.venv-rasa``, Python 3.10): :mod:`bot.serve` applies them
before ``rasa run``. py-spy profiles of Rasa answering 8 or 16 clients in 8-question conversations
(README: Reliability, throughput) found these, each the share of Rasa's CPU when it was found:

- ``RemoteAction._validate_action_result`` calls ``jsonschema.validate``, which checks the constant
  response schema itself against the JSON Schema meta-schema before every action reply (11.5 %).
  Here the schema is checked once and its validator kept; replies are validated exactly as before,
  with the same error (2026-12-02). Validating still took 6 % (2026-12-03): an event must match
  exactly one of the schema's 23 event shapes (``oneOf``), so each event was checked against all
  23. The shapes differ by the constant ``event`` name, so an event with a known name can only
  match its own shape. A reply is first checked that way (one shape per event); only if that finds
  a fault does the full validation run, for Rasa's own verdict and error.
- ``Event.resolve_by_type`` walks every ``Event`` subclass, recursively, for each event it reads
  (9.5 %, 2026-12-02): Rasa re-reads a conversation's events on every turn. Here a name found once is
  remembered; a name not found yet is looked up as before, so events defined later still resolve.
- ``DaskGraphRunner.run`` re-derives the part of the model graph its targets need (walking every
  path, with no memo) and hands it to dask's scheduler, for a graph that is a short chain run on
  one thread: 12 % over the components' own work (2026-12-03).
  Here each target list's nodes are put in dependency order once and run in that order, each
  given its inputs the way dask gives them (a node's output, or the bare name of an input nobody
  provided). Components are pure functions of their inputs (dask promises no order among
  independent nodes), so the outputs are the same; a test compares them on the trained model.
- ``MessageProcessor.parse_message`` runs the NLU graph on the event loop's own thread, so while
  TensorFlow computes DIET's prediction (without the GIL: 14 % of Rasa's time under load,
  2026-12-04) the loop can do nothing else. Here the graph runs on one worker thread, and the loop
  goes on with other conversations' policies, trackers and HTTP meanwhile. Same graph, same
  inputs, one parse at a time, in order; a test compares the parses on the trained model.
- ``Features._combine_sparse_features`` joins each featurizer's sparse features to the others'
  with ``scipy.sparse.hstack``, whose general block-matrix path costs about 125 µs for two small
  matrices; a parse makes several such joins, 18 % of the NLU thread's time holding the GIL
  (2026-12-05, py-spy ``--gil`` at 16 clients). Both sides are COO matrices, so the join is three
  concatenations; here it is done directly (about 30 µs), with the arrays, dtypes and shape
  ``hstack`` gives, which a test checks. Anything else goes through ``hstack`` as before.
- ``EndpointConfig.request`` opens a new HTTP session, and so a new connection, for every action call
  (about 8 % of the event loop's time holding the GIL, 2026-12-05): :mod:`bot.kept_connections` keeps
  them.

All rely on Rasa internals, so they apply only to the version they were written for; any other
version runs unchanged, with a warning.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from bot import kept_connections

log = logging.getLogger(__name__)

RASA_VERSION = "3.6.21"


def apply() -> bool:
    """Patch the running Rasa; False (and a warning) when it is not the version these fit."""
    import rasa

    if rasa.__version__ != RASA_VERSION:
        log.warning("bot.speedups: written for Rasa %s, found %s; running it unchanged", RASA_VERSION, rasa.__version__)
        return False
    _validate_with_one_validator()
    _remember_event_types()
    _run_graphs_in_a_fixed_order()
    _parse_beside_the_event_loop()
    _join_sparse_features_directly()
    kept_connections.apply()
    return True


def _validate_with_one_validator() -> None:
    from jsonschema import ValidationError, validators
    from jsonschema.exceptions import best_match
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    schema = RemoteAction.action_response_format_spec()
    kind = validators.validator_for(schema)
    kind.check_schema(schema)  # what jsonschema.validate does on every call, once
    validator = kind(schema)
    quick = _valid_shape_by_name(kind, schema)

    def _validate_action_result(self: Any, result: dict[str, Any]) -> bool:
        if quick is not None and quick(result):
            return True
        error: ValidationError | None = best_match(validator.iter_errors(result))
        if error is None:
            return True
        error.message += (  # Rasa's own wording
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error

    RemoteAction._validate_action_result = _validate_action_result


def _valid_shape_by_name(kind: Any, schema: dict[str, Any]) -> Callable[[Any], bool] | None:
    """A check that says True only for replies the full schema accepts, testing each event against the one
    ``oneOf`` shape its name selects; None when the schema is not built that way (then nothing is skipped)."""
    try:
        events = schema["properties"]["events"]
        items = events["items"]
        shapes = items["oneOf"]
        names = [shape["properties"]["event"]["const"] for shape in shapes]
    except (KeyError, TypeError):
        return None
    if "$ref" in json.dumps(schema) or len(set(names)) != len(names) or "event" not in items.get("required", ()):
        return None
    outer = kind(
        {**schema, "properties": {**schema["properties"], "events": {k: v for k, v in events.items() if k != "items"}}}
    )
    common = kind({k: v for k, v in items.items() if k != "oneOf"})
    by_name = {name: kind(shape) for name, shape in zip(names, shapes, strict=True)}

    def valid(result: Any) -> bool:
        if not outer.is_valid(result):
            return False
        for event in result.get("events") or ():
            name = event.get("event") if isinstance(event, dict) else None
            shape = by_name.get(name) if isinstance(name, str) else None
            if shape is None or not common.is_valid(event) or not shape.is_valid(event):
                return False
        return True

    return valid


def _remember_event_types() -> None:
    from rasa.shared.core.events import Event

    original = Event.resolve_by_type
    found: dict[str, type[Event]] = {}

    def resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
        known = found.get(type_name)
        if known is not None:
            return known
        resolved = original(type_name, default)
        # Only a class whose own name it is: a default stands in for an unknown name and is not remembered.
        if resolved is not None and getattr(resolved, "type_name", None) == type_name:
            found[type_name] = resolved
        return resolved

    Event.resolve_by_type = staticmethod(resolve_by_type)


def _run_graphs_in_a_fixed_order() -> None:
    from rasa.engine.exceptions import GraphRunError
    from rasa.engine.runner.dask import DaskGraphRunner

    def ordered(runner: DaskGraphRunner, targets: list[str]) -> list[str]:
        """The nodes ``targets`` need, each after every node it needs (a depth-first post-order)."""
        orders: dict[tuple[str, ...], list[str]] = runner.__dict__.setdefault("_funddesk_orders", {})
        known = orders.get(tuple(targets))
        if known is None:
            nodes = runner._graph_schema.nodes
            known, seen = [], set()

            def visit(name: str) -> None:
                if name in seen or name not in nodes:  # not a node: an input placeholder
                    return
                seen.add(name)
                for need in nodes[name].needs.values():
                    visit(need)
                known.append(name)

            for target in targets:
                visit(target)
            orders[tuple(targets)] = known
        return known

    def run(
        self: DaskGraphRunner, inputs: dict[str, Any] | None = None, targets: list[str] | None = None
    ) -> dict[str, Any]:
        run_targets = targets if targets else self._graph_schema.target_names
        order = ordered(self, run_targets)
        done: dict[str, Any] = {}
        for name, value in (inputs or {}).items():
            if isinstance(value, str) and (value in order or value in done):  # Rasa's own check and wording
                raise GraphRunError(
                    f"Input value '{value}' clashes with a node name. Make sure "
                    f"that none of the input names passed to the `run` method are the "
                    f"same as node names in the graph schema."
                )
            done[name] = (name, value)
        nodes = self._graph_schema.nodes
        try:
            for name in order:
                if name in done:  # an input of that name stands in for the node, as in dask's graph
                    continue
                done[name] = self._instantiated_nodes[name](*(done.get(n, n) for n in nodes[name].needs.values()))
            return dict(done[t] for t in run_targets)
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e

    DaskGraphRunner.run = run


def _parse_beside_the_event_loop() -> None:
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from rasa.core.processor import MessageProcessor
    from rasa.shared.core.trackers import DialogueStateTracker

    original_parse = MessageProcessor.parse_message
    with_graph = MessageProcessor._parse_message_with_graph
    # One thread: parses run one at a time, in the order they were asked for, as on the loop.
    nlu = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rasa-nlu")

    async def parse_message(
        self: MessageProcessor, message: Any, tracker: Any = None, only_output_properties: bool = True
    ) -> dict[str, Any]:
        if self.http_interpreter:  # parsed by another server: nothing to move
            return await original_parse(self, message, tracker, only_output_properties)
        if tracker is None:
            tracker = DialogueStateTracker.from_events(message.sender_id, [])
        loop = asyncio.get_running_loop()
        parse_data: dict[str, Any] = await loop.run_in_executor(
            nlu, with_graph, self, message, tracker, only_output_properties
        )
        # What Rasa's own parse_message does after the graph, but its debug log line, whose
        # arguments (two deep copies) are built even when debug logging is off.
        self._update_full_retrieval_intent(parse_data)
        self._check_for_unseen_features(parse_data)
        return parse_data

    MessageProcessor.parse_message = parse_message  # type: ignore[method-assign]


def _join_sparse_features_directly() -> None:
    from rasa.shared.nlu.training_data.features import Features

    original = Features._combine_sparse_features

    def _combine_sparse_features(self: Features, additional_features: Features) -> None:
        joined = join_coo(self.features, additional_features.features)
        if joined is None:  # not two COO matrices of the same height: Rasa's own path, and its error
            original(self, additional_features)
            return
        self.features = joined
        self._cached_fingerprint = None

    Features._combine_sparse_features = _combine_sparse_features  # type: ignore[method-assign]


def join_coo(left: Any, right: Any) -> Any:
    """``scipy.sparse.hstack([left, right])`` for two COO matrices of the same height (the same
    data, row and column arrays in the same order, dtypes and shape); None for anything else."""
    import numpy as np
    from scipy import sparse

    if not (sparse.isspmatrix_coo(left) and sparse.isspmatrix_coo(right)) or left.shape[0] != right.shape[0]:
        return None
    shape = (left.shape[0], left.shape[1] + right.shape[1])
    index = np.int32 if max(shape) <= np.iinfo(np.int32).max else np.int64  # scipy's get_index_dtype
    data = np.concatenate([left.data, right.data]).astype(np.result_type(left.dtype, right.dtype), copy=False)
    rows = np.concatenate([left.row, right.row]).astype(index, copy=False)
    columns = np.concatenate([left.col, right.col + left.shape[1]]).astype(index, copy=False)
    return sparse.coo_matrix((data, (rows, columns)), shape=shape)

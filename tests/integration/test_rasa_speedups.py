"""bot.speedups changes what Rasa spends, never what it decides: checked inside Rasa's own environment."""

from __future__ import annotations

import json
import subprocess
import textwrap

import pytest

from bot.tooling import rasa_model
from funddesk.settings import PROJECT_ROOT, Settings

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
    python = rasa_model.rasa_venv() / "bin" / "python"
    result = subprocess.run(
        [str(python), "-c", CHECK],
        cwd=PROJECT_ROOT,
        env=rasa_model.rasa_env(Settings()),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["applied"] is True
    assert found["names"] > 20
    assert found["same_classes"] is True
    assert found["default_kept"] is True
    assert found["unknown"] == "Unknown event name 'no_such_event'."
    assert found["judged_after"] == found["judged_before"]
    assert found["judged_before"][0] is True
    assert all("Failed to validate Action server response" in j for j in found["judged_after"][1:3])

"""Rasa's own checks: `rasa data validate` and the end-to-end test stories in bot/tests/."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from bot.tooling import rasa_model
from funddesk.settings import PROJECT_ROOT, Settings

pytestmark = pytest.mark.integration

# Warnings Rasa prints for this bot on purpose (see config.yml and bot/data/nlu/questions.yml).
EXPECTED_WARNINGS = (
    "The utterance 'utter_default' is not used in any story or rule.",  # action_default_fallback uses it
    # Only the web service sends /back_to_bot: NLU examples would let a typed "back to bot" trigger it.
    "The intent 'back_to_bot' is listed in the domain file, but is not found in the NLU training data.",
    "You have an overlap between the 'RegexEntityExtractor' and the statistical entity extractors",
)


def rasa(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(rasa_model.rasa_executable()), *args],
        cwd=PROJECT_ROOT,
        env=rasa_model.rasa_env(Settings()),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_the_training_data_is_valid_and_free_of_conflicts() -> None:
    result = rasa("data", "validate", "--domain", "bot/domain.yml", "--data", "bot/data", "--config", "config.yml")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "No story structure conflicts found." in output
    warnings = re.findall(r"UserWarning: (.*)", output)
    unexpected = [w for w in warnings if not w.startswith(EXPECTED_WARNINGS)]
    assert unexpected == []


def test_every_test_story_is_understood_and_followed(rasa_model_file: Path, tmp_path: Path) -> None:
    result = rasa(
        "test", "core", "--e2e", "--stories", "bot/tests", "--model", str(rasa_model_file),
        "--out", str(tmp_path), "--fail-on-prediction-errors", "--no-plot",
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    conversations, actions = re.findall(r"Correct:\s+(\d+) / (\d+)", output)  # conversation, action level
    assert conversations[0] == conversations[1] and int(conversations[1]) >= 7
    assert actions[0] == actions[1]
    assert "None of the test stories failed" in (tmp_path / "failed_test_stories.yml").read_text()

"""Run a check inside Rasa's own environment (``.venv-rasa``, Python 3.10), where bot/ code runs."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from typing import Any

from bot.tooling import rasa_model
from funddesk.settings import PROJECT_ROOT, Settings


@dataclass(frozen=True)
class Ran:
    found: Any  # the JSON the script printed last
    stderr: str


def run_in_rasa(script: str, *args: str, timeout: float = 600) -> Ran:
    """``script`` run by .venv-rasa's Python from the project root; it must print one JSON line last."""
    python = rasa_model.rasa_venv() / "bin" / "python"
    result = subprocess.run(
        [str(python), "-c", script, *args],
        cwd=PROJECT_ROOT,
        env=rasa_model.rasa_env(Settings()),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return Ran(json.loads(result.stdout.strip().splitlines()[-1]), result.stderr)

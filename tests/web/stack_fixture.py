"""The whole stack as ``make run`` starts it (``python -m funddesk.stack``), for end-to-end tests.

It runs on free ports with a data folder of its own, seeded with the trained Rasa model (trained
first if its inputs changed, cached in ``var/models``) and the embedding cache, so it starts fast.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.tooling import rasa_model
from funddesk.settings import PROJECT_ROOT, Settings
from funddesk.stack import free_port

STARTUP_S = 300


def seed(data: Path) -> None:
    """The trained model and the embedding cache, in a new data folder."""
    model = rasa_model.train(Settings(), quiet=True)
    (data / "models").mkdir(parents=True, exist_ok=True)
    if model.stat().st_dev == data.stat().st_dev:
        os.link(model, data / "models" / model.name)
    else:
        shutil.copy(model, data / "models")
    source = Settings().embedding_cache
    if source.is_file():
        with sqlite3.connect(source) as src, sqlite3.connect(data / "embeddings.sqlite") as dst:
            src.backup(dst)


@contextmanager
def running_stack(data: Path, **extra: str) -> Iterator[Settings]:
    """Start the stack on ``data`` (``extra``: more FUNDDESK_* settings by name) and stop it after."""
    settings = Settings(data_dir=data, rasa_port=free_port(), actions_port=free_port(), web_port=free_port())
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUNDDESK_")}
    env.update(
        FUNDDESK_DATA_DIR=str(data),
        FUNDDESK_RASA_PORT=str(settings.rasa_port),
        FUNDDESK_ACTIONS_PORT=str(settings.actions_port),
        FUNDDESK_WEB_PORT=str(settings.web_port),
        FUNDDESK_WEB_RATE_CLIENT="1000",
        **{f"FUNDDESK_{name.upper()}": value for name, value in extra.items()},
    )
    out = (data / "stack.out").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "funddesk.stack"], cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
    )
    try:
        _wait_for_banner(process, data / "stack.out")
        yield settings
    finally:
        process.send_signal(signal.SIGTERM)  # as Ctrl-C would: the stack stops every child
        try:
            assert process.wait(timeout=60) == 0, (data / "stack.out").read_text()[-3000:]
        finally:
            if process.poll() is None:
                process.kill()
            out.close()


def _wait_for_banner(process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if "FundDesk is running" in log.read_text(errors="replace"):
            return
        if process.poll() is not None:
            pytest.fail(f"the stack exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        time.sleep(1)
    pytest.fail(f"the stack did not start within {STARTUP_S}s:\n{log.read_text()[-3000:]}")

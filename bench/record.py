"""Where benchmark figures are written, and the when and where that goes with each section."""

from __future__ import annotations

import os
import platform
from datetime import datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
RAW = Path(__file__).resolve().parent / "results.json"


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    load = os.getloadavg()[0]
    return f"{os.cpu_count()} cores (`nproc`), {cpu}, Python {platform.python_version()}, load {load:.1f} at start"


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def measured(started: datetime, on: str) -> dict[str, str]:
    """When (UTC) and on what machine a section's figures were measured."""
    return {"date": stamp(started), "machine": on}

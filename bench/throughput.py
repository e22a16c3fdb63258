"""Messages per second at saturation: FundDesk in one replica against the Rasa-native baseline, in one run.

FundDesk is the whole stack as ``make run`` starts it (``funddesk.stack``: web + Rasa + action
server), asked through its public API (:func:`bench.web_bench.saturation`). The baseline is the
``shipped`` FAQ bot of ``bench/baseline`` served by ``rasa run``, asked through its REST channel
(:mod:`bench.rest_load`). A baseline is only served when an earlier run trained it (cached under
``var/baseline/models``): training one takes about 40 minutes, so a missing one is skipped, saying so.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import rest_load, web_bench
from bench.baseline import builds
from bench.baseline.project import VARIANTS
from bench.baseline.serving import RasaServer
from bench.chat_load import questions

CLIENTS = (8, 16)
SECONDS = 20.0


def compare(clients: Sequence[int] = CLIENTS, seconds: float = SECONDS) -> dict[str, Any]:
    asked = tuple(questions()["en"])
    results: dict[str, Any] = {"questions": "bench/data/shipped_faq_en.csv", "seconds_per_level": seconds}
    with (
        tempfile.TemporaryDirectory(prefix="funddesk-throughput-") as tmp,
        web_bench.real_stack(Path(tmp) / "real") as settings,
    ):
        results["funddesk_one_replica"] = [
            web_bench.saturation(settings, asked, clients=c, seconds=seconds) for c in clients
        ]
    results["baseline_rest"] = baseline(asked, clients, seconds)
    return results


def baseline(asked: Sequence[str], clients: Sequence[int], seconds: float) -> dict[str, Any]:
    models = builds.WORK / "models"
    if not any(models.glob("shipped-*.tar.gz")):
        hint = "training one takes about 40 minutes: python -m bench side_by_side"
        return {"skipped": f"no trained baseline under {models} ({hint})"}
    found: dict[str, Any] = {}
    for variant in VARIANTS:
        model = builds.built("shipped", variant)
        if model is None:
            found[variant] = {"skipped": "not trained for the current FAQ"}
            continue
        with tempfile.TemporaryDirectory(prefix="funddesk-baseline-") as tmp:
            server = RasaServer(model, Path(tmp) / "rasa.log").start()
            try:
                rest_load.timings(server.rest_url, asked, 1, 10)  # warm-up
                found[variant] = [_saturate(server.rest_url, asked, c, seconds) for c in clients]
            finally:
                server.stop()
    return found


def _saturate(url: str, asked: Sequence[str], clients: int, seconds: float) -> dict[str, Any]:
    """``clients`` threads asking back to back; enough questions each to fill about ``seconds``."""
    probe = rest_load.timings(url, asked, clients, 5)
    per_client = max(5, int(seconds * 1000 / max(1.0, sum(probe) / len(probe))))
    began = time.perf_counter()
    replies = rest_load.timings(url, asked, clients, per_client)
    elapsed = time.perf_counter() - began
    return {"clients": clients, "messages": len(replies), "seconds": round(elapsed, 1),
            "messages_per_s": round(len(replies) / elapsed, 1)}  # fmt: skip

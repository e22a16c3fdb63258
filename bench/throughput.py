"""Messages per second at saturation: FundDesk in one replica against the Rasa-native baseline, in one run.

FundDesk is the whole stack as ``make run`` starts it (``funddesk.stack``: web + Rasa + action
server), asked through its public API (:func:`bench.web_bench.saturation`). The baseline is the
``shipped`` FAQ bot of ``bench/baseline`` served by ``rasa run``, asked through its REST channel
(:mod:`bench.rest_load`). A baseline is only served when an earlier run trained it (cached under
``var/baseline/models``): training one takes minutes (the recommended variant 14 on 2 shared cores),
so a missing one is skipped, saying so.

    python -m bench.throughput [--runs 3] [--clients 8 16] [--seconds 20]   # prints one JSON object, records nothing

Both get the same warm-up (10 questions from one client, not counted), the same client counts and
seconds per level, the English FAQ paraphrases, and are asked alike: each client asks back to back in
conversations of ``CONVERSATION`` questions, then starts a new one (a bot that re-reads its conversation
on every turn pays for it on both sides). The 2 cores are shared, so each level reports
the 1-minute load average before and after it, the CPU time per message of each server process
(with its children) and of the clients (this process), and how many cores the whole machine kept
busy; FundDesk's levels also the per-stage latency from its own ``/metrics`` (``web`` = the whole
turn, ``rasa`` = the Rasa round trip, ``match`` = the action server's matching).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from bench import procmem, rest_load, web_bench
from bench.baseline import builds
from bench.baseline.project import VARIANTS
from bench.baseline.serving import RasaServer
from bench.chat_load import questions
from bench.stage_metrics import Scraper
from funddesk.settings import Settings

CLIENTS = (8, 16)
# Whole comparisons, one after another: on a shared 2-core machine one run's ratio varies by up to a
# fifth, so the verdict is the median over runs, with the worst run beside it.
RUNS = 3
SECONDS = 20.0
# The conversation the first measurement used (8 investors, 8 questions each); an investor's
# session in the widget is a handful of questions, not dozens.
CONVERSATION = 8


def compare(clients: Sequence[int] = CLIENTS, seconds: float = SECONDS, length: int = CONVERSATION) -> dict[str, Any]:
    asked = tuple(questions()["en"])
    results: dict[str, Any] = {
        "questions": "bench/data/shipped_faq_en.csv", "seconds_per_level": seconds, "conversation_length": length,
    }  # fmt: skip
    token = secrets.token_urlsafe(16)
    with (
        tempfile.TemporaryDirectory(prefix="funddesk-throughput-") as tmp,
        web_bench.real_services(Path(tmp) / "real", metrics_token=token) as (settings, services),
    ):
        web_bench.warm_up(settings, asked)
        pids = {s.name: s.process.pid for s in services if s.process}
        results["funddesk_one_replica"] = [_level(settings, token, pids, asked, c, seconds, length) for c in clients]
    results["baseline_rest"] = baseline(asked, clients, seconds, length)
    return results


def _level(
    settings: Settings,
    token: str,
    pids: dict[str, int],
    asked: Sequence[str],
    clients: int,
    seconds: float,
    length: int,
) -> dict[str, Any]:
    """One saturation level of the stack, with what its stages counted during that level only."""
    urls = [
        f"http://{settings.web_host}:{settings.web_port}/metrics",
        f"http://127.0.0.1:{settings.actions_port}/metrics",
    ]
    scraper = Scraper(urls, token)
    asyncio.run(_scrape(scraper))
    before = scraper.snapshot()
    measure = partial(web_bench.saturation, settings, tuple(asked), clients=clients, seconds=seconds,
                      conversation_length=length)  # fmt: skip
    figures = _loaded(measure, pids)
    asyncio.run(_scrape(scraper))
    stages = scraper.since(before)
    return {**figures, "stages": {k: v for k, v in stages.items() if k.startswith("stage_")}}


async def _scrape(scraper: Scraper) -> None:
    async with httpx.AsyncClient() as http:
        await scraper.scrape(http)


def _loaded(measure: Callable[[], dict[str, Any]], pids: dict[str, int]) -> dict[str, Any]:
    """``measure()``'s figures, with the load average before and after and where the CPU went meanwhile."""
    load, cpu, began = os.getloadavg()[0], _cpu_seconds(pids), time.monotonic()
    figures = measure()
    used = {role: seconds - cpu[role] for role, seconds in _cpu_seconds(pids).items()}
    elapsed, messages = time.monotonic() - began, max(1, int(figures["messages"]))
    machine = used.pop("machine")
    return {
        **figures,
        "load_1min": [round(load, 2), round(os.getloadavg()[0], 2)],
        "cpu_ms_per_message": {role: round(seconds * 1000 / messages, 1) for role, seconds in used.items()},
        "machine_busy_cores": round(machine / elapsed, 2),
        "measured_busy_cores": round(sum(used.values()) / elapsed, 2),
    }


def _cpu_seconds(pids: dict[str, int]) -> dict[str, float]:
    """User + system seconds of each named process tree, of this process (the clients) and of the machine."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {role: sum(_ticks(p) for p in procmem.descendants(pid)) / tick for role, pid in pids.items()}
    times = os.times()
    found["clients"] = times.user + times.system
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    found["machine"] = (sum(fields[:8]) - fields[3] - fields[4]) / tick  # all but idle and iowait
    return found


def _ticks(pid: int) -> int:
    """utime + stime of one process (fields 14 and 15 of ``/proc/<pid>/stat``); 0 once it is gone."""
    try:
        after_name = (procmem.PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(after_name[11]) + int(after_name[12])


def baseline(asked: Sequence[str], clients: Sequence[int], seconds: float, length: int) -> dict[str, Any]:
    models = builds.WORK / "models"
    if not any(models.glob("shipped-*.tar.gz")):
        hint = "train one: python -m bench.baseline train shipped --variant recommended"
        return {"skipped": f"no trained baseline under {models} ({hint})"}
    found: dict[str, Any] = {}
    for variant in VARIANTS:
        # Only a variant with a model on disk: looking one up hashes its inputs, which for "strong"
        # means converting language-model weights and pip-installing packages first.
        if not any(models.glob(f"shipped-{variant}-*.tar.gz")):
            found[variant] = {"skipped": f"not trained (python -m bench.baseline train shipped --variant {variant})"}
            continue
        model = builds.built("shipped", variant)
        if model is None:
            found[variant] = {"skipped": "not trained for the current FAQ"}
            continue
        with tempfile.TemporaryDirectory(prefix="funddesk-baseline-") as tmp:
            server = RasaServer(model, Path(tmp) / "rasa.log").start()
            try:
                rest_load.timings(server.rest_url, asked, 1, 10)  # warm-up
                pids = {"rasa": server.pid} if server.pid else {}
                found[variant] = [_saturate(server.rest_url, asked, c, seconds, pids, length) for c in clients]
            finally:
                server.stop()
    return found


def _saturate(
    url: str, asked: Sequence[str], clients: int, seconds: float, pids: dict[str, int], length: int
) -> dict[str, Any]:
    """``clients`` threads asking back to back; enough questions each to fill about ``seconds``."""
    probe = rest_load.timings(url, asked, clients, 5)
    per_client = max(5, int(seconds * 1000 / max(1.0, sum(probe) / len(probe))))
    return _loaded(partial(_back_to_back, url, asked, clients, per_client, length), pids)


def _back_to_back(url: str, asked: Sequence[str], clients: int, per_client: int, length: int) -> dict[str, Any]:
    began = time.perf_counter()
    replies = rest_load.timings(url, asked, clients, per_client, length=length)
    elapsed = time.perf_counter() - began
    return {"clients": clients, "conversation_length": length, "messages": len(replies),
            "seconds": round(elapsed, 1), "messages_per_s": round(len(replies) / elapsed, 1)}  # fmt: skip


def repeated(
    runs: int = RUNS, clients: Sequence[int] = CLIENTS, seconds: float = SECONDS, length: int = CONVERSATION
) -> dict[str, Any]:
    """``runs`` whole comparisons, one after another, and their :func:`summary`."""
    done = [compare(clients, seconds, length) for _ in range(runs)]
    return {"runs": done, "summary": summary(done)}


def summary(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per baseline variant: FundDesk / baseline messages per second at each level of each run, their median and worst.

    A level counts only where both sides measured it (a skipped baseline counts nowhere).
    """
    found: dict[str, Any] = {}
    for run in runs:
        ours = {level["clients"]: level["messages_per_s"] for level in run.get("funddesk_one_replica", [])}
        for variant, levels in run.get("baseline_rest", {}).items():
            if not isinstance(levels, list):
                continue
            ratios = found.setdefault(variant, {"ratios": []})["ratios"]
            ratios += [
                round(ours[level["clients"]] / level["messages_per_s"], 3)
                for level in levels
                if level["clients"] in ours and level["messages_per_s"] > 0
            ]
    for figures in found.values():
        ratios = figures["ratios"]
        figures["median"] = round(statistics.median(ratios), 3) if ratios else None
        figures["worst"] = min(ratios) if ratios else None
    ours_all = [level["messages_per_s"] for run in runs for level in run.get("funddesk_one_replica", [])]
    return {
        "runs": len(runs),
        "funddesk_messages_per_s_median": statistics.median(ours_all) if ours_all else None,
        "funddesk_over_baseline": found,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.throughput", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=RUNS, help="whole comparisons, one after another")
    parser.add_argument("--clients", type=int, nargs="+", default=list(CLIENTS))
    parser.add_argument("--seconds", type=float, default=SECONDS, help="per level")
    parser.add_argument("--conversation-length", type=int, default=CONVERSATION, help="questions per conversation")
    args = parser.parse_args(argv)
    found = repeated(args.runs, args.clients, args.seconds, args.conversation_length)
    print(json.dumps(found, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

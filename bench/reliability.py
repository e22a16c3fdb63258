"""The reliability suite's long run: load and faults on the production profile, and throughput against the baseline.

    python -m bench reliability                                   # 200 investors, 2 minutes, every fault
    python -m bench.reliability --investors 50 --seconds 60       # smaller; --no-faults, --no-throughput

1. Load: ``python -m deploy`` (two replicas of everything behind nginx) on a private PostgreSQL
   cluster and a private Redis (``bench/private_backing.py``: the machine's shared ones are never
   stopped), ``investors`` investors asking the shipped FAQ paraphrases with think time and a few
   live staff conversations, all through the public port. Afterwards every acknowledged message
   is looked up in the database; end-to-end latency comes from the clients, per-stage latency
   from every replica's ``/metrics``.
2. Faults: the same load again while each fault of :mod:`bench.fault_drills` is injected in turn.
3. Throughput: the whole stack in one replica (``funddesk.stack``, as ``make run``) at saturation,
   and the Rasa-native baseline's REST channel in the same run when a trained baseline is on disk.

The last line printed is one JSON object; ``python -m bench.reliability`` also records it in
``bench/results.json`` (section ``reliability``), as ``python -m bench reliability`` does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import fault_drills
from bench.chat_load import Deadline, Plan, Tally, questions, run_load
from bench.private_backing import PrivatePostgres, PrivateRedis, private_backing
from bench.prod_run import STAFF_PASSWORD, ProdRun, add_staff, production_profile
from bench.record import RAW, machine, measured
from bench.stage_metrics import Scraper
from bench.stats import percentile
from bench.stored import compare_with_database
from bench.throughput import repeated

LOGS = Path(__file__).resolve().parent / "out" / "reliability-logs"  # the profile's logs of the last run
SCRAPE_EVERY_S = 5.0
FAULT_WARM_UP_S = 15.0
NO_END = 24 * 3600.0  # the fault phase ends when the drills are done


async def phase(
    run: ProdRun, plan: Plan, backing: tuple[PrivateRedis, PrivatePostgres] | None = None
) -> tuple[Tally, dict[str, Any]]:
    """One load run (with the fault drills when ``backing`` is given); the tally and its figures."""
    tally, asked = Tally(), questions()
    scraper = Scraper(run.metrics_urls(), run.metrics_token)
    async with httpx.AsyncClient() as http:
        await scraper.scrape(http)
    before, stop = scraper.snapshot(), asyncio.Event()
    scraping = asyncio.create_task(scraper.every(SCRAPE_EVERY_S, stop))
    until = Deadline(time.monotonic() + (NO_END if backing else plan.seconds))
    load = asyncio.create_task(run_load(run.public, plan, tally, asked, until))
    faults: list[fault_drills.Fault] = []
    if backing:
        faults = await fault_drills.drill(run, *backing, until, max(FAULT_WARM_UP_S, plan.think * 2))
    elapsed = await load
    stop.set()
    await scraping
    figures = {**client_figures(tally, elapsed), "stages": scraper.since(before)}
    if faults:
        figures["faults"] = fault_drills.windows(faults, tally.outcomes)
    _keep_outcomes("faults" if backing else "load", tally, faults)
    return tally, figures


def _keep_outcomes(name: str, tally: Tally, faults: list[fault_drills.Fault]) -> None:
    """Every request's outcome and every fault's time, to read a run again (times relative to the first request)."""
    zero = min((o.started for o in tally.outcomes), default=0.0)
    raw = {
        "faults": [{"fault": f.name, "at": round(f.at - zero, 3), "healed_s": f.healed_s} for f in faults],
        "outcomes": [[round(o.started - zero, 3), round(o.ended - zero, 3), o.who, o.kind] for o in tally.outcomes],
    }
    LOGS.parent.mkdir(parents=True, exist_ok=True)
    (LOGS.parent / f"reliability-{name}.json").write_text(json.dumps(raw))


def client_figures(tally: Tally, elapsed: float) -> dict[str, Any]:
    """What the clients saw: outcomes by kind, 5xx, end-to-end latency of answered questions."""
    answered = sorted(o.ended - o.started for o in tally.outcomes if o.kind == "answered")
    kinds = Counter(o.kind for o in tally.outcomes)
    failed = [o for o in tally.outcomes if o.failure]
    return {
        "seconds": round(elapsed, 1),
        "requests": len(tally.outcomes),
        "outcomes": dict(kinds.most_common()),
        "answered_per_s": round(len(answered) / elapsed, 1) if elapsed else 0.0,
        "server_errors_5xx": sum(o.server_error for o in tally.outcomes),
        "failed": len(failed),
        "errors_not_json": sum(1 for o in failed if o.kind.startswith("http_") and not o.json_error),
        "end_to_end_ms": {
            "p50": _ms(statistics.median(answered)) if answered else None,
            "p95": _ms(percentile(answered, 0.95)) if answered else None,
            "p99": _ms(percentile(answered, 0.99)) if answered else None,
            "max": _ms(answered[-1]) if answered else None,
        },
        "resent": dict(tally.resent),  # answers seen before the client sent the message again (not failures)
        "sockets": {
            **tally.sockets,
            "reconnect_max_s": round(max(tally.reconnect_s), 2) if tally.reconnect_s else None,
        },
    }


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def persisted(database_url: str, tally: Tally) -> dict[str, Any]:
    """Every acknowledged investor message and every reply id given out, looked up in the database."""
    return compare_with_database(database_url, tally.said, tally.reply_ids)


def run(
    *, investors: int = 200, seconds: float = 120.0, staff: int = 3, think: float = 6.0,
    faults: bool = True, throughput: bool = True,
) -> dict[str, Any]:  # fmt: skip
    """Every figure of the suite as one dict (``python -m bench reliability`` records it)."""
    names = tuple(f"bench-staff-{n}" for n in range(1, staff + 1))
    plan = Plan(investors, seconds, think, names, STAFF_PASSWORD)
    results: dict[str, Any] = {
        "scale": {"investors": investors, "seconds": seconds, "staff_conversations": staff, "think_s": think},
        "cpus": os.cpu_count(),
    }
    with private_backing() as (private_redis, postgres), tempfile.TemporaryDirectory(prefix="reliability-") as tmp:
        database_url = f"{postgres.url}/funddesk"
        with production_profile(Path(tmp) / "var", database_url, private_redis.url, LOGS) as prod:
            add_staff(database_url, list(names))
            _log("load ...")
            tally, figures = asyncio.run(phase(prod, plan))
            results["load"] = {**figures, "stored": persisted(database_url, tally)}
            _log(f"load: {json.dumps(results['load'])}")
            if faults:
                _log("faults during load ...")
                tally, figures = asyncio.run(phase(prod, plan, (private_redis, postgres)))
                results["faults"] = {**figures, "stored": persisted(database_url, tally)}
                _log(f"faults: {json.dumps(results['faults'])}")
            results["restarts"] = _restarts(prod)
    if throughput:
        _log("throughput ...")
        results["throughput"] = repeated()
    return results


def _restarts(run: ProdRun) -> dict[str, Any]:
    """Processes that ended the run alive, from processes.json: a replica that did not come back shows here."""
    listed = run.listed()
    return {"listed": len(listed), "roles": sorted(f"{e['role']}-{e['replica']}" for e in listed)}


def _log(text: str) -> None:
    print(f"reliability: {text}", file=sys.stderr, flush=True)


def record(result: dict[str, Any], started: datetime, seconds: float) -> None:
    """Into bench/results.json as section ``reliability``, with when and where, as ``python -m bench`` does."""
    results: dict[str, Any] = json.loads(RAW.read_text()) if RAW.is_file() else {}
    results["reliability"] = {**result, "_seconds": round(seconds, 1), "_measured": measured(started, machine())}
    RAW.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reliability", description=__doc__.split("\n\n")[0])
    parser.add_argument("--investors", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=120.0, help="length of the load phase")
    parser.add_argument("--staff", type=int, default=3, help="live staff conversations")
    parser.add_argument("--think", type=float, default=6.0, help="mean think time between an investor's messages")
    parser.add_argument("--no-faults", action="store_true")
    parser.add_argument("--no-throughput", action="store_true")
    parser.add_argument("--no-record", action="store_true", help="print only; leave bench/results.json alone")
    args = parser.parse_args(argv)
    started, clock = datetime.now(UTC), time.perf_counter()
    result = run(
        investors=args.investors, seconds=args.seconds, staff=args.staff, think=args.think,
        faults=not args.no_faults, throughput=not args.no_throughput,
    )  # fmt: skip
    if not args.no_record:
        record(result, started, time.perf_counter() - clock)
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Faults injected while investors chat, and what each one did to them.

In turn: SIGKILL a web replica, a Rasa replica and an action server (pids from the profile's
``processes.json``), Redis unavailable for 10 s, and a PostgreSQL restart. Each fault owns the
window from its injection to the next one; an outcome belongs to the window its request started
in. Recovery is the time from the injection until the first success after the window's last
failure (0 when nothing failed: the other replica carried the traffic).
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.chat_load import Deadline, Outcome
from bench.private_backing import PrivatePostgres, PrivateRedis
from bench.prod_run import ProdRun
from funddesk.stack import healthy

FAULTS = ("kill web", "kill rasa", "kill actions", "redis down 10 s", "postgres restart")
REDIS_DOWN_S = 10.0
BACK_WITHIN_S = 240.0
SETTLE_S = 20.0  # load after a fault has healed, before the next one: errors that come late show up


@dataclass
class Fault:
    name: str
    at: float  # time.monotonic() of the injection
    healed_s: float | None = None  # until the killed process answers again / the backing is back
    detail: dict[str, Any] = field(default_factory=dict)


async def kill_replica(run: ProdRun, role: str, replica: int = 1) -> Fault:
    before = run.entry(role, replica)
    if before is None:
        raise RuntimeError(f"{role}-{replica} is not in processes.json")
    os.kill(before["pid"], signal.SIGKILL)
    fault = Fault(f"kill {role}", time.monotonic(), detail={"pid": before["pid"]})
    new_pid_s = None
    while time.monotonic() - fault.at < BACK_WITHIN_S:
        now = run.entry(role, replica)
        if now is not None and now["pid"] != before["pid"]:
            new_pid_s = new_pid_s or round(time.monotonic() - fault.at, 2)
            if await asyncio.to_thread(healthy, run.health_url(role, now["port"])):
                fault.healed_s = round(time.monotonic() - fault.at, 2)
                break
        await asyncio.sleep(0.2)
    fault.detail["new_pid_s"] = new_pid_s
    return fault


async def redis_outage(private_redis: PrivateRedis) -> Fault:
    await asyncio.to_thread(private_redis.stop)
    fault = Fault("redis down 10 s", time.monotonic())
    await asyncio.sleep(REDIS_DOWN_S)
    await asyncio.to_thread(private_redis.start)
    fault.healed_s = round(time.monotonic() - fault.at, 2)
    return fault


async def postgres_restart(postgres: PrivatePostgres) -> Fault:
    began = time.monotonic()
    await asyncio.to_thread(postgres.restart)
    fault = Fault("postgres restart", began)
    fault.healed_s = round(time.monotonic() - began, 2)
    return fault


async def drill(
    run: ProdRun, private_redis: PrivateRedis, postgres: PrivatePostgres, until: Deadline, warm_up: float
) -> list[Fault]:
    """Every fault in turn under the running load, then end the load (``until``) a settle after the last."""
    done: list[Fault] = []
    try:
        await asyncio.sleep(warm_up)
        for name in FAULTS:
            if name.startswith("kill "):
                fault = await kill_replica(run, name.removeprefix("kill "))
            elif name.startswith("redis"):
                fault = await redis_outage(private_redis)
            else:
                fault = await postgres_restart(postgres)
            done.append(fault)
            await asyncio.sleep(SETTLE_S)
    finally:
        until.at = time.monotonic()
    return done


def owner(faults: Sequence[Fault], outcome: Outcome) -> int | None:
    """The fault whose window the request started in; a failure still running when the next fault
    struck is the next fault's (a request cut by a PostgreSQL restart may have started just before it)."""
    index = -1  # before the first fault
    for number, fault in enumerate(faults):
        if fault.at <= outcome.started:
            index = number
    while outcome.failure and index + 1 < len(faults) and outcome.ended > faults[index + 1].at:
        index += 1
    return index if index >= 0 else None


def windows(faults: Sequence[Fault], outcomes: Sequence[Outcome]) -> list[dict[str, Any]]:
    """What investors and staff saw in each fault's window."""
    reports = []
    owners = [owner(faults, o) for o in outcomes]
    for index, fault in enumerate(faults):
        inside = sorted((o for o, i in zip(outcomes, owners, strict=True) if i == index), key=lambda o: o.started)
        failed = [o for o in inside if o.failure]
        kinds = Counter(o.kind for o in failed)
        reports.append(
            {
                "fault": fault.name,
                "healed_s": fault.healed_s,
                **fault.detail,
                "requests": len(inside),
                "failed": len(failed),
                "failed_by_kind": dict(kinds),
                "server_errors_5xx": sum(o.server_error for o in inside),
                "errors_not_json": sum(1 for o in failed if not o.json_error and o.kind.startswith("http_")),
                "last_failure_s": round(max(o.ended for o in failed) - fault.at, 2) if failed else None,
                "recovery_s": recovery(fault.at, inside),
            }
        )
    return reports


def recovery(at: float, inside: Sequence[Outcome]) -> float | None:
    """Seconds from ``at`` until the first success that started after the last failure (0: none failed)."""
    failed = [o for o in inside if o.failure]
    if not failed:
        return 0.0
    last = max(o.started for o in failed)
    after = [o.ended for o in inside if o.ok and o.started >= last]
    return round(min(after) - at, 2) if after else None

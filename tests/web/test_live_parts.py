"""The pieces behind live push and limits: hub, rate limiter, per-conversation locks."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.services import needs_redis
from web import hub as hub_module
from web.context import KeyedLocks
from web.events import StateChanged, Typing, investor_channel
from web.hub import LocalHub, RedisHub
from web.ratelimit import RateLimiter

A, B = investor_channel("a"), investor_channel("b")


def test_an_event_reaches_every_listener_of_its_conversation_and_no_other() -> None:
    async def scenario() -> tuple[list[dict[str, Any] | None], list[object], int]:
        hub = LocalHub()
        async with hub.subscribe(A) as one, hub.subscribe(A) as two, hub.subscribe(B) as other:
            await hub.publish(StateChanged("a", "waiting"))
            got = [await one.next(), await two.next()]
            return got, [other.queue.qsize()], hub.listener_count()

    got, other, count = asyncio.run(scenario())
    assert got == [{"type": "state", "state": "waiting"}] * 2
    assert other == [0] and count == 3


def test_listeners_are_forgotten_when_they_leave() -> None:
    async def scenario() -> int:
        hub = LocalHub()
        async with hub.subscribe(A):
            pass
        return hub.listener_count()

    assert asyncio.run(scenario()) == 0


def test_a_listener_that_falls_behind_is_dropped_instead_of_slowing_the_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(hub_module, "QUEUE_SIZE", 2)

    async def scenario() -> tuple[object, int]:
        hub = LocalHub()
        async with hub.subscribe(A) as slow:
            for _ in range(3):
                await hub.publish(Typing("a", "bot", True))
            return await slow.next(), hub.listener_count(A)

    assert asyncio.run(scenario()) == (None, 0)


@pytest.mark.integration
@needs_redis
def test_through_redis_an_event_from_one_replica_reaches_listeners_on_another_once() -> None:
    async def scenario() -> list[dict[str, Any] | None]:
        first, second = RedisHub("redis://127.0.0.1:6379/0"), RedisHub("redis://127.0.0.1:6379/0")
        await first.start()
        await second.start()
        try:
            async with second.subscribe(investor_channel("conv-redis-test")) as listener:
                await asyncio.sleep(0.2)  # let both subscriptions settle
                await first.publish(StateChanged("conv-redis-test", "staff"))
                got = [await asyncio.wait_for(listener.next(), 5)]
                with pytest.raises(TimeoutError):
                    await asyncio.wait_for(listener.next(), 0.3)
                return got
        finally:
            await first.close()
            await second.close()

    assert asyncio.run(scenario()) == [{"type": "state", "state": "staff"}]


def test_a_rate_limit_allows_a_burst_then_one_more_per_interval() -> None:
    now = [0.0]
    limiter = RateLimiter(3, clock=lambda: now[0])
    assert [limiter.take("ip") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("ip") == pytest.approx(20.0)
    assert limiter.take("other") == 0.0
    now[0] = 20.0
    assert limiter.take("ip") == 0.0
    assert limiter.take("ip") > 0


def test_idle_rate_limit_keys_are_forgotten_when_there_are_too_many(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("web.ratelimit.MAX_KEYS", 2)
    now = [0.0]
    limiter = RateLimiter(60, clock=lambda: now[0])
    limiter.take("a")
    limiter.take("b")
    now[0] = 120.0
    limiter.take("c")
    assert len(limiter) == 1


def test_turns_of_one_conversation_run_one_at_a_time_and_their_locks_are_freed() -> None:
    async def scenario() -> tuple[list[str], int]:
        locks, log = KeyedLocks(), []

        async def turn(key: str, name: str) -> None:
            async with locks.hold(key):
                log.append(f"{name} in")
                await asyncio.sleep(0.01)
                log.append(f"{name} out")

        await asyncio.gather(turn("a", "1"), turn("a", "2"), turn("b", "3"))
        return log, len(locks)

    log, left = asyncio.run(scenario())
    assert log.index("1 out") < log.index("2 in")
    assert log.index("3 in") < log.index("1 out")  # another conversation does not wait
    assert left == 0

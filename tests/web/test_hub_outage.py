"""Live push through Redis when Redis goes away: the chat goes on, and push comes back with Redis.

Found by ``python -m bench reliability``: with Redis stopped, every investor message was stored
and then answered 500, because publishing its live event raised.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

import pytest

from bench.private_backing import REDIS_SERVER, PrivateRedis
from funddesk.stack import free_port
from web.events import StateChanged, investor_channel
from web.hub import RedisHub

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not REDIS_SERVER.exists(), reason=f"{REDIS_SERVER} is missing"),
]
CHANNEL = investor_channel("conv-outage")


def test_publishing_while_redis_is_down_still_reaches_this_replicas_listeners_and_redis_takes_over_again() -> None:
    async def scenario(redis: PrivateRedis) -> list[dict[str, Any] | None]:
        hub = RedisHub(redis.url)
        await hub.start()
        try:
            async with hub.subscribe(CHANNEL) as listener:
                await asyncio.sleep(0.2)
                await asyncio.to_thread(redis.stop)
                await hub.publish(StateChanged("conv-outage", "waiting"))  # must not raise
                got = [await asyncio.wait_for(listener.next(), 5)]
                await asyncio.to_thread(redis.start)
                await asyncio.sleep(2.5)  # the reader resubscribes (it retries every second)
                await hub.publish(StateChanged("conv-outage", "staff"))
                got.append(await asyncio.wait_for(listener.next(), 5))
                with pytest.raises(TimeoutError):  # once, not once locally and once through Redis
                    await asyncio.wait_for(listener.next(), 0.5)
                return got
        finally:
            await hub.close()

    with tempfile.TemporaryDirectory() as tmp:
        redis = PrivateRedis(free_port(), Path(tmp) / "redis.log")
        redis.start()
        try:
            got = asyncio.run(scenario(redis))
        finally:
            redis.stop()
    assert got == [{"type": "state", "state": "waiting"}, {"type": "state", "state": "staff"}]

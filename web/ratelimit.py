"""Rate limits: N per minute per key (a client address, a conversation), in process or shared in Redis.

:class:`RateLimiter` is a token bucket in process (one replica): a burst of N, then one more
every 60/N seconds. :class:`SharedRateLimiter` keeps the count in Redis with the ``limits``
library's moving window (a burst of N, then one more as each hit turns a minute old), so every
replica sees one limit. Both answer :meth:`hit` with 0.0 (allowed) or the seconds to wait.
If Redis is unreachable the shared limiter lets the request through and says so in the log:
an outage of the limiter must not become an outage of the chat.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from limits import RateLimitItemPerMinute
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

log = logging.getLogger("web.ratelimit")
KEY_PREFIX = "funddesk:rate"  # beside the live hub's ``funddesk:<channel>``
REDIS_TIMEOUT = 1.0  # seconds; past it the request goes through unlimited

MAX_KEYS = 100_000  # full (idle) buckets are forgotten beyond this many keys


class Limiter(Protocol):
    async def hit(self, key: str) -> float:
        """Count one request for ``key``: 0.0 if allowed, else the seconds until one is."""
        ...

    async def close(self) -> None: ...


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(max(1, per_minute))
        self.refill_per_second = self.capacity / 60.0
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def take(self, key: str) -> float:
        """Spend one token for ``key``: 0.0 if allowed, else the seconds until one is available."""
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= MAX_KEYS:
                self._forget_idle(now)
            bucket = self._buckets[key] = _Bucket(self.capacity, now)
        else:
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.refill_per_second)
            bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.refill_per_second

    async def hit(self, key: str) -> float:
        return self.take(key)

    async def close(self) -> None:
        return None

    def _forget_idle(self, now: float) -> None:
        full_after = self.capacity / self.refill_per_second
        idle = [k for k, b in self._buckets.items() if now - b.updated >= full_after]
        for key in idle:
            del self._buckets[key]

    def __len__(self) -> int:
        return len(self._buckets)


class SharedRateLimiter:
    """``per_minute`` hits per key in a moving minute, counted in Redis under ``name``."""

    def __init__(self, per_minute: int, redis_url: str, name: str, *, clock: Callable[[], float] = time.time) -> None:
        self.item = RateLimitItemPerMinute(max(1, per_minute))
        self.name = name
        self._clock = clock
        self._storage = RedisStorage(
            "async+" + redis_url,
            implementation="redispy",
            wrap_exceptions=True,
            key_prefix=KEY_PREFIX,
            socket_timeout=REDIS_TIMEOUT,
            socket_connect_timeout=REDIS_TIMEOUT,
        )
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._unavailable = False  # logged once per outage, not once per request

    async def hit(self, key: str) -> float:
        try:
            allowed = await self._limiter.hit(self.item, self.name, key)
            stats = None if allowed else await self._limiter.get_window_stats(self.item, self.name, key)
        except StorageError as exc:
            if not self._unavailable:
                log.warning("rate limit %s not applied: Redis unavailable (%s)", self.name, exc.storage_error)
            self._unavailable = True
            return 0.0
        if self._unavailable:
            log.info("rate limit %s applied again: Redis is back", self.name)
            self._unavailable = False
        return 0.0 if stats is None else max(stats.reset_time - self._clock(), 0.001)

    async def close(self) -> None:
        """Close this replica's connections; the counts stay (they are every replica's)."""
        client = getattr(self._storage.bridge, "storage", None)
        if client is not None:
            await client.aclose()


def make_limiter(per_minute: int, redis_url: str, name: str) -> Limiter:
    """Shared in Redis when ``redis_url`` is set, else in process."""
    return SharedRateLimiter(per_minute, redis_url, name) if redis_url else RateLimiter(per_minute)

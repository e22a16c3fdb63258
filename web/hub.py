"""Live push: every event on a channel reaches each listener of that channel.

Channels are named in :mod:`web.events`: a conversation's investor side, its staff side, and
each team's queue. A listener may listen to several channels and change them while it lives
(the console watches the conversation it has open).

:class:`LocalHub` fans out in process (one replica). :class:`RedisHub` is the seam for several
replicas: it publishes every event to Redis (``funddesk:<channel>``), and one reader task per
replica delivers what Redis sends back to that replica's local listeners, so each listener sees
each event once whichever replica produced it.

A listener is a bounded queue. One that falls behind by ``QUEUE_SIZE`` events is dropped (its
WebSocket closes and the client reconnects and reloads) rather than slowing everyone.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol

from web.events import Event

log = logging.getLogger("web.hub")
QUEUE_SIZE = 256
CHANNEL_PREFIX = "funddesk:"
PUBLISH_TIMEOUT = 1.0  # seconds; a Redis that hangs is treated like one that is down


class Listener:
    """One subscriber's queue of JSON events; ``None`` means it was dropped."""

    def __init__(self) -> None:
        self.channels: set[str] = set()
        self.queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(QUEUE_SIZE)

    async def next(self) -> dict[str, Any] | None:
        return await self.queue.get()


class Hub(Protocol):
    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def publish(self, event: Event) -> None: ...

    def subscribe(self, *channels: str) -> contextlib.AbstractAsyncContextManager[Listener]: ...

    def listen(self, listener: Listener, channel: str) -> None: ...

    def unlisten(self, listener: Listener, channel: str) -> None: ...


class LocalHub:
    def __init__(self) -> None:
        self._listeners: dict[str, set[Listener]] = defaultdict(set)

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        for listener in {listener for listeners in self._listeners.values() for listener in listeners}:
            self._drop(listener)

    async def publish(self, event: Event) -> None:
        self.deliver(event.channel, event.as_json())

    def deliver(self, channel: str, data: dict[str, Any]) -> None:
        for listener in list(self._listeners.get(channel, ())):
            try:
                listener.queue.put_nowait(data)
            except asyncio.QueueFull:
                log.warning("dropping a slow listener of %s", channel)
                self._drop(listener)

    def listen(self, listener: Listener, channel: str) -> None:
        listener.channels.add(channel)
        self._listeners[channel].add(listener)

    def unlisten(self, listener: Listener, channel: str) -> None:
        listener.channels.discard(channel)
        listeners = self._listeners.get(channel)
        if listeners is not None:
            listeners.discard(listener)
            if not listeners:
                del self._listeners[channel]

    def _drop(self, listener: Listener) -> None:
        self._remove(listener)
        while not listener.queue.empty():
            listener.queue.get_nowait()
        listener.queue.put_nowait(None)

    def _remove(self, listener: Listener) -> None:
        for channel in list(listener.channels):
            self.unlisten(listener, channel)

    @asynccontextmanager
    async def subscribe(self, *channels: str) -> AsyncIterator[Listener]:
        listener = Listener()
        for channel in channels:
            self.listen(listener, channel)
        try:
            yield listener
        finally:
            self._remove(listener)

    def listener_count(self, channel: str | None = None) -> int:
        if channel is not None:
            return len(self._listeners.get(channel, ()))
        return len({listener for listeners in self._listeners.values() for listener in listeners})


class RedisHub(LocalHub):
    """Cross-replica fan-out through Redis pub/sub (``redis_url``)."""

    def __init__(self, url: str) -> None:
        super().__init__()
        import redis.asyncio as redis  # only when configured
        from redis.exceptions import RedisError

        self._redis = redis.from_url(url)
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        self._reader: asyncio.Task[None] | None = None
        self._redis_error = RedisError
        self._unavailable = False  # logged once per outage, not once per event

    async def start(self) -> None:
        await self._pubsub.psubscribe(CHANNEL_PREFIX + "*")
        self._reader = asyncio.create_task(self._read(), name="funddesk-redis-hub")

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        await self._redis.aclose()
        await super().close()

    async def publish(self, event: Event) -> None:
        """Through Redis; while Redis is down, to this replica's listeners only. Live push is a
        courtesy on top of stored messages (the answer carries them, a reconnecting widget reloads
        the history), so an outage of Redis must not fail the request that published."""
        try:
            await asyncio.wait_for(
                self._redis.publish(CHANNEL_PREFIX + event.channel, json.dumps(event.as_json())), PUBLISH_TIMEOUT
            )
        except (self._redis_error, TimeoutError) as exc:
            if not self._unavailable:
                log.warning("redis hub: publishing failed (%s); live events reach this replica's listeners only", exc)
            self._unavailable = True
            self.deliver(event.channel, event.as_json())
            return
        if self._unavailable:
            log.info("redis hub: publishing through Redis again")
            self._unavailable = False

    async def _read(self) -> None:
        while True:
            try:
                async for message in self._pubsub.listen():
                    channel = message["channel"]
                    channel = channel.decode() if isinstance(channel, bytes) else str(channel)
                    self.deliver(channel.removeprefix(CHANNEL_PREFIX), json.loads(message["data"]))
            except asyncio.CancelledError:
                raise
            except Exception:  # a Redis hiccup must not end live push for good
                log.warning("redis hub: reading failed, retrying in 1s", exc_info=True)
                await asyncio.sleep(1.0)


def make_hub(redis_url: str) -> LocalHub:
    return RedisHub(redis_url) if redis_url else LocalHub()

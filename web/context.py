"""What lives on ``app.ctx`` once the server has started, and the typed aliases views use."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from types import SimpleNamespace
from typing import TYPE_CHECKING, TypeVar, cast

from sanic import Request, Sanic
from sanic.config import Config
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from escalation.staff.hours import BusinessHours
from escalation.staff.teams import Router
from funddesk.db import CommitUncertain, ConnectionLost, Database
from funddesk.settings import Settings
from web.hub import LocalHub
from web.rasa_client import RasaClient
from web.ratelimit import Limiter

if TYPE_CHECKING:
    from web.metrics import WebMetrics

T = TypeVar("T")
log = logging.getLogger("web")

# A lost connection is retried at once (the pool reconnects) and then less and less eagerly, so a
# restart that takes seconds costs the database a handful of attempts per request, not hundreds.
DB_FIRST_PAUSE = 0.05
DB_LONGEST_PAUSE = 1.0


class KeyedLocks:
    """One asyncio lock per key (a conversation's turns run one at a time), freed when unused."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


class TokenHashes:
    """Conversation id -> its token's hash, for the most recently used conversations.

    A token never changes, so a cached hash spares a database read on every message.
    """

    def __init__(self, size: int = 50_000) -> None:
        self._size = size
        self._hashes: OrderedDict[str, str] = OrderedDict()

    def get(self, conversation_id: str) -> str | None:
        found = self._hashes.get(conversation_id)
        if found is not None:
            self._hashes.move_to_end(conversation_id)
        return found

    def put(self, conversation_id: str, token_hash: str) -> None:
        self._hashes[conversation_id] = token_hash
        self._hashes.move_to_end(conversation_id)
        while len(self._hashes) > self._size:
            self._hashes.popitem(last=False)


class WebContext:
    """``settings`` is there from the start; the rest is opened in ``before_server_start``."""

    settings: Settings
    db: Database
    rasa: RasaClient
    hub: LocalHub
    conversation_limit: Limiter
    client_limit: Limiter
    login_limit: Limiter
    turn_locks: KeyedLocks
    token_hashes: TokenHashes
    widget_assets: dict[str, tuple[bytes, str]]
    demo_html: str
    router: Router  # which team's queue a hand-off goes to
    hours: BusinessHours
    console_assets: dict[str, tuple[bytes, str]]
    consoles: Counter[str]  # open console WebSockets per staff session, in this process
    metrics: WebMetrics  # set by create_app

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.consoles = Counter()

    async def run_db(self, work: Callable[[Session], T], *, write: bool = False) -> T:
        """Run one unit of work in a worker thread (the database drivers block).

        A unit that lost its connection before committing (a PostgreSQL restart cuts every
        connection) runs again on a new one, after pauses doubling from 50 ms, for up to
        ``db_retry_seconds``; then the driver's error makes a 503 (:mod:`web.errors`). One that
        lost it while committing runs again only if the server says it did not commit; if it
        did, its result stands. ``work`` must therefore keep its effects in the session, where a
        failed attempt rolls them back.
        """
        retry = Backoff(self.settings.db_retry_seconds)
        while True:
            try:
                return await asyncio.to_thread(self.db.attempt, work, write=write)
            except ConnectionLost as lost:
                await retry.pause_or_raise(lost)
            except CommitUncertain as uncertain:
                if await self._committed(uncertain, retry):
                    log.warning("%s; it had committed", uncertain)
                    return cast(T, uncertain.result)
                await retry.pause_or_raise(uncertain)  # it rolled back: run it again

    async def _committed(self, uncertain: CommitUncertain, retry: Backoff) -> bool:
        """Whether the transaction committed, asked until the server is back and knows."""
        while True:
            try:
                committed = await asyncio.to_thread(self.db.committed, uncertain.xid)
            except (OperationalError, InterfaceError):  # not back yet
                committed = None
            if committed is not None:
                return committed
            await retry.pause_or_raise(uncertain)


class Backoff:
    """Pauses doubling from ``DB_FIRST_PAUSE`` up to ``DB_LONGEST_PAUSE``, for ``seconds`` in all."""

    def __init__(self, seconds: float) -> None:
        self._loop = asyncio.get_running_loop()
        self._give_up = self._loop.time() + seconds
        self._pause = DB_FIRST_PAUSE

    async def pause_or_raise(self, reason: Exception) -> None:
        """Wait before the next try or, once the time is spent, raise the driver's error (a 503)."""
        if self._loop.time() + self._pause > self._give_up:
            raise reason.__cause__ or reason from None
        log.warning("%s; trying again in %.2f s", reason, self._pause)
        await asyncio.sleep(self._pause)
        self._pause = min(2 * self._pause, DB_LONGEST_PAUSE)


WebApp = Sanic[Config, WebContext]
WebRequest = Request[WebApp, SimpleNamespace]

"""What lives on ``app.ctx`` once the server has started, and the typed aliases views use."""

from __future__ import annotations

import asyncio
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from types import SimpleNamespace
from typing import TYPE_CHECKING, TypeVar

from sanic import Request, Sanic
from sanic.config import Config
from sqlalchemy.orm import Session

from escalation.staff.hours import BusinessHours
from escalation.staff.teams import Router
from funddesk.db import Database
from funddesk.settings import Settings
from web.hub import LocalHub
from web.rasa_client import RasaClient
from web.ratelimit import Limiter

if TYPE_CHECKING:
    from web.metrics import WebMetrics

T = TypeVar("T")


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
        """Run one unit of work in a worker thread (the database drivers block)."""

        def unit() -> T:
            with self.db.session(write=write) as session:
                return work(session)

        return await asyncio.to_thread(unit)


WebApp = Sanic[Config, WebContext]
WebRequest = Request[WebApp, SimpleNamespace]

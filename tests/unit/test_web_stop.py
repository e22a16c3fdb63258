"""The web service's stop closes everything it opened, each whatever the one before raised."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any, cast

import pytest

from web.app import close_services


class Closes:
    def __init__(self) -> None:
        self.closed = False

    async def close(self) -> None:
        self.closed = True


class RedisGone:
    async def close(self) -> None:
        raise ConnectionError("Redis is gone")


def test_a_hub_that_fails_to_close_leaves_the_rasa_client_the_limits_and_the_database_closed() -> None:
    """Before, the first closer that raised (the hub, with Redis gone at the stop) left the rest open."""
    disposed: list[bool] = []
    ctx = SimpleNamespace(
        hub=RedisGone(), rasa=Closes(), conversation_limit=Closes(), client_limit=Closes(), login_limit=Closes(),
        db=SimpleNamespace(dispose=lambda: disposed.append(True)),
    )  # fmt: skip
    with pytest.raises(ConnectionError, match="Redis is gone"):  # still said
        asyncio.run(close_services(cast(Any, SimpleNamespace(ctx=ctx))))
    assert ctx.rasa.closed and ctx.conversation_limit.closed and ctx.client_limit.closed and ctx.login_limit.closed
    assert disposed == [True]


def test_a_service_that_never_opened_stops_without_an_error() -> None:
    asyncio.run(close_services(cast(Any, SimpleNamespace(ctx=SimpleNamespace()))))

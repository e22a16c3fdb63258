"""Rate limits across replicas: in process by default, one shared count in the real Redis when configured."""

from __future__ import annotations

import asyncio

import pytest

from funddesk.stack import free_port
from tests.services import REDIS_URL, needs_redis
from tests.web.conftest import MakeApi
from web.ratelimit import RateLimiter, SharedRateLimiter, make_limiter


def test_without_redis_each_replica_keeps_its_own_limit(make_api: MakeApi) -> None:
    first, second = make_api(web_rate_conversation=2), make_api(web_rate_conversation=2)
    conversation_id, headers = first.start()
    statuses = [api.say(conversation_id, headers, text="hello").status_code for api in (first, second, first, second)]
    assert statuses == [200, 200, 200, 200]
    assert isinstance(make_limiter(2, "", "conversation"), RateLimiter)


@pytest.mark.integration
@needs_redis
def test_with_redis_two_replicas_count_one_conversation_against_one_limit(make_api: MakeApi) -> None:
    first = make_api(redis_url=REDIS_URL, web_rate_conversation=3)
    second = make_api(redis_url=REDIS_URL, web_rate_conversation=3)
    conversation_id, headers = first.start()  # a fresh id: no other test shares its count
    statuses = [api.say(conversation_id, headers, text="hello").status_code for api in (first, second, first)]
    refused = second.say(conversation_id, headers, text="hello")
    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "conversation_rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 60


@pytest.mark.integration
@needs_redis
def test_a_shared_limit_says_how_long_to_wait_until_its_oldest_hit_is_a_minute_old() -> None:
    async def scenario() -> list[float]:
        limiter = SharedRateLimiter(2, REDIS_URL, f"test-{free_port()}")
        try:
            return [await limiter.hit("key") for _ in range(3)]
        finally:
            await limiter.close()

    waits = asyncio.run(scenario())
    assert waits[:2] == [0.0, 0.0]
    assert 55 < waits[2] <= 60


def test_a_shared_limit_lets_requests_through_while_redis_is_unreachable(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> list[float]:
        limiter = SharedRateLimiter(1, f"redis://127.0.0.1:{free_port()}/0", "conversation")
        try:
            return [await limiter.hit("key") for _ in range(3)]
        finally:
            await limiter.close()

    assert asyncio.run(scenario()) == [0.0, 0.0, 0.0]
    assert caplog.text.count("Redis unavailable") == 1  # once per outage, not once per request

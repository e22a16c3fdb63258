"""The load benchmarks' investors: a conversation handed to a person is an answer, not an error."""

from __future__ import annotations

import asyncio
import json

import httpx

from bench import web_bench


def reply(role: str, text: str) -> dict[str, str]:
    return {"role": role, "text": text}


# What the investor API answers to each question of this script (the complaint hands the conversation over).
ANSWERS = {
    "fee?": (200, {"messages": [reply("bot", "1.5%")], "state": "bot"}),
    "I want to complain": (
        200,
        {"messages": [reply("bot", "Sorry."), reply("system", "Passing you on.")], "state": "waiting"},
    ),
    "hello?": (200, {"messages": [], "state": "waiting"}),
    "down": (200, {"messages": [reply("system", "The assistant is unavailable.")], "state": "bot"}),
    "silent": (200, {"messages": [], "state": "bot"}),
    "broken": (500, {"error": {"code": "internal"}}),
}


def api(started: list[str]) -> httpx.AsyncClient:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/conversations":
            started.append(f"c{len(started)}")
            return httpx.Response(201, json={"conversation_id": started[-1], "token": "t"})
        status, body = ANSWERS[json.loads(request.content)["text"]]
        return httpx.Response(status, json=body)

    return httpx.AsyncClient(base_url="http://funddesk/api/v1", transport=httpx.MockTransport(answer))


def asked(texts: list[str]) -> tuple[web_bench.Tally, list[str | None]]:
    async def run() -> tuple[web_bench.Tally, list[str | None]]:
        started: list[str] = []
        tally = web_bench.Tally()
        async with api(started) as http:
            conversation, auth = await web_bench._start(http)
            states = [await web_bench._ask(http, tally, conversation, auth, text) for text in texts]
        return tally, states

    return asyncio.run(run())


def test_an_answer_and_a_hand_off_to_a_person_both_count_as_accepted_with_their_replies() -> None:
    tally, states = asked(["fee?", "I want to complain", "hello?"])
    assert states == ["bot", "waiting", "waiting"]
    assert tally.errors == []
    assert tally.accepted == {"c0": 3}
    assert tally.replies == {"c0": 3}  # what the database must hold besides the investor's messages
    assert len(tally.latencies) == 3


def test_a_bot_that_stays_silent_fails_or_answers_with_a_system_notice_is_an_error() -> None:
    tally, states = asked(["down", "silent", "broken"])
    assert states == [None, None, None]
    assert len(tally.errors) == 3
    assert tally.accepted == {}
    assert tally.errors[-1].startswith("500: ")


def test_an_eager_investor_starts_a_new_conversation_once_the_bot_handed_the_last_one_to_a_person() -> None:
    questions = ("fee?", "I want to complain", "fee?", "fee?")

    async def run() -> tuple[web_bench.Tally, list[str]]:
        started: list[str] = []
        tally = web_bench.Tally()
        async with api(started) as http:
            loop = asyncio.get_running_loop()
            await asyncio.wait_for(web_bench._eager(http, tally, questions, loop.time() + 0.05, length=8), 5)
        return tally, started

    tally, started = asyncio.run(run())
    assert tally.errors == []
    assert len(started) >= 2  # the complaint ended the first conversation
    assert set(tally.accepted) == set(started) or set(tally.accepted) == set(started[:-1])
    assert tally.accepted["c0"] == 2  # the question and the complaint; the next question went to a new conversation

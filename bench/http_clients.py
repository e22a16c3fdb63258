"""The client's CPU per call to a local JSON server: httpx against aiohttp, as the web service calls Rasa.

    python -m bench.http_clients [--calls 3000] [--concurrency 1 4 16]   # prints one JSON object

The server (aiohttp, in its own process) answers the REST channel's shape: a list of two items. The
client posts a turn's body, reads the JSON back, and only this process's CPU time is counted, so the
figure is what each library costs the caller. Both pool their connections, as the web service does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import httpx
from aiohttp import web

PATH = "/webhooks/rest/webhook"
REPLY = [
    {"recipient_id": "c1", "text": "Redemption money usually reaches your bank card one to three working days later."},
    {"recipient_id": "c1", "custom": {"type": "faq_match", "faq_id": "redemption-arrival", "faq_score": 0.8}},
]
TURN = {"sender": "c1", "message": "How long until my redemption money arrives?", "metadata": {"lang": "en"}}


def _serve(port: int) -> None:
    async def answer(request: web.Request) -> web.Response:
        await request.json()
        return web.json_response(REPLY)

    app = web.Application()
    app.router.add_post(PATH, answer)
    web.run_app(app, host="127.0.0.1", port=port, print=None, handle_signals=True)


async def _client(kind: str, url: str) -> tuple[Callable[[], Awaitable[Any]], Callable[[], Awaitable[None]]]:
    if kind == "httpx":
        client = httpx.AsyncClient(base_url=url, limits=httpx.Limits(max_connections=64, max_keepalive_connections=32))

        async def call_httpx() -> Any:
            response = await client.post(PATH, json=TURN)
            response.raise_for_status()
            return response.json()

        return call_httpx, client.aclose
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64))

    async def call_aiohttp() -> Any:
        async with session.post(url + PATH, json=TURN) as response:
            response.raise_for_status()
            return json.loads(await response.read())

    return call_aiohttp, session.close


async def cpu_per_call(kind: str, url: str, calls: int, concurrency: int) -> float:
    """Milliseconds of this process's CPU per call, ``calls`` spread over ``concurrency`` tasks."""
    call, close = await _client(kind, url)

    async def worker(n: int) -> None:
        for _ in range(n):
            await call()

    try:
        await worker(50)  # connections opened, code warm
        start = time.process_time()
        await asyncio.gather(*(worker(calls // concurrency) for _ in range(concurrency)))
        return round(1000 * (time.process_time() - start) / (calls // concurrency * concurrency), 3)
    finally:
        await close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.http_clients", description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    args = parser.parse_args(argv)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = multiprocessing.get_context("spawn").Process(target=_serve, args=(port,), daemon=True)
    server.start()
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):  # until it listens
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.1)
        found = {
            f"{kind}_cpu_ms": {n: asyncio.run(cpu_per_call(kind, url, args.calls, n)) for n in args.concurrency}
            for kind in ("httpx", "aiohttp")
        }
    finally:
        server.terminate()
        server.join()
    print(json.dumps(found))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Asking Rasa must not search the import path on every request.

httpcore imports ``sniffio`` each time it sends a request and falls back to asyncio when that fails.
A failed import is not cached, so without the package every call to Rasa searched ``sys.path`` again:
4.7% of the web service's busy samples at saturation (py-spy, 2026-12-05). ``requirements.txt`` pins it.
The client now talks aiohttp; this keeps any library on its path from doing the same.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Sequence
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType

from tests.doubles.fake_rasa import serve
from web.rasa_client import RasaClient


class _Lookups(MetaPathFinder):
    """Records every module the import system has to look for (modules already loaded are never looked for)."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        self.names.append(fullname)
        return None


async def _turns(url: str, count: int, lookups: _Lookups) -> list[int]:
    """How many replies each of ``count`` turns got, the first one sent before ``lookups`` listens."""
    rasa = RasaClient(url, timeout=5.0)
    try:
        await rasa.send("investor-1", "How long until my redemption money arrives?")
        sys.meta_path.insert(0, lookups)
        try:
            replies = [
                await rasa.send("investor-1", "How long until my redemption money arrives?") for _ in range(count)
            ]
        finally:
            sys.meta_path.remove(lookups)
    finally:
        await rasa.close()
    return [len(reply) for reply in replies]


def test_turns_sent_to_rasa_look_up_no_module_once_the_first_one_is_sent() -> None:
    server = serve()  # the fake Rasa's REST channel, over real HTTP: the client's own path to Rasa
    threading.Thread(target=server.serve_forever, daemon=True).start()
    lookups = _Lookups()
    try:
        replies = asyncio.run(_turns(f"http://127.0.0.1:{server.server_address[1]}", 5, lookups))
    finally:
        server.shutdown()
    assert all(replies)
    assert lookups.names == []

"""Rasa's action calls on kept connections answer as Rasa's own one-connection-a-call: checked in Rasa's environment."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from tests.integration.in_rasa import run_in_rasa

pytestmark = pytest.mark.integration

# Runs in .venv-rasa: the same calls through Rasa's own EndpointConfig.request and through the kept one,
# against a stand-in action server that records which connection each call came on.
CHECK = textwrap.dedent(
    """
    import asyncio, json, re
    import aiohttp
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig
    from bot import kept_connections

    own = EndpointConfig.request
    kept_connections.apply()
    kept = EndpointConfig.request
    server = {"peers": [], "status": 200, "hang_up_after_first": False}

    async def action_server(reader, writer):
        peer, served = writer.get_extra_info("peername"), 0
        while True:
            try:
                head = await reader.readuntil(b"\\r\\n\\r\\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                break
            body = await reader.readexactly(int(re.search(rb"content-length: *(\\d+)", head, re.I).group(1)))
            if server["hang_up_after_first"] and served:  # it closed this kept connection as the call came
                break
            server["peers"].append(peer)
            out = json.dumps({"events": [], "responses": [{"text": json.loads(body)["next_action"]}]}).encode()
            writer.write(b"HTTP/1.1 %d X\\r\\nContent-Type: application/json\\r\\nContent-Length: %d\\r\\n\\r\\n%s"
                         % (server["status"], len(out), out))
            await writer.drain()
            served += 1
        writer.close()

    async def calls(request, endpoint, n):
        replies, errors = [], []
        for i in range(n):
            try:
                replies.append(await request(endpoint, json={"next_action": f"a{i}", "tracker": {"events": []}},
                                             method="post", timeout=DEFAULT_REQUEST_TIMEOUT, compress=False))
            except Exception as e:
                errors.append([type(e).__name__, getattr(e, "status", None), repr(getattr(e, "text", None))])
        return replies, errors

    async def both(endpoint, n=3, **setting):
        found = {}
        for name, request in (("own", own), ("kept", kept)):
            server.update({"peers": [], "status": 200, "hang_up_after_first": False, **setting})
            replies, errors = await calls(request, endpoint, n)
            found[name] = {"replies": replies, "errors": errors, "connections": len(set(server["peers"]))}
        return found

    async def main():
        listening = await asyncio.start_server(action_server, "127.0.0.1", 0)
        port = listening.sockets[0].getsockname()[1]
        endpoint = EndpointConfig(url=f"http://127.0.0.1:{port}/webhook")
        out = {
            "answered": await both(endpoint),
            "hung_up": await both(endpoint, hang_up_after_first=True),
            "rejected": await both(endpoint, n=2, status=400),
        }
        listening.close()
        await listening.wait_closed()
        out["sessions_before_close"] = len(kept_connections._sessions)
        await kept_connections.close_sessions()
        out["sessions_after_close"] = len(kept_connections._sessions)
        out["refused"] = await both(endpoint, n=1)
        await kept_connections.close_sessions()
        # A finished loop whose id this loop now has (CPython reuses ids) left a session it can no longer close.
        class Finished:
            pass
        left = aiohttp.ClientSession()
        kept_connections._sessions[id(asyncio.get_running_loop())] = (Finished(), {("left",): left})
        kept_connections.session_for(endpoint)
        out["left_closed"] = left.connector is None or left.connector.closed
        await kept_connections.close_sessions()
        print(json.dumps(out))

    asyncio.run(main())
    """
)


@pytest.fixture(scope="module")
def found() -> dict[str, Any]:
    checked: dict[str, Any] = run_in_rasa(CHECK, timeout=300).found  # the JSON the check printed
    return checked


def test_kept_connections_give_the_same_replies_on_one_connection(found: dict[str, Any]) -> None:
    answered = found["answered"]
    assert answered["kept"]["replies"] == answered["own"]["replies"]
    assert [r["responses"][0]["text"] for r in answered["kept"]["replies"]] == ["a0", "a1", "a2"]
    assert (answered["own"]["connections"], answered["kept"]["connections"]) == (3, 1)


def test_a_call_on_a_connection_the_server_just_closed_is_sent_again_on_a_new_one(found: dict[str, Any]) -> None:
    hung_up = found["hung_up"]
    assert hung_up["kept"]["errors"] == [] and hung_up["kept"]["replies"] == hung_up["own"]["replies"]
    assert hung_up["kept"]["connections"] == 3


def test_errors_are_rasas_own(found: dict[str, Any]) -> None:
    assert found["rejected"]["kept"]["errors"] == found["rejected"]["own"]["errors"]
    assert [e[:2] for e in found["rejected"]["kept"]["errors"]] == [["ClientResponseError", 400]] * 2
    assert found["refused"]["kept"]["errors"] == found["refused"]["own"]["errors"]
    assert found["refused"]["kept"]["errors"][0][0] == "ClientConnectorError"


def test_the_sessions_close_with_the_server(found: dict[str, Any]) -> None:
    assert (found["sessions_before_close"], found["sessions_after_close"]) == (1, 0)


def test_a_session_left_by_a_finished_loop_under_a_reused_id_is_closed_not_dropped(found: dict[str, Any]) -> None:
    assert found["left_closed"] is True

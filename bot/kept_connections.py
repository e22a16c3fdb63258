"""Rasa's calls to the action server on kept connections, not a new one each time.

Rasa 3.6's ``EndpointConfig.request`` opens a new ``aiohttp.ClientSession`` for every call, so every
action call pays for a new connector, a name lookup, a TCP connection and its teardown, on Rasa's
event loop (about 8 % of the loop's time holding the GIL at 16 clients, 2026-12-05) and on the action
server; under load the machine also collects a socket in TIME_WAIT per call. Here each event loop keeps
one session per endpoint setting (headers, auth), with no limit on connections (as before: each call
had its own), and the request is otherwise Rasa's own: same URL, headers, parameters, errors and reply.

A kept connection can be one the server has just closed (its process killed, or its idle timeout;
Sanic's is 120 s and nginx's 75 s, both above aiohttp's 15 s, so normally the client closes first).
A call sent on it fails with the server hanging up, almost always before the server read it, so such
a call is sent once more, on a new connection. Only that failure is retried (the server hung up, or
the socket broke); a refused connection, a timeout or an error status is Rasa's to handle, as before.
In the rare case that the server had run the action, it runs twice: what nginx already does in the
production profile when an action server dies mid-call (``proxy_next_upstream non_idempotent``), and
harmless for an FAQ answer.

Sessions close with the server (Rasa's ``close_resources``), or, if their loop is already gone, when a new loop
takes its id or at exit.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import ssl
from typing import Any

log = logging.getLogger(__name__)

# loop id -> (loop, {endpoint setting: session}); the loop is kept to tell a new loop from a reused id.
_sessions: dict[int, tuple[asyncio.AbstractEventLoop, dict[tuple[Any, ...], Any]]] = {}


def apply() -> None:
    """Patch ``EndpointConfig.request`` and Rasa's ``close_resources`` (Rasa 3.6.21: see :mod:`bot.speedups`)."""
    import rasa.core.run
    from rasa.utils.endpoints import EndpointConfig

    EndpointConfig.request = request  # type: ignore[method-assign]
    original_close = rasa.core.run.close_resources

    async def close_resources(app: Any, loop: Any) -> None:
        await original_close(app, loop)
        await close_sessions()

    rasa.core.run.close_resources = close_resources
    atexit.register(_close_left_sessions)


def session_for(endpoint: Any) -> Any:
    """This loop's kept session for ``endpoint``'s headers and auth (what Rasa's ``session()`` sets)."""
    import aiohttp
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT

    loop = asyncio.get_running_loop()
    held = _sessions.get(id(loop))
    if held is None or held[0] is not loop:
        if held is not None:  # a new loop under a finished loop's id: that loop cannot close its sessions any more
            _close_connectors(held[1].values())
        held = _sessions[id(loop)] = (loop, {})
    auth = endpoint.basic_auth or {}
    key = (tuple(sorted((endpoint.headers or {}).items())), auth.get("username"), auth.get("password"))
    session = held[1].get(key)
    if session is None or session.closed:
        session = held[1][key] = aiohttp.ClientSession(
            headers=endpoint.headers,
            auth=aiohttp.BasicAuth(auth["username"], auth["password"]) if auth else None,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(limit=0),  # one connection per concurrent call, as before
        )
    return session


async def request(
    self: Any,
    method: str = "post",
    subpath: str | None = None,
    content_type: str | None = "application/json",
    compress: bool = False,
    **kwargs: Any,
) -> Any | None:
    """Rasa's ``EndpointConfig.request`` (3.6.21) on this loop's kept session."""
    import aiohttp
    from aiohttp import ContentTypeError
    from rasa.shared.exceptions import FileNotFoundException
    from rasa.utils.endpoints import ClientResponseError, concat_url

    headers = {}
    if content_type:
        headers["Content-Type"] = content_type
    if "headers" in kwargs:
        headers.update(kwargs.pop("headers"))
    if self.headers:
        headers.update(self.headers)
    url = concat_url(self.url, subpath)
    sslcontext = None
    if self.cafile:
        try:
            sslcontext = ssl.create_default_context(cafile=self.cafile)
        except FileNotFoundError as e:
            raise FileNotFoundException(
                f"Failed to find certificate file, '{os.path.abspath(self.cafile)}' does not exist."
            ) from e
    params = self.combine_parameters(kwargs)
    for attempt in (1, 2):
        try:
            async with session_for(self).request(
                method, url, headers=headers, params=params, compress=compress, ssl=sslcontext, **kwargs
            ) as response:
                if response.status >= 400:
                    raise ClientResponseError(response.status, response.reason, await response.content.read())
                try:
                    return await response.json()
                except ContentTypeError:
                    return None
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as e:
            if attempt == 2 or isinstance(e, aiohttp.ClientConnectorError):  # refused: nothing kept to blame
                raise
            log.info("kept connection to %s was closed (%s); sending the call again on a new one", url, e)
    raise AssertionError("unreachable")


async def close_sessions() -> None:
    """Close this loop's kept sessions (the server is stopping)."""
    held = _sessions.pop(id(asyncio.get_running_loop()), None)
    for session in held[1].values() if held else ():
        await session.close()


def _close_left_sessions() -> None:
    """At exit: close what a loop that never ran ``close_resources`` left, without it (it is gone)."""
    for _, sessions in _sessions.values():
        _close_connectors(sessions.values())
    _sessions.clear()


def _close_connectors(sessions: Any) -> None:
    for session in sessions:
        connector = session.connector
        if connector is not None and not connector.closed:
            connector._close()  # aiohttp 3.9: the synchronous part of close(); no loop needed

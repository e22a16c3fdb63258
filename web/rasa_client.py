"""Talking to Rasa through its REST channel, and reading the bot's answers back.

``POST {rasa_url}/webhooks/rest/webhook`` with ``{"sender", "message", "metadata"}`` answers a
list of items. Rasa's REST channel splits one bot utterance into several items: the text at each
blank line (``"\\n\\n"``), and the ``json_message`` the action attached as a separate
``{"custom": {...}}`` item right after it. :func:`parse_items` puts them back together:

* consecutive text items form one message (joined with blank lines again);
* an item with buttons is one message of its own (Rasa never splits those);
* a ``custom`` item is the payload of the message just before it (:mod:`funddesk.bot_payload`:
  the matched entry, feedback or a hand-off request) and closes it; a ``custom`` with a ``text``
  of its own is a message.

The transport is a seam: tests pass an ``httpx.MockTransport``; the service itself talks aiohttp.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict

import aiohttp
import httpx

from funddesk.bot_payload import FaqMatch, Feedback, HandoffRequest, Payload, parse
from web.errors import RasaUnavailable

log = logging.getLogger("web.rasa")
REST_PATH = "/webhooks/rest/webhook"
KEEP_IDLE_S = 3.0  # below the 5 s after which Rasa's Sanic closes an idle connection


class ButtonJson(TypedDict):
    title: str
    payload: str


class RestRequest(TypedDict):
    sender: str
    message: str
    metadata: dict[str, Any]


@dataclass
class BotReply:
    """One bot message as the investor sees it, plus the audit the action attached."""

    text: str = ""
    buttons: list[ButtonJson] = field(default_factory=list)
    custom: dict[str, Any] | None = None

    @property
    def payload(self) -> Payload | None:
        return parse(self.custom)

    @property
    def entry_id(self) -> str | None:
        payload = self.payload
        return payload.faq_id if payload is not None else None

    @property
    def entry_version(self) -> str | None:
        payload = self.payload
        return payload.faq_version if isinstance(payload, FaqMatch | Feedback) else None

    @property
    def score(self) -> float | None:
        payload = self.payload
        return payload.faq_score if isinstance(payload, FaqMatch) else None

    @property
    def decision(self) -> str | None:
        payload = self.payload
        return payload.decision if isinstance(payload, FaqMatch) else None

    @property
    def language(self) -> str | None:
        payload = self.payload
        return payload.lang if isinstance(payload, FaqMatch | HandoffRequest) else None

    @property
    def kind(self) -> str | None:
        """The custom item's ``type``, ours or another action's."""
        value = (self.custom or {}).get("type")
        return str(value) if value is not None else None


def parse_items(items: object) -> list[BotReply]:
    """Rebuild bot messages from REST channel items (see the module docstring); never raises."""
    replies: list[BotReply] = []
    open_text: BotReply | None = None  # text parts still being joined
    last: BotReply | None = None  # the message a following ``custom`` item belongs to
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, Mapping):
            continue
        text = item.get("text") if isinstance(item.get("text"), str) else None
        buttons = _buttons(item.get("buttons"))
        custom = item.get("custom") if isinstance(item.get("custom"), Mapping) else None
        if text is not None and not buttons:
            if open_text is None:
                open_text = BotReply(text)
                replies.append(open_text)
            else:
                open_text.text = f"{open_text.text}\n\n{text}"
            last = open_text
        elif buttons or text is not None:
            last = BotReply(text or "", buttons)
            replies.append(last)
            open_text = None
        if custom is not None:
            last = _attach(replies, last, dict(custom))
            open_text = None
    return [r for r in replies if r.text or r.buttons]


def _attach(replies: list[BotReply], last: BotReply | None, custom: dict[str, Any]) -> BotReply | None:
    if isinstance(custom.get("text"), str) and (last is None or last.custom is not None):
        reply = BotReply(custom["text"], _buttons(custom.get("buttons")), custom)
        replies.append(reply)
        return None
    if last is not None and last.custom is None:
        last.custom = custom
    else:
        log.debug("custom payload without a message to attach to: %s", custom)
    return None


def _buttons(value: object) -> list[ButtonJson]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        return []
    out: list[ButtonJson] = []
    for button in value:
        if isinstance(button, Mapping) and isinstance(button.get("payload"), str):
            title = button.get("title")
            out.append({"title": str(title) if title is not None else button["payload"], "payload": button["payload"]})
    return out


class RasaClient:
    """One pooled HTTP client to Rasa's REST channel, opened at start and closed at stop.

    On aiohttp: httpx cost the caller 1.06-1.87 ms of CPU per call to a local server, aiohttp
    0.16-0.33 (``python -m bench.http_clients``, 2026-12-05), and this client is on every turn. A ``transport``
    (tests pass an ``httpx.MockTransport``) goes through httpx instead, with the same errors.
    """

    def __init__(self, base_url: str, *, timeout: float, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._timeout = timeout
        self._url = base_url.rstrip("/") + REST_PATH
        self._mock: httpx.AsyncClient | None = None
        self._session: aiohttp.ClientSession | None = None
        if transport is not None:
            self._mock = httpx.AsyncClient(base_url=base_url, timeout=timeout, transport=transport)

    def _pooled(self) -> aiohttp.ClientSession:
        """The session, made on first use: it belongs to the event loop that runs the service."""
        if self._session is None:
            # Idle connections go before Rasa's server drops them (Sanic 21's keep-alive, 5 s), so a
            # turn is never sent on one the server is closing; behind nginx the upstream's is 75 s.
            connector = aiohttp.TCPConnector(limit=64, keepalive_timeout=KEEP_IDLE_S)
            self._session = aiohttp.ClientSession(connector=connector)
        return self._session

    async def send(self, sender: str, message: str, metadata: dict[str, Any] | None = None) -> list[BotReply]:
        """The bot's replies to ``message``; RasaUnavailable if Rasa is down, failing or slow."""
        body: RestRequest = {"sender": sender, "message": message, "metadata": metadata or {}}
        try:
            async with asyncio.timeout(self._timeout):  # the whole exchange, pool waits included
                items = await (self._post_mock(body) if self._mock is not None else self._post(body))
        except (httpx.TimeoutException, TimeoutError) as exc:
            raise RasaUnavailable("Rasa did not answer in time", code="assistant_timeout") from exc
        except (httpx.HTTPError, aiohttp.ClientError, ValueError) as exc:
            raise RasaUnavailable(f"Rasa is unavailable: {exc!r}") from exc
        return parse_items(items)

    async def _post(self, body: RestRequest) -> Any:
        async with self._pooled().post(self._url, json=body) as response:
            response.raise_for_status()
            content = await response.read()
        return json.loads(content)  # whatever its content type, as httpx's response.json()

    async def _post_mock(self, body: RestRequest) -> Any:
        assert self._mock is not None
        response = await self._mock.post(REST_PATH, json=body)
        response.raise_for_status()
        return response.json()

    async def close(self) -> None:
        if self._mock is not None:
            await self._mock.aclose()
        if self._session is not None:
            await self._session.close()

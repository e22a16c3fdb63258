"""A stand-in for Rasa's REST channel, for tests, benchmarks and widget work without a model.

It answers like FundDesk's real bot does, in Rasa's exact REST format: text split at blank
lines, buttons on their own item, and the action's audit as a ``custom`` item after the text::

    python -m tests.doubles.fake_rasa --port 5005      # then FUNDDESK_RASA_PORT=5005 python -m web

Questions about redemption (or 赎回) and the cut-off time are answered, "fee" asks to clarify
between two entries, "markdown test" answers with hostile HTML to show it is sanitized, "person"
(or 人工) and the "Talk to a person" button hand off to staff (a ``handoff_requested`` payload,
team ``service-desk``), ``/back_to_bot`` greets the investor back, and anything else falls
back; a message containing "(slow)" is answered after a second (to watch the typing indicator).
``FakeBot.respond`` is the pure function behind it; ``mock_transport`` wraps it for in-process
tests.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from actions.replies import conversation_lang
from funddesk.bot_payload import FaqMatch, Feedback, HandoffReason, HandoffRequest

Item = dict[str, Any]


@dataclass(frozen=True)
class FakeEntry:
    id: str
    question: str
    answer: str
    lang: str = "en"

    @property
    def version(self) -> str:
        return hashlib.sha256(self.answer.encode()).hexdigest()[:12]


ENTRIES = {
    e.id: e
    for e in (
        FakeEntry(
            "redemption-arrival",
            "How long until redemption money reaches my bank card?",
            "Redemption proceeds normally reach your bank card **T+1 to T+4** trading days after the order.\n\n"
            "- Money market funds: T+1\n- Bond and equity funds: T+3 to T+4\n\n"
            "Check the fund's prospectus for the exact schedule.",
        ),
        FakeEntry(
            "cut-off-time",
            "What is the daily cut-off time?",
            "Orders placed before **15:00** on a trading day get that day's NAV; later orders get the next day's.",
        ),
        FakeEntry("subscription-fee", "What is the subscription fee?", "The subscription fee is **up to 1.5%**."),
        FakeEntry("redemption-fee", "What is the redemption fee?", "The redemption fee is **0.5%** under 7 days."),
        FakeEntry(
            "zh-redemption-arrival", "赎回的钱多久到账？", "赎回款一般在 **T+1 至 T+4** 个交易日内到账。", lang="zh"
        ),
        FakeEntry(
            "markdown-test",
            "markdown test",
            "**Bold** and a [link](https://example.com).\n\n<img src=x onerror=alert(1)> <script>alert(2)</script> "
            "[click](javascript:alert(3))",
        ),
    )
}
KEYWORDS = (
    ("markdown test", "markdown-test"),
    ("赎回", "zh-redemption-arrival"),
    ("redeem", "redemption-arrival"),
    ("redemption", "redemption-arrival"),
    ("cut-off", "cut-off-time"),
    ("cutoff", "cut-off-time"),
    ("15:00", "cut-off-time"),
)
TEXT = {
    "en": {
        "feedback": "Did that answer your question?",
        "yes": "Yes",
        "no": "No",
        "clarify": "I found a few questions that could match. Which one do you mean?",
        "rephrase": "Sorry, I couldn't find an answer to that. Could you rephrase your question?",
        "glad": "Glad I could help! Anything else?",
        "sorry": "Sorry that didn't help. You can rephrase your question, or I can pass you to our staff.",
        "person": "Talk to a person",
        "rephrase_button": "No, I'll rephrase",
        "handoff": "I'll pass you to our support staff.",
        "back": "You're back with the FundDesk assistant. Ask me anything about buying, selling or your account.",
    },
    "zh": {
        "feedback": "这个回答解决您的问题了吗？",
        "yes": "是",
        "no": "否",
        "clarify": "我找到几个可能相关的问题，请问您想问的是哪一个？",
        "rephrase": "抱歉，没有找到相关答案。您能换个说法再问一次吗？",
        "glad": "很高兴能帮到您！还有其他问题吗？",
        "sorry": "抱歉没能解决您的问题。您可以换个说法再问，或者转接人工客服。",
        "person": "转人工客服",
        "rephrase_button": "不用，我换个说法",
        "handoff": "正在为您转接人工客服。",
        "back": "您已回到 FundDesk 智能助手。关于申购、赎回或您的账户，有任何问题都可以问我。",
    },
}
_CHOOSE = re.compile(r"^/choose_faq(\{.*\})$")
SLOW_MARK, SLOW_SECONDS = "(slow)", 1.0


class FakeBot:
    """Remembers, per sender, the last entry answered and the language (for feedback replies)."""

    def __init__(self) -> None:
        self._last: dict[str, tuple[str | None, str]] = {}
        self._lock = threading.Lock()

    def respond(self, body: Any) -> list[Item]:
        sender = str(body.get("sender", "default")) if isinstance(body, dict) else "default"
        message = str(body.get("message", "")) if isinstance(body, dict) else ""
        with self._lock:
            last_id, previous = self._last.get(sender, (None, None))
        lang = conversation_lang(message, previous)  # the real bot's rule: clicks and codes keep the language
        items, answered = self._reply(message, last_id, lang)
        with self._lock:
            self._last[sender] = (answered if answered is not None else last_id, lang)
        return [{"recipient_id": sender, **item} for item in items]

    def _reply(self, message: str, last_id: str | None, lang: str) -> tuple[list[Item], str | None]:
        t = TEXT[lang]
        chosen = _CHOOSE.match(message)
        if chosen:
            entry = ENTRIES.get(str(json.loads(chosen.group(1)).get("faq_id")))
            if entry is not None:
                return answer(entry, "chosen", lang), entry.id
        if message == "/affirm":
            return [{"text": t["glad"]}, {"custom": feedback(last_id, True)}], None
        if message == "/deny":
            buttons = [
                {"title": t["person"], "payload": "/request_human"},
                {"title": t["rephrase_button"], "payload": "/deny"},
            ]
            return [{"text": t["sorry"], "buttons": buttons}, {"custom": feedback(last_id, False)}], None
        lowered = message.lower()
        if message == "/request_human" or re.search(r"\bperson\b", lowered) or "人工" in message:
            custom = HandoffRequest("service-desk", HandoffReason.REQUESTED, lang, last_id).to_json()
            return [{"text": t["handoff"]}, {"custom": custom}], None
        if message == "/back_to_bot":
            return [{"text": t["back"]}], None
        if "fee" in lowered:
            buttons = [
                {"title": ENTRIES[i].question, "payload": '/choose_faq{"faq_id":"' + i + '"}'}
                for i in ("subscription-fee", "redemption-fee")
            ]
            return [{"text": t["clarify"], "buttons": buttons}, {"custom": audit(None, "clarify", lang, 0.61)}], None
        for keyword, entry_id in KEYWORDS:
            if keyword in lowered:
                return answer(ENTRIES[entry_id], "answer", lang), entry_id
        return [{"text": t["rephrase"]}, {"custom": audit(None, "fallback", lang, 0.21)}], None


def audit(entry: FakeEntry | None, decision: str, lang: str, score: float) -> dict[str, Any]:
    return FaqMatch(entry.id if entry else None, entry.version if entry else None, score, decision, lang).to_json()


def feedback(faq_id: str | None, helpful: bool) -> dict[str, Any]:
    version = ENTRIES[faq_id].version if faq_id in ENTRIES else None
    return Feedback(faq_id, version, helpful).to_json()


def answer(entry: FakeEntry, decision: str, lang: str) -> list[Item]:
    """As Rasa's REST channel sends it: one item per paragraph, the audit, then the feedback prompt."""
    t = TEXT[lang]
    parts: list[Item] = [{"text": part} for part in entry.answer.strip().split("\n\n")]
    buttons = [{"title": t["yes"], "payload": "/affirm"}, {"title": t["no"], "payload": "/deny"}]
    prompt = {"text": t["feedback"], "buttons": buttons}
    return [*parts, {"custom": audit(entry, decision, lang, 0.93)}, prompt]


def mock_transport(bot: FakeBot | None = None) -> httpx.MockTransport:
    """An httpx transport answering like Rasa's REST channel, for in-process tests."""
    fake = bot or FakeBot()

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path != "/webhooks/rest/webhook":
            return httpx.Response(404)
        return httpx.Response(200, json=fake.respond(json.loads(request.content)))

    return httpx.MockTransport(handle)


def serve(
    host: str = "127.0.0.1", port: int = 0, *, delay: float = 0.0, bot: FakeBot | None = None
) -> ThreadingHTTPServer:
    """A threaded HTTP server on ``host:port`` (0: any free port); call ``serve_forever`` on it.

    ``bot``: a ``FakeBot`` subclass a test teaches one more reply (as ``mock_transport`` takes one).
    """
    bot = bot or FakeBot()
    server = ThreadingHTTPServer((host, port), _handler(bot.respond, delay))
    server.daemon_threads = True
    return server


def _handler(respond: Callable[[Any], list[Item]], delay: float) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            if self.path.split("?")[0] != "/webhooks/rest/webhook":
                self._send(404, b"{}")
                return
            pause = delay + (SLOW_SECONDS if SLOW_MARK in str(body.get("message", "")) else 0.0)
            if pause:
                time.sleep(pause)
            self._send(200, json.dumps(respond(body)).encode())

        def do_GET(self) -> None:
            self._send(200, b'"Hello from fake Rasa"')

        def _send(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return None

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.doubles.fake_rasa", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5005)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds to wait before each answer")
    args = parser.parse_args()
    server = serve(args.host, args.port, delay=args.delay)
    print(f"fake Rasa REST channel on http://{args.host}:{server.server_address[1]}/webhooks/rest/webhook", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()

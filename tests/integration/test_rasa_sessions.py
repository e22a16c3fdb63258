"""bot.sessions: a long conversation gets the same replies when Rasa starts a new session every few turns."""

from __future__ import annotations

import json
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from funddesk import stack
from funddesk.stack import free_port
from tests.integration.conftest import Bot

pytestmark = pytest.mark.integration

# Every kind of turn, in both languages. With the default five turns a new session starts at
# messages 6, 11 and 16: a "no" to "Did that answer your question?", the second fallback in a row
# (which offers a person), and a question about the fund named the message before.
SCRIPT = [
    "hello",
    "How long until redemption money reaches my bank card?",
    "yes",
    "what is the redemption fee for 900002?",
    "and the purchase fee?",
    "no",
    "no",
    "what is the fee?",
    "the second one",
    "can I pay for my fund with seashells?",
    "what about paying with gold bars then?",
    "no",
    "赎回多久到账？",
    "对",
    "110022的申购费是多少",
    "那赎回费呢",
    "不是",
    "thanks",
    "what is the risk level?",
    "goodbye",
]


@pytest.fixture(scope="module")
def unbounded(bot: Bot, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bot]:
    """A second Rasa on the same model and action server, whose sessions end only by time."""
    settings = replace(
        bot.settings, rasa_port=free_port(), rasa_session_turns=0, data_dir=tmp_path_factory.mktemp("unbounded")
    )
    with stack.running([stack.rasa_service(settings, bot.model, bot.token)]):
        yield Bot(settings, bot.token, bot.model)


def seen(messages: list[dict[str, Any]]) -> list[Any]:
    """What the widget shows of a turn: texts, buttons and custom payloads, in order."""
    return [(m.get("text"), [b["payload"] for b in m.get("buttons", [])], m.get("custom")) for m in messages]


def replayed(bot: Bot, sender: str) -> int:
    """Investor messages among the events the policies replay (Rasa's applied events: the current session's)."""
    url = f"{bot.settings.rasa_url}/conversations/{sender}/tracker?include_events=APPLIED&token={bot.token}"
    with urllib.request.urlopen(url, timeout=30) as response:
        events = json.load(response)["events"]
    return sum(1 for e in events if e["event"] == "user")


def test_a_long_conversation_gets_the_same_replies_whether_or_not_its_sessions_end_every_few_turns(
    bot: Bot, unbounded: Bot
) -> None:
    assert bot.settings.rasa_session_turns == 5  # the default bounds the fixture's Rasa
    bounded_sender, unbounded_sender = f"bounded-{uuid.uuid4().hex}", f"unbounded-{uuid.uuid4().hex}"
    for number, message in enumerate(SCRIPT, 1):
        assert seen(bot.send(message, bounded_sender)) == seen(unbounded.send(message, unbounded_sender)), (
            f"turn {number}: {message!r}"
        )
    assert replayed(bot, bounded_sender) == 5  # messages 16-20
    assert replayed(unbounded, unbounded_sender) == len(SCRIPT)
    # The slots came through every new session: the last fund named, the language of the last answer.
    assert bot.tracker(bounded_sender)["slots"] == unbounded.tracker(unbounded_sender)["slots"]


def test_a_session_ends_when_the_message_after_its_fifth_arrives(bot: Bot) -> None:
    who = f"counted-{uuid.uuid4().hex}"
    for message in ["hello", "thanks", "hello", "thanks", "hello"]:
        bot.send(message, who)
    assert replayed(bot, who) == 5
    bot.send("thanks", who)
    assert replayed(bot, who) == 1


def test_a_bound_from_the_environment_must_be_a_whole_number() -> None:
    from tests.integration.in_rasa import run_in_rasa

    script = (
        "import json, os\n"
        "from bot import sessions\n"
        "os.environ[sessions.ENV] = 'five'\n"
        "try:\n    sessions.turns_from_env(); said = None\n"
        "except SystemExit as stop:\n    said = str(stop)\n"
        "os.environ[sessions.ENV] = '0'\n"
        "print(json.dumps({'said': said, 'zero': sessions.apply()}))\n"
    )
    found = run_in_rasa(script).found
    assert found == {"said": "FUNDDESK_RASA_SESSION_TURNS must be a whole number of turns, got 'five'", "zero": 0}


def test_the_default_bound_is_the_dialogue_policies_look_back() -> None:
    import yaml

    from funddesk.settings import PROJECT_ROOT, Settings

    config = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text())
    [memo] = [p for p in config["policies"] if p["name"] == "MemoizationPolicy"]
    assert Settings().rasa_session_turns == memo["max_history"]

"""A Rasa session ends after a few turns, so that a turn costs the same in a long conversation.

On every turn Rasa reads the conversation's current session back from its tracker store,
replays it for each policy (twice or three times per message) and sends it to the action server.
So a turn's cost grows with the session: a py-spy profile of Rasa in 40-50-turn conversations
(README: Reliability, throughput) found half of its CPU in that re-reading, replaying and
re-sending. Rasa bounds it only by time (``session_config``: 60 minutes without a message).

Nothing older than the last few turns can change a decision here: every piece of dialog state
the actions and policies use is a slot, carried into the new session
(``carry_over_slots_to_new_session``); the rules are conditioned on slots (what a "yes" answers is
the ``awaiting`` slot, not the action before it), and MemoizationPolicy looks back ``max_history``
turns. So a session that holds ``FUNDDESK_RASA_SESSION_TURNS`` investor messages ends when the
next one arrives, as an expired one does (Rasa's own ``action_session_start``: a
``session_started`` event, the slots set again, ``action_listen``), unless a form is active (a
form's own turns would be cut; the bot has none today). A test holds a long conversation, with
yes/no answers, choices, fallbacks and fund follow-ups falling on session ends, to the same
replies and slots with and without the bound.
"""

from __future__ import annotations

import logging
import os
from typing import Any

log = logging.getLogger(__name__)

ENV = "FUNDDESK_RASA_SESSION_TURNS"


def apply(turns: int | None = None) -> int:
    """Patch Rasa's session check; ``turns`` defaults to the environment's. Returns the bound (0: none)."""
    from rasa.core.processor import MessageProcessor

    bound = turns_from_env() if turns is None else turns
    if bound <= 0:
        return 0
    expired_by_time = MessageProcessor._has_session_expired

    def _has_session_expired(self: MessageProcessor, tracker: Any) -> bool:
        if expired_by_time(self, tracker):
            return True
        return session_full(tracker, bound)

    MessageProcessor._has_session_expired = _has_session_expired
    log.info("bot.sessions: a session also ends after %d investor messages (%s)", bound, ENV)
    return bound


def turns_from_env() -> int:
    raw = os.environ.get(ENV, "").strip()
    if not raw:
        return 0
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"{ENV} must be a whole number of turns, got {raw!r}") from None


def session_full(tracker: Any, turns: int) -> bool:
    """The current session holds ``turns`` investor messages and no form is active."""
    from rasa.shared.core.events import Restarted, SessionStarted, UserUttered

    if tracker.active_loop_name:
        return False
    said = 0
    for event in reversed(tracker.events):
        if isinstance(event, (SessionStarted, Restarted)):
            break
        if isinstance(event, UserUttered):
            said += 1
            if said >= turns:
                return True
    return False

"""A Rasa server takes traffic only once its first answers are as quick as its later ones.

Rasa loads its model before it listens, but the first message still pays for work done lazily:
jieba builds its dictionary (about a second), and the NLU and policy graphs run their
components for the first time (TensorFlow traces DIET's prediction function). A replica that
comes up under load, at start or after a restart by the supervisor, met that with a queue: in the
200-investor run (README: Reliability) 9 turns timed out in the first seconds of a fresh Rasa.

:func:`apply` makes ``rasa run`` do that work while loading the model, before the server accepts
connections: it parses a few messages, in both languages and with a fund code, and predicts the
next action after each. Nothing is stored: no conversation is created, no action runs. A warm-up
that fails is logged and the server starts anyway, as it would have without it.
"""

from __future__ import annotations

import logging
import time
from typing import Any

log = logging.getLogger(__name__)

# One of each kind of text the pipeline reads: Chinese (jieba), English, digits (the fund-code
# regex and lookup), and a short reply.
MESSAGES = ("你好，110022赎回多久到账？", "How long does a redemption take?", "yes")


def apply() -> None:
    """Warm every agent ``rasa run`` loads before its server starts listening."""
    from rasa.core import run

    loaded = run.load_agent_on_start

    async def load_agent_on_start(*args: Any, **kwargs: Any) -> Any:
        agent = await loaded(*args, **kwargs)
        await warm(agent)
        return agent

    run.load_agent_on_start = load_agent_on_start


async def warm(agent: Any) -> float | None:
    """Parse :data:`MESSAGES` and predict an action after each; the seconds it took, None if it failed."""
    if not agent.is_ready():
        return None  # no model yet (e.g. one is to be pulled later): nothing to warm
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    started = time.perf_counter()
    try:
        for text in MESSAGES:
            parsed = await agent.parse_message(text)
            tracker = DialogueStateTracker.from_events(
                "funddesk-warm-up",
                [ActionExecuted("action_listen"), UserUttered(text, parsed["intent"], parsed["entities"], parsed)],
                slots=agent.domain.slots,
            )
            agent.processor._predict_next_with_tracker(tracker)
    except Exception:  # the warm-up is an optimisation: a failure must not keep the server down
        log.warning("bot.warmup: warming the model failed; serving without it", exc_info=True)
        return None
    seconds = time.perf_counter() - started
    log.info("bot.warmup: model warmed in %.2f s", seconds)
    return seconds

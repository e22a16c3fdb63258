"""bot.warmup: a Rasa server does its first-message work before it listens, and a failed warm-up never keeps it down."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.integration.in_rasa import run_in_rasa

pytestmark = pytest.mark.integration

CHECK = textwrap.dedent(
    """
    import asyncio, json, sys
    import jieba
    from rasa.core import run
    from rasa.core.agent import Agent
    from bot import warmup

    agent = Agent.load(sys.argv[1])
    cold = jieba.dt.initialized

    # apply() wraps the listener `rasa run` loads its agent with; a stand-in loader shows the wiring.
    async def loader(*args, **kwargs):
        return agent
    run.load_agent_on_start = loader
    warmup.apply()
    loaded = asyncio.run(run.load_agent_on_start("model", None, None, None, None))

    class Broken:
        domain = agent.domain
        def is_ready(self):
            return True
        async def parse_message(self, text):
            raise RuntimeError("no model after all")

    print(json.dumps({
        "cold": cold,
        "warm_after_start": jieba.dt.initialized,
        "same_agent": loaded is agent,
        "seconds_again": asyncio.run(warmup.warm(agent)),
        "broken": asyncio.run(warmup.warm(Broken())),
    }))
    """
)


def test_the_model_is_warmed_while_rasa_loads_it_and_a_failing_warm_up_is_only_logged(rasa_model_file: Path) -> None:
    ran = run_in_rasa(CHECK, str(rasa_model_file))
    found = ran.found
    assert found["cold"] is False  # loading the model leaves jieba's dictionary for the first message
    assert found["warm_after_start"] is True
    assert found["same_agent"] is True
    assert isinstance(found["seconds_again"], float)
    assert found["broken"] is None
    assert "warming the model failed; serving without it" in ran.stderr

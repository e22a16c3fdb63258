"""Fixtures of the action tests: a scripted knowledge base installed for the actions, and trackers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from actions import runtime
from tests.doubles.actions import (
    ARRIVAL,
    COMPLAINT,
    FEES,
    REDEEM,
    ROUTER,
    ZH,
    FakeKnowledgeBase,
    MakeTracker,
    make_tracker,
)


@pytest.fixture
def kb() -> Iterator[FakeKnowledgeBase]:
    fake = FakeKnowledgeBase({e.id: e for e in (REDEEM, ARRIVAL, FEES, ZH, COMPLAINT)})
    with runtime.installed(fake, router=ROUTER):
        yield fake


@pytest.fixture
def tracker() -> MakeTracker:
    """A tracker whose latest message has ``text``, ``intent`` and ``entities``, with ``slots``."""
    return make_tracker

"""Where actions find what the server loaded at start (never at import time): the knowledge
base, the funds' display names and the hand-off router."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Protocol

import numpy as np

from escalation.spikes.watch import Asked, Observed
from escalation.staff.teams import Router
from knowledge_base.entries import Entry
from knowledge_base.followups import Answered
from knowledge_base.policy import Decision


class MatchLike(Protocol):
    @property
    def decision(self) -> Decision: ...

    @property
    def fund(self) -> str | None: ...

    @property
    def lang(self) -> str: ...

    @property
    def embedding(self) -> np.ndarray | None: ...

    @property
    def loggable(self) -> str: ...  # the message with personal numbers masked: the only form to store or log


class KnowledgeBaseLike(Protocol):
    """The part of ``knowledge_base.service.KnowledgeBase`` the actions use."""

    def ask(self, text: str, *, fund: str | None = None, after: Answered | None = None) -> MatchLike: ...

    async def ask_soon(self, text: str, *, fund: str | None = None, after: Answered | None = None) -> MatchLike:
        """:meth:`ask` without blocking the event loop (the question may be embedded with others);
        ``after``: the entry answered just before, in whose context a follow-up is read."""
        ...

    def entry(self, entry_id: str) -> Entry | None: ...


class NotLoaded(RuntimeError):
    """An action ran before the server's ``before_server_start`` listener loaded the KB."""


_current: KnowledgeBaseLike | None = None
_fund_names: Mapping[str, str] = {}
_router: Router | None = None


class SpikeWatchLike(Protocol):
    """The part of ``escalation.spikes.watch.SpikeWatch`` the actions use."""

    def observe(self, asked: Asked) -> Observed: ...


_spikes: SpikeWatchLike | None = None


def install_spikes(spikes: SpikeWatchLike | None) -> None:
    """The spike watch every question goes through (None: questions are not watched, e.g. in unit tests)."""
    global _spikes
    _spikes = spikes


def observe(asked: Asked) -> Observed:
    """Log and cluster a question, and say whether it belongs to an open incident."""
    return _spikes.observe(asked) if _spikes is not None else Observed(None)


def install(
    kb: KnowledgeBaseLike | None, fund_names: Mapping[str, str] | None = None, router: Router | None = None
) -> None:
    """Make ``kb``, the display name of each fund code and ``router`` what actions use; None unloads."""
    global _current, _fund_names, _router
    _current = kb
    _fund_names = dict(fund_names or {})
    _router = router


def knowledge_base() -> KnowledgeBaseLike:
    if _current is None:
        raise NotLoaded("the knowledge base is not loaded: start the server with `python -m actions`")
    return _current


def fund_names() -> Mapping[str, str]:
    return _fund_names


def router() -> Router:
    """Which staff queue a hand-off goes to (teams file, funds file, default team)."""
    if _router is None:
        raise NotLoaded("the hand-off router is not loaded: start the server with `python -m actions`")
    return _router


@contextmanager
def installed(
    kb: KnowledgeBaseLike, fund_names: Mapping[str, str] | None = None, router: Router | None = None
) -> Iterator[KnowledgeBaseLike]:
    """For tests: actions see ``kb`` (and ``router``) inside the block."""
    previous = (_current, _fund_names, _router)
    install(kb, fund_names, router)
    try:
        yield kb
    finally:
        install(*previous)

"""Where actions find the knowledge base the server loaded at start (never at import time)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Protocol

from knowledge_base.entries import Entry
from knowledge_base.policy import Decision


class MatchLike(Protocol):
    @property
    def decision(self) -> Decision: ...

    @property
    def fund(self) -> str | None: ...

    @property
    def lang(self) -> str: ...


class KnowledgeBaseLike(Protocol):
    """The part of ``knowledge_base.service.KnowledgeBase`` the actions use."""

    def ask(self, text: str, *, fund: str | None = None) -> MatchLike: ...

    def entry(self, entry_id: str) -> Entry | None: ...


class NotLoaded(RuntimeError):
    """An action ran before the server's ``before_server_start`` listener loaded the KB."""


_current: KnowledgeBaseLike | None = None
_fund_names: Mapping[str, str] = {}


def install(kb: KnowledgeBaseLike | None, fund_names: Mapping[str, str] | None = None) -> None:
    """Make ``kb`` (and the display name of each fund code) what actions use; None unloads."""
    global _current, _fund_names
    _current = kb
    _fund_names = dict(fund_names or {})


def knowledge_base() -> KnowledgeBaseLike:
    if _current is None:
        raise NotLoaded("the knowledge base is not loaded: start the server with `python -m actions`")
    return _current


def fund_names() -> Mapping[str, str]:
    return _fund_names


@contextmanager
def installed(kb: KnowledgeBaseLike, fund_names: Mapping[str, str] | None = None) -> Iterator[KnowledgeBaseLike]:
    """For tests: actions see ``kb`` inside the block."""
    previous = (_current, _fund_names)
    install(kb, fund_names)
    try:
        yield kb
    finally:
        install(*previous)

"""Where actions find the knowledge base the server loaded at start (never at import time)."""

from __future__ import annotations

from collections.abc import Iterator
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


def install(kb: KnowledgeBaseLike | None) -> None:
    global _current
    _current = kb


def knowledge_base() -> KnowledgeBaseLike:
    if _current is None:
        raise NotLoaded("the knowledge base is not loaded: start the server with `python -m actions`")
    return _current


@contextmanager
def installed(kb: KnowledgeBaseLike) -> Iterator[KnowledgeBaseLike]:
    """For tests: actions see ``kb`` inside the block."""
    previous = _current
    install(kb)
    try:
        yield kb
    finally:
        install(previous)

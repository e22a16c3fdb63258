"""The knowledge base's data model: FAQ entries and the problems lint reports."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

LANGS = ("en", "zh")


@dataclass(frozen=True)
class Problem:
    """One lint finding, printed as ``file:line: message``."""

    file: str
    line: int
    message: str
    severity: str = "error"  # "error" rejects the file; "warning" does not

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class Report:
    """Collects the problems of one file while it is parsed."""

    path: str
    problems: list[Problem] = field(default_factory=list)

    def error(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.path, line, message))

    def warning(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.path, line, message, "warning"))


@dataclass(frozen=True)
class Entry:
    """One ``##`` section of a FAQ file: a question, its phrasings and its answer."""

    id: str
    question: str
    answer: str
    file: str
    line: int
    alternatives: tuple[str, ...] = ()
    lang: str = "en"
    team: str | None = None
    funds: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    escalate: bool = False
    title: str | None = None

    @property
    def phrasings(self) -> tuple[str, ...]:
        """The canonical question first, then the alternatives."""
        return (self.question, *self.alternatives)

    @property
    def version(self) -> str:
        """A short content hash: changes whenever what investors would see changes."""
        digest = hashlib.sha256()
        for part in (self.id, self.question, *self.alternatives, self.answer, self.lang, *self.funds):
            digest.update(part.encode("utf-8"))
            digest.update(b"\0")
        return digest.hexdigest()[:12]


@dataclass(frozen=True)
class ParsedFile:
    """The outcome of parsing one file: its entries if it is valid, and every problem found."""

    path: str
    entries: tuple[Entry, ...] = ()
    problems: tuple[Problem, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

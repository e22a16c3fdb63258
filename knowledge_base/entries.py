"""The knowledge base's data model: FAQ entries, parsed files and the problems lint reports."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field

from knowledge_base.problem_words import say

LANGS = ("en", "zh")


@dataclass(frozen=True)
class Problem:
    """One lint finding, printed as ``file:line: message``.

    An error rejects its scope: the entry whose ``##`` heading is at ``entry_line``, or, when
    ``entry_line`` is None, the whole file. A warning rejects nothing.
    """

    file: str
    line: int
    message: str
    severity: str = "error"  # "error" or "warning"
    entry_line: int | None = None
    code: str = ""  # :mod:`problem_words`: what it says in each language, with ``params`` filled in
    params: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(
        cls, file: str, line: int, code: str, severity: str = "error", entry_line: int | None = None, **params: object
    ) -> Problem:
        """The problem ``code`` with its values, its message in English (as lint prints it)."""
        values = {key: str(value) for key, value in params.items()}
        return cls(file, line, say(code, values), severity, entry_line, code, tuple(values.items()))

    @property
    def scope(self) -> str:
        """``"file"`` or ``"entry"``: what an error keeps from serving."""
        return "file" if self.entry_line is None else "entry"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"

    def labelled(self) -> str:
        """How lint prints it: ``file:line: message``, or ``file:line: warning: message``."""
        label = "warning: " if self.severity == "warning" else ""
        return f"{self.file}:{self.line}: {label}{self.message}"


@dataclass
class Report:
    """Collects the problems of one file while it is parsed.

    ``entry`` is the line of the ``##`` heading of the entry a problem belongs to; leave it out
    for a problem of the whole file.
    """

    path: str
    problems: list[Problem] = field(default_factory=list)

    def error(self, line: int, code: str, *, entry: int | None = None, **params: object) -> None:
        self.problems.append(Problem.of(self.path, line, code, "error", entry, **params))

    def warning(self, line: int, code: str, *, entry: int | None = None, **params: object) -> None:
        self.problems.append(Problem.of(self.path, line, code, "warning", entry, **params))

    def rejects(self, entry: int) -> bool:
        """Whether an error was reported against the entry whose heading is at line ``entry``."""
        return any(p.severity == "error" and p.entry_line == entry for p in self.problems)


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
class Rejected:
    """An entry kept from serving by an error of its own, and what finds its last good version.

    ``id`` is set when the heading's id could be read; ``question`` when the heading had one.
    """

    line: int
    id: str | None = None
    question: str | None = None


@dataclass(frozen=True)
class ParsedFile:
    """The outcome of parsing one file: the entries that serve, the ones rejected, every problem.

    A file-level error (see :mod:`knowledge_base.parser`) leaves ``entries`` empty: nothing in the
    file can be trusted. An entry-level error moves that entry from ``entries`` to ``rejected``.
    """

    path: str
    entries: tuple[Entry, ...] = ()
    problems: tuple[Problem, ...] = field(default_factory=tuple)
    rejected: tuple[Rejected, ...] = ()
    standing_in: tuple[int, ...] = ()  # lines of rejected sections whose last good version serves in their place

    @property
    def ok(self) -> bool:
        """The file itself is usable: no error applies to the whole file (entries may be rejected)."""
        return not any(p.severity == "error" and p.scope == "file" for p in self.problems)

    @property
    def clean(self) -> bool:
        """No error at all: every entry serves as written."""
        return not any(p.severity == "error" for p in self.problems)


def entry_from_dict(data: dict[str, object]) -> Entry:
    """An entry as :func:`dataclasses.asdict` wrote it to JSON (lists back to tuples)."""
    tuples = {f.name for f in dataclasses.fields(Entry) if str(f.type).startswith("tuple")}
    values = {k: tuple(v) if k in tuples and isinstance(v, list) else v for k, v in data.items()}
    return Entry(**values)  # type: ignore[arg-type]

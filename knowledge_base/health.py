"""What a knowledge base serves after reading its files, and what each problem costs: the staff console's
"Knowledge base" page shows it, so a fund team sees its broken edit as ``file:line`` and what serves meanwhile.

An error costs its entry or, when it breaks the file, the whole file (:mod:`knowledge_base.parser`); the last
good version of what it costs serves in its place if the service had one (:mod:`knowledge_base.last_good`).
A warning costs nothing: the entry serves as written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Literal

from knowledge_base.entries import Entry, ParsedFile, Problem
from knowledge_base.reloads import ReloadOutcome

Serving = Literal["last_good", "nothing", "as_written"]


@dataclass(frozen=True)
class ProblemReport:
    file: str
    line: int
    severity: str  # error | warning
    message: str
    scope: str  # entry | file: what an error keeps from serving
    serving: Serving  # what serves in its place
    code: str = ""  # :mod:`problem_words`: the problem in every language, with ``params`` filled in
    params: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, problem: Problem, scope: str, serving: Serving) -> ProblemReport:
        return cls(
            problem.file, problem.line, problem.severity, problem.message, scope, serving, problem.code,
            dict(problem.params),
        )  # fmt: skip


@dataclass(frozen=True)
class Health:
    checked_at: datetime  # when the files were read
    outcome: ReloadOutcome
    files: int
    entries: int  # serving, last good versions included
    problems: tuple[ProblemReport, ...]

    def problems_as_dicts(self) -> list[dict[str, object]]:
        return [asdict(p) for p in self.problems]


def failed(previous: Health | None, *, at: datetime | None = None) -> Health:
    """After a reload that raised: the previous index, and what was known of its problems, serve on."""
    known = previous or Health(datetime.now(UTC), "ok", 0, 0, ())
    return Health(at or datetime.now(UTC), "failed", known.files, known.entries, known.problems)


def health(
    checked: Sequence[ParsedFile],
    serving: Mapping[str, Sequence[Entry]],
    others: Sequence[ProblemReport] = (),
    *,
    at: datetime | None = None,
) -> Health:
    """``checked``: every file as parsed (its ``entries`` with last good versions in place); ``serving``: the
    entries each file serves now, by file name; ``others``: problems of the files the FAQ is read with (synonyms)."""
    reports = tuple(
        sorted(
            [*(_report(p, parsed) for parsed in checked for p in parsed.problems), *others],
            key=lambda r: (r.severity != "error", r.file, r.line),
        )
    )
    errors = any(r.severity == "error" for r in reports)
    return Health(
        checked_at=at or datetime.now(UTC),
        outcome="rejected" if errors else "ok",
        files=len(checked),
        entries=sum(len(entries) for entries in serving.values()),
        problems=reports,
    )


def _report(problem: Problem, parsed: ParsedFile) -> ProblemReport:
    return ProblemReport.of(problem, problem.scope, _serving(problem, parsed))


def _serving(problem: Problem, parsed: ParsedFile) -> Serving:
    if problem.severity != "error":
        return "as_written"
    if problem.entry_line is None:  # the whole file: its last good version serves whole, or nothing does
        return "last_good" if parsed.entries else "nothing"
    return "last_good" if problem.entry_line in parsed.standing_in else "nothing"

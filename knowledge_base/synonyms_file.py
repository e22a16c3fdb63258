"""The synonyms file a live knowledge base reads (``FUNDDESK_SYNONYMS_FILE``): the fund team extends it like the
FAQ, so an edit is live within seconds too, and a broken edit keeps the last good groups serving and is reported
as ``file:line`` with the FAQ's problems (the console's Knowledge base page, the log).
"""

from __future__ import annotations

from pathlib import Path

from knowledge_base.entries import Problem
from knowledge_base.health import ProblemReport, Serving
from knowledge_base.normalize import Synonyms, SynonymsError

Signature = tuple[int, int] | None


class SynonymsFile:
    """``path`` as last read: ``good`` the groups that serve, ``problems`` what its current text has wrong."""

    def __init__(self, path: Path | None, given: Synonyms | None = None) -> None:
        self.path = path
        self.good = given or Synonyms()  # without a path, ``given`` serves for good (tests, eval on a folder)
        self.problems: tuple[Problem, ...] = ()
        self.read_once = path is None  # some version was read (or given): its groups stand in for a broken edit
        self._signature: Signature = None
        if path is not None:
            self.read()

    def signature(self) -> Signature:
        if self.path is None:
            return None
        try:
            stat = self.path.stat()
        except OSError:
            return None  # no file: no synonyms
        return stat.st_mtime_ns, stat.st_size

    def changed(self) -> bool:
        return self.path is not None and self.signature() != self._signature

    def read(self) -> bool:
        """Read the file again; True when the groups that serve changed."""
        if self.path is None:
            return False
        self._signature = self.signature()
        try:
            fresh = Synonyms.load(self.path)
        except SynonymsError as exc:
            self.problems = exc.problems  # the last good groups serve on
            return False
        except (OSError, UnicodeDecodeError) as exc:
            self.problems = (Problem.of(self.path.name, 1, "synonyms_unreadable", reason=exc),)
            return False
        self.problems, self.read_once = (), True
        if fresh == self.good:
            return False
        self.good = fresh
        return True

    def reports(self) -> tuple[ProblemReport, ...]:
        """The problems as the console shows them: a broken file costs the whole file, whose last good groups
        serve in its place if some version was read."""
        serving: Serving = "last_good" if self.read_once else "nothing"
        return tuple(ProblemReport.of(p, "file", serving) for p in self.problems)

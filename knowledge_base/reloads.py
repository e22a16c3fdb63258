"""What one hot reload of the FAQ folder did, and its outcome as the metrics count it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from knowledge_base.index import BuildReport

ReloadOutcome = Literal["ok", "rejected", "failed"]


@dataclass(frozen=True)
class ReloadReport:
    changed: bool
    files: int
    rejected: tuple[str, ...]  # files with errors: an error costs its entry or, if it breaks the file, the file
    build: BuildReport | None

    @property
    def outcome(self) -> ReloadOutcome:
        """``rejected`` when a file has errors (its last good version, or nothing, serves for what they
        cost, and :attr:`KnowledgeBase.problems` says where); else ``ok``."""
        return "rejected" if self.rejected else "ok"

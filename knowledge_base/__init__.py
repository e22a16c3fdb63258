"""FAQ markdown → semantic index → answer, clarify or fall back. See README "Knowledge base"."""

from __future__ import annotations

from knowledge_base.entries import Entry, ParsedFile, Problem
from knowledge_base.policy import Candidate, Decision, Thresholds, decide

__all__ = ["Candidate", "Decision", "Entry", "ParsedFile", "Problem", "Thresholds", "decide"]

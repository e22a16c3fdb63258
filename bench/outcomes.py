"""What each bot did with each labelled question, and the accuracy figures counted from that.

FundDesk's outcome comes from ``KnowledgeBase.ask`` (the decision the bot acts on); the
baseline's from Rasa's ``/model/parse`` (intent + response selector). "Top-1" is the best-ranked
entry alone; "answered right" is a reply with the expected entry's answer; clarify and fallback
count as not answered. For an out-of-scope question any FAQ answer is wrong; for the baseline any
reply other than ``nlu_fallback`` is counted wrong too (a greeting is no answer to the question).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bench.baseline.serving import FALLBACK_INTENT, RasaServer
from knowledge_base.evaluation import Question
from knowledge_base.service import KnowledgeBase


@dataclass(frozen=True)
class Outcome:
    best: str | None  # best-ranked entry id
    answered: bool  # the bot replied with the answer of ``best``
    replied: bool  # the bot replied with anything but its fallback (answers, choices, greetings)


def funddesk(kb: KnowledgeBase, questions: Sequence[Question]) -> list[Outcome]:
    outcomes = []
    for question in questions:
        match = kb.ask(question.text)
        best = match.ranked[0].entry.id if match.ranked else None
        kind = match.decision.kind
        outcomes.append(Outcome(best, kind == "answer", kind != "fallback"))
    return outcomes


def baseline(server: RasaServer, questions: Sequence[Question]) -> list[Outcome]:
    outcomes = []
    for question in questions:
        parse = server.parse(question.text)
        outcomes.append(Outcome(parse.entry_id, parse.answers, parse.intent != FALLBACK_INTENT))
    return outcomes


def in_scope(questions: Sequence[Question], outcomes: Sequence[Outcome]) -> dict[str, float | int]:
    pairs = [(q, o) for q, o in zip(questions, outcomes, strict=True) if q.expected]
    right = sum(o.answered and o.best == q.expected for q, o in pairs)
    wrong = sum(o.answered and o.best != q.expected for q, o in pairs)
    return {
        "questions": len(pairs),
        "top1_accuracy": _share(sum(o.best == q.expected for q, o in pairs), len(pairs)),
        "answer_accuracy": _share(right, len(pairs)),
        "wrong_answer_rate": _share(wrong, len(pairs)),
        "not_answered_rate": _share(len(pairs) - right - wrong, len(pairs)),
    }


def out_of_scope(outcomes: Sequence[Outcome], *, strict: bool) -> dict[str, float | int]:
    """``strict``: any non-fallback reply is wrong (the baseline); else only a direct FAQ answer."""
    wrong = sum(o.replied if strict else o.answered for o in outcomes)
    return {
        "questions": len(outcomes),
        "wrong_answers": wrong,
        "wrong_answer_rate": _share(wrong, len(outcomes)),
        "faq_answered": sum(o.answered for o in outcomes),
    }


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0

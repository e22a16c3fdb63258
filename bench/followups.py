"""Follow-up questions: the second message of a conversation, matched alone and in context.

Each row of a follow-up set is a two-turn exchange written against the shipped FAQ: the
investor's first question, the entry that answers it, a second message and the entry that answers
that one read in context (empty: out of scope). Its ``kind`` says what the second message does:
``refers_back`` (a pronoun or demonstrative: "is there a fee for that"), ``what_about`` (the same
question with one thing changed: "and 900002?", "赎回呢"), ``new_topic`` (a whole question on
something else, which context must not spoil) or ``out_of_scope`` (refers back, and nothing in the
FAQ answers it).

Two conversations are scored per row:

- *given*: the first answer is the row's ``previous_id``, as if the bot answered it right: this
  isolates how the second message is read;
- *as served*: the first question is asked too, and whatever the bot answered (if it answered) is
  the context, as in the service.

Each is scored *alone* (the second message without context, as before follow-ups were read) and *in
context* (:mod:`knowledge_base.followups`). Nothing here is fitted. The dev set
(``shipped_followups_dev.csv``) is the only one looked at while choosing; the held-out sets were
written blind, from the FAQ files alone::

    HF_HUB_OFFLINE=1 .venv/bin/python -m bench.followups [--dev] [--show]
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from funddesk import settings as config
from knowledge_base.followups import Answered
from knowledge_base.service import KnowledgeBase, Match

DATA = Path(__file__).resolve().parent / "data"
HELD_OUT = ("shipped_followups_en.csv", "shipped_followups_zh.csv")
DEV = ("shipped_followups_dev.csv", "shipped_followups_dev2.csv", "shipped_followups_dev3.csv")
KINDS = ("refers_back", "what_about", "new_topic", "out_of_scope")
OUTCOMES = ("right", "wrong", "clarify", "fallback")


@dataclass(frozen=True)
class Exchange:
    lang: str
    previous: str
    previous_id: str
    message: str
    expected: str | None
    kind: str


def read_exchanges(path: Path) -> list[Exchange]:
    with path.open(encoding="utf-8", newline="") as f:
        return [
            Exchange(r["lang"], r["previous"], r["previous_id"], r["message"], r["expected_id"] or None, r["kind"])
            for r in csv.DictReader(f)
        ]


def outcome(match: Match, expected: str | None) -> str:
    """right: answered with the expected entry, or fell back on an out-of-scope message; wrong: any
    other answer; clarify and fallback otherwise (a choice on an out-of-scope message is a clarify)."""
    decision = match.decision
    if decision.kind == "answer" and decision.best is not None:
        return "right" if decision.best.entry.id == expected else "wrong"
    if expected is None and decision.kind == "fallback":
        return "right"
    return decision.kind


def ask_second(kb: KnowledgeBase, row: Exchange, *, served: bool, in_context: bool) -> Match:
    """The second message, after the first was answered with ``previous_id`` (or, ``served``, with
    what the bot answers it), in the conversation's fund as the bot keeps it."""
    first = kb.ask(row.previous)
    answered: str | None = row.previous_id
    if served:
        best = first.decision.best
        answered = best.entry.id if first.decision.kind == "answer" and best is not None else None
    after = Answered(answered, first.fund) if answered and in_context else None
    return kb.ask(row.message, fund=first.fund, after=after)


def measure(kb: KnowledgeBase, rows: Sequence[Exchange], show: bool = False) -> dict[str, Any]:
    """Per conversation (given, as served) and reading (alone, in context): outcomes by language and kind."""
    result: dict[str, Any] = {}
    for conversation in ("given", "served"):
        for reading in ("alone", "in_context"):
            counts: dict[tuple[str, str], Counter[str]] = {}
            for row in rows:
                match = ask_second(kb, row, served=conversation == "served", in_context=reading == "in_context")
                got = outcome(match, row.expected)
                counts.setdefault((row.lang, row.kind), Counter())[got] += 1
                if show and conversation == "given" and reading == "in_context" and got != "right":
                    ranked = [(c.entry.id, round(c.score, 2)) for c in match.ranked[:3]]
                    print(f"  [{row.kind}] {row.message!r} expected {row.expected}: {got} {ranked}")
            result[f"{conversation}/{reading}"] = _summary(counts)
    return result


def _summary(counts: dict[tuple[str, str], Counter[str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for lang in sorted({lang for lang, _ in counts}):
        by_kind = {kind: dict(counts[(lang, kind)]) for kind in KINDS if (lang, kind) in counts}
        total: Counter[str] = sum((Counter(c) for c in by_kind.values()), Counter())
        n = sum(total.values())
        out[lang] = {
            "messages": n,
            **{f"{o}_rate": round(total[o] / n, 4) if n else 0.0 for o in OUTCOMES},
            "by_kind": by_kind,
        }
    return out


def report(files: Sequence[str] = HELD_OUT, show: bool = False) -> dict[str, Any]:
    """``make bench``'s section: the held-out follow-up sets."""
    rows = [row for name in files for row in read_exchanges(DATA / name)]
    kb = KnowledgeBase.open(config.load(), watch=False, persist=False, progress=False, published=False)
    try:
        return {"files": list(files), **measure(kb, rows, show)}
    finally:
        kb.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--dev", action="store_true", help="the dev set instead of the held-out ones")
    parser.add_argument("--show", action="store_true", help="print every second message not answered right")
    args = parser.parse_args(argv)
    result = report(DEV if args.dev else HELD_OUT, args.show)
    for variant in ("given/alone", "given/in_context", "served/alone", "served/in_context"):
        for lang, got in result[variant].items():
            rates = ", ".join(f"{o} {got[f'{o}_rate']:.1%}" for o in OUTCOMES)
            print(f"{variant:18} {lang}: {got['messages']} messages: {rates}")
            for kind, kinds in got["by_kind"].items():
                print(f"{'':22}{kind}: {kinds}")
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

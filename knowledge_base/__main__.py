"""Command line: ``python -m knowledge_base {build,lint,search,eval}`` (see README)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import asdict, replace
from pathlib import Path

from funddesk import settings as config
from knowledge_base.evaluation import calibrate, rank_all, read_questions, score
from knowledge_base.faq_files import FaqFiles, problems_of, saved_sources
from knowledge_base.followups import Answered
from knowledge_base.lint import main as lint_main
from knowledge_base.lint import print_problems
from knowledge_base.published import published_dir
from knowledge_base.service import KnowledgeBase
from knowledge_base.synonyms_file import SynonymsFile


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m knowledge_base", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("build", "build (or refresh) the persisted index"),
        ("lint", "check FAQ files; exit 1 on errors"),
        ("search", "show the top entries for a question and the decision"),
        ("eval", "accuracy and latency on labelled questions (last line: JSON)"),
    ):
        cmd = sub.add_parser(name, help=text, description=text)
        cmd.add_argument("--kb", type=Path, help="FAQ folder (default: FUNDDESK_KB_DIR)")
    sub.choices["search"].add_argument("question")
    sub.choices["search"].add_argument("--fund", help="fund code already known from the conversation")
    sub.choices["search"].add_argument("--limit", type=int, default=5)
    sub.choices["search"].add_argument(
        "--after", metavar="ENTRY_ID", help="the entry answered just before: a follow-up is read in its context"
    )
    ev = sub.choices["eval"]
    ev.add_argument("--questions", type=Path, required=True, help="CSV with header question,expected_id")
    ev.add_argument(
        "--calibration", type=Path, action="append", help="labelled CSV to fit thresholds on first (repeatable)"
    )
    ev.add_argument("--save-policy", type=Path, help="write the thresholds used to this JSON file")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    settings = config.load()
    if args.kb:
        settings = replace(settings, kb_dir=args.kb.resolve())
    if args.command == "lint":
        return _lint(settings.kb_dir) if args.kb else _lint_served(settings)
    if not settings.kb_dir.is_dir():
        print(f"error: FAQ folder not found: {settings.kb_dir}", file=sys.stderr)
        return 2
    try:
        return {"build": _build, "search": _search, "eval": _eval}[args.command](settings, args)
    except (ValueError, OSError) as exc:  # bad input files: say what and where, no traceback
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _lint(root: Path) -> int:
    return lint_main([str(root)])


def _lint_served(settings: config.Settings) -> int:
    """The FAQ folder, the published answers and the synonyms file, as a freshly started service reads them."""
    if not settings.kb_dir.is_dir():
        return _lint(settings.kb_dir)
    files = FaqFiles(settings.kb_dir, published_dir(settings))
    saved = saved_sources(settings.index_dir)
    if saved is not None:  # an id two files define stays with the one serving it, as in the service
        files.restore(*saved)
    _, checked = files.read()
    problems = problems_of(checked) + SynonymsFile(settings.synonyms_file).problems
    return print_problems(problems, f"{settings.kb_dir}, {published_dir(settings)} and {settings.synonyms_file.name}")


def _open(settings: config.Settings, *, persist: bool, published: bool = True) -> KnowledgeBase:
    kb = KnowledgeBase.open(settings, watch=False, persist=persist, progress=sys.stderr.isatty(), published=published)
    for problem in kb.problems:  # as lint prints them
        print(problem.labelled(), file=sys.stderr)
    if kb.last_reload and kb.last_reload.build:
        b = kb.last_reload.build
        print(
            f"{b.entries} entries, {b.phrasings} phrasings ({b.embedded} embedded) in {b.seconds:.2f}s", file=sys.stderr
        )
    return kb


def _build(settings: config.Settings, args: argparse.Namespace) -> int:
    kb = _open(settings, persist=True)
    print(f"index: {settings.index_dir} ({len(kb.index)} entries)")
    kb.close()
    return 0


def _search(settings: config.Settings, args: argparse.Namespace) -> int:
    kb = _open(settings, persist=True)
    after = Answered(args.after, args.fund) if args.after else None  # answered in the same fund
    match = kb.ask(args.question, fund=args.fund, limit=args.limit, after=after)
    for c in match.ranked:
        scope = f" [funds {','.join(c.entry.funds)}]" if c.entry.funds else ""
        print(f"{c.score:.3f}  {c.entry.id}  {c.entry.question}{scope}")
    chosen = ", ".join(c.entry.id for c in match.decision.candidates) or "-"
    print(
        f"decision: {match.decision.kind} ({chosen}); lang {match.lang}; fund {match.fund or '-'}; "
        f"{match.elapsed_ms:.1f} ms"
    )
    if match.follows is not None:
        print(f"read as a follow-up of {match.follows.previous}: {match.question}")
    kb.close()
    return 0


def _eval(settings: config.Settings, args: argparse.Namespace) -> int:
    # No persisted index, so no last good versions: eval scores exactly what a service started
    # on this folder would serve, and its problems are exactly lint's. The answers published from
    # a running service are not part of the folder, so they are left out.
    kb = _open(settings, persist=False, published=False)
    known = {e.id for e in kb.index.entries}
    questions = read_questions(args.questions)
    for unknown in sorted({q.expected for q in questions if q.expected and q.expected not in known}):
        print(f"warning: expected_id {unknown!r} is not in the knowledge base", file=sys.stderr)
    calibrated = False
    if args.calibration:
        dev = [q for path in args.calibration for q in read_questions(path)]
        kb.thresholds = calibrate(rank_all(kb, dev), kb.calibration.thresholds)
        calibrated = True
    rank_all(kb, questions[:20])  # warm-up: first calls pay for lazy allocations, not matching
    result: dict[str, object] = dict(score(rank_all(kb, questions), kb.thresholds))
    result.update(entries=len(kb.index), calibrated=calibrated, thresholds=asdict(kb.thresholds))
    result.update(
        calibration="dev set" if calibrated else kb.calibration_source,
        lexical_weight=dict(kb.weights.lexical),
        self_calibration_probes=kb.calibration.probes,
    )
    errors = sum(p.severity == "error" for p in kb.problems)
    result.update(lint_errors=errors, lint_warnings=len(kb.problems) - errors)
    if args.save_policy:
        kb.thresholds.save(args.save_policy)
    kb.close()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

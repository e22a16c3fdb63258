"""Parse a whole knowledge base and check what no single file can: ids unique across files.

Run ``python -m knowledge_base.lint [ROOT]`` to print every problem as ``file:line: message``
(warnings as ``file:line: warning: message``); the exit status is 1 when any is an error.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from knowledge_base.entries import Entry, ParsedFile, Problem, Rejected
from knowledge_base.parser import parse_file


def discover(root: Path) -> list[Path]:
    """Every ``*.md`` under ``root``, sorted by relative path.

    Skips README.md and anything whose name, or any folder's name, starts with ``.`` or ``_``
    (editor temp files such as ``.#foo.md``, drafts in ``_drafts/``).
    """
    found = []
    for file in root.rglob("*.md"):
        relative = file.relative_to(root)
        if file.is_file() and file.name.lower() != "readme.md" and not any(p[0] in "._" for p in relative.parts):
            found.append(relative)
    return [root / relative for relative in sorted(found, key=lambda r: r.as_posix())]


def parse_tree(root: Path) -> list[ParsedFile]:
    """Parse every FAQ file under ``root``, then check ids across files (earlier path wins)."""
    return check_ids_across([parse_file(file, root) for file in discover(root)])


def check_ids_across(files: Sequence[ParsedFile], keep: Mapping[str, str] | None = None) -> list[ParsedFile]:
    """Reject every entry whose id a file listed earlier already defines: the first definition keeps it.

    A later definition moves from ``entries`` to ``rejected`` with ``duplicate id 'x' (first
    defined at faq/a.md:12)``, an error of that entry only: the rest of its file still serves.
    Pass files in priority order (``parse_tree`` sorts them by path). ``keep`` maps ids to the
    file that keeps them whatever the order, as long as it still defines them: a live reloader
    passes the ids it serves, so an edit cannot take an id away from an entry already serving.
    Only the files' own entries are compared, and checking checked files again changes nothing.
    """
    first: dict[str, Entry] = {}
    for parsed in files:
        for entry in parsed.entries:
            if keep is not None and keep.get(entry.id) == entry.file:
                first.setdefault(entry.id, entry)
    return [_without_duplicates(parsed, first) for parsed in files]


def _without_duplicates(parsed: ParsedFile, first: dict[str, Entry]) -> ParsedFile:
    kept: list[Entry] = []
    lost: list[Entry] = []
    for entry in parsed.entries:
        original = first.setdefault(entry.id, entry)
        (kept if original.file == entry.file else lost).append(entry)
    if not lost:
        return parsed
    problems = [_duplicate(entry, first[entry.id]) for entry in lost]
    new = [p for p in problems if p not in parsed.problems]
    rejected = [Rejected(e.line, e.id, e.question) for e in lost]
    return dataclasses.replace(
        parsed,
        entries=tuple(kept),
        problems=tuple(sorted((*parsed.problems, *new), key=lambda p: p.line)),
        rejected=tuple(sorted((*parsed.rejected, *rejected), key=lambda r: r.line)),
    )


def _duplicate(entry: Entry, original: Entry) -> Problem:
    first = f"{original.file}:{original.line}"
    return Problem.of(entry.file, entry.line, "duplicate_id", entry_line=entry.line, id=entry.id, first=first)


def lint(root: Path) -> list[Problem]:
    """Every problem in the knowledge base under ``root``, sorted by file and line."""
    problems = [problem for parsed in parse_tree(root) for problem in parsed.problems]
    return sorted(problems, key=lambda p: (p.file, p.line))


def main(argv: Sequence[str] | None = None) -> int:
    """Print the problems of the knowledge base at ``argv[0]`` (default: this package)."""
    args = sys.argv[1:] if argv is None else list(argv)
    root = Path(args[0]) if args else Path(__file__).resolve().parent
    if not root.is_dir():
        print(f"{root}: not a directory", file=sys.stderr)
        return 2
    return print_problems(lint(root), str(root))


def print_problems(problems: Sequence[Problem], where: str) -> int:
    """Print ``problems`` as lint does and return its exit status: 1 when any is an error."""
    for problem in problems:
        print(problem.labelled())
    errors = sum(p.severity == "error" for p in problems)
    print(f"{errors} error(s), {len(problems) - errors} warning(s) in {where}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())

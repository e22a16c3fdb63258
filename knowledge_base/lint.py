"""Parse a whole knowledge base and check what no single file can: ids unique across files.

Run ``python -m knowledge_base.lint [ROOT]`` to print every problem as ``file:line: message``
(warnings as ``file:line: warning: message``); the exit status is 1 when any is an error.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path

from knowledge_base.entries import Entry, ParsedFile, Problem
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


def check_ids_across(files: Sequence[ParsedFile]) -> list[ParsedFile]:
    """Report ids defined in more than one file; the file listed first keeps its id.

    Each later definition gets ``duplicate id 'x' (first defined at faq/a.md:12)``, which
    makes its file not ok. Pass files in priority order: ``parse_tree`` passes them sorted
    by path; a live reloader can pass the files it serves (fresh or last-good) first and a
    newly edited file last, so an edit cannot knock out a file that did not change. Only
    the files' own entries are compared; returning the same problem twice is avoided, so
    re-checking already checked files is harmless.
    """
    first: dict[str, Entry] = {}
    checked = []
    for parsed in files:
        found = [_duplicate(entry, first) for entry in parsed.entries]
        new = [p for p in found if p is not None and p not in parsed.problems]
        checked.append(_with_problems(parsed, new))
    return checked


def _duplicate(entry: Entry, first: dict[str, Entry]) -> Problem | None:
    original = first.setdefault(entry.id, entry)
    if original.file == entry.file:
        return None
    return Problem(
        entry.file,
        entry.line,
        f"duplicate id '{entry.id}' (first defined at {original.file}:{original.line})",
    )


def _with_problems(parsed: ParsedFile, problems: list[Problem]) -> ParsedFile:
    if not problems:
        return parsed
    merged = sorted((*parsed.problems, *problems), key=lambda p: p.line)
    return dataclasses.replace(parsed, problems=tuple(merged))


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
    problems = lint(root)
    for problem in problems:
        label = "warning: " if problem.severity == "warning" else ""
        print(f"{problem.file}:{problem.line}: {label}{problem.message}")
    errors = sum(p.severity == "error" for p in problems)
    print(f"{errors} error(s), {len(problems) - errors} warning(s) in {root}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The FAQ files a live knowledge base reads, and what each one serves (last good versions included).

Two folders feed one knowledge base: the fund teams' ``kb_dir`` and the answers published from
the running service (:mod:`knowledge_base.published`). A file is named by its path relative to
its folder; a published file's name starts with :data:`~knowledge_base.published.PREFIX`, which no
``kb_dir`` file can have (discovery skips names starting with ``_``). The fund teams' files come
first, so on a fresh start they win an id both folders define.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from knowledge_base.entries import Entry, ParsedFile, Problem, entry_from_dict
from knowledge_base.last_good import with_last_good
from knowledge_base.lint import check_ids_across, discover
from knowledge_base.parser import parse_file
from knowledge_base.published import PREFIX

Signature = tuple[tuple[str, int, int], ...]


@dataclass(frozen=True)
class Good:
    """What one file serves: its entries (last good versions included) as of the digest last read."""

    digest: str
    entries: tuple[Entry, ...]
    problems: tuple[Problem, ...] | None = None  # None: not known yet (restored from the persisted index)

    @property
    def settled(self) -> bool:
        """Parsing the same bytes again would change nothing: problems known, none an error.

        An error can depend on other files (an id another file takes or gives up) and on what
        served before, so a file with one is parsed again at every reload.
        """
        return self.problems is not None and not any(p.severity == "error" for p in self.problems)


class FaqFiles:
    """The files under ``root`` (and ``published``, if given) and what each served at the last reload."""

    def __init__(self, root: Path, published: Path | None = None) -> None:
        self.root = root
        self.published = published
        self.good: dict[str, Good] = {}

    def locate(self) -> dict[str, Path]:
        """Every FAQ file by name: ``root``'s first, then the published ones, each in path order."""
        found: dict[str, Path] = {}
        for prefix, folder in self._folders():
            if folder.is_dir():
                found.update((prefix + path.relative_to(folder).as_posix(), path) for path in discover(folder))
        return found

    def signature(self) -> Signature:
        """Names, modification times and sizes: cheap to take, and it changes with every saved edit."""
        out = []
        for name, path in self.locate().items():
            try:
                stat = path.stat()
            except OSError:
                continue
            out.append((name, stat.st_mtime_ns, stat.st_size))
        return tuple(out)

    def restore(self, entries: Iterable[Entry], sources: Mapping[str, str]) -> None:
        """What a persisted index served: its entries by file, with the digests it was built from."""
        by_file: dict[str, list[Entry]] = {}
        for entry in entries:
            by_file.setdefault(entry.file, []).append(entry)
        self.good = {name: Good(digest, tuple(by_file.get(name, ()))) for name, digest in sources.items()}

    def read(self) -> tuple[dict[str, Good], list[ParsedFile]]:
        """Every file as it serves now, and as checked; :attr:`good` is the caller's to replace."""
        files = self.locate()
        digests = {name: _digest(path) for name, path in files.items()}
        # An id that serves stays with its file: an edit elsewhere cannot take it over.
        serving = {e.id: name for name, g in self.good.items() for e in g.entries}
        checked = check_ids_across(self._unchanged(files, digests) + self._changed(files, digests), keep=serving)
        return {pf.path: Good(digests[pf.path], pf.entries, pf.problems) for pf in checked}, checked

    @staticmethod
    def entries(good: Mapping[str, Good]) -> list[Entry]:
        return [e for name in sorted(good, key=_order) for e in good[name].entries]

    def _folders(self) -> list[tuple[str, Path]]:
        return [("", self.root)] + ([(PREFIX, self.published)] if self.published is not None else [])

    def _unchanged(self, files: Mapping[str, Path], digests: Mapping[str, str]) -> list[ParsedFile]:
        """Files whose bytes did not change, listed first so they keep their ids against edited ones."""
        out = []
        for name, path in files.items():
            good = self.good.get(name)
            if good is None or good.digest != digests[name]:
                continue
            out.append(ParsedFile(name, good.entries, good.problems or ()) if good.settled else self._parse(name, path))
        return out

    def _changed(self, files: Mapping[str, Path], digests: Mapping[str, str]) -> list[ParsedFile]:
        """New and edited files, each with the last good version of what its errors reject."""
        return [
            self._parse(name, path)
            for name, path in files.items()
            if name not in self.good or self.good[name].digest != digests[name]
        ]

    def _parse(self, name: str, path: Path) -> ParsedFile:
        if self.published is not None and name.startswith(PREFIX):
            parsed = parse_file(path, self.published, prefix=PREFIX)
        else:
            parsed = parse_file(path, self.root)
        last = self.good.get(name)
        return with_last_good(parsed, last.entries if last else ())


def saved_sources(index_dir: Path) -> tuple[list[Entry], dict[str, str]] | None:
    """What a persisted index serves, by file, read without its vectors (None: no index, or unreadable): ``lint``
    then judges an id that two files define as the service does, by which of them serves it."""
    try:
        manifest = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))
        return [entry_from_dict(d) for d in manifest["entries"]], dict(manifest["sources"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def problems_of(checked: Sequence[ParsedFile]) -> tuple[Problem, ...]:
    return tuple(sorted((p for pf in checked for p in pf.problems), key=lambda p: (_order(p.file), p.line)))


def _order(name: str) -> tuple[bool, str]:
    return name.startswith(PREFIX), name


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""

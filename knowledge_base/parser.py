"""Parse one FAQ markdown file into entries, reporting every problem with its line.

The format (the contract fund teams write to)::

    ---                      optional YAML front matter; its keys apply to every entry
    team: redemption-desk
    lang: en                 en | zh, default en
    funds: ["110022"]
    tags: [redemption]
    escalate: false
    ---
    # Redemption             optional title, once, before the first entry

    ## How long until the money arrives? {#redemption-arrival}
    - When will I receive the money?        alternative phrasings (optional list)

    The answer: markdown kept verbatim, up to the next ``##`` heading.

Ids come from ``{#id}`` or, failing that, from the question (see :func:`make_id`).
``parse_text`` is pure; ``parse_file`` adds reading bytes and decoding them. The front matter is
checked by :mod:`knowledge_base.front_matter`.

What an error costs: the smallest part of the file that it makes untrustworthy.

* **The whole file** when nothing in it can be trusted: the bytes cannot be read or decoded as
  UTF-8, or there are more than ``MAX_FILE_BYTES`` of them (never read: a gigantic file is a
  mistake, not a FAQ); the front matter is bad (never closed, invalid YAML, not a mapping, an unknown or
  repeated key, a bad value), since its keys apply to every entry; or a code fence is never
  closed, since it swallows every heading after it. No entry of the file serves; a live
  service keeps the file's last good version, whole.
* **One entry** for an error inside its ``##`` section: a heading without question text, an
  invalid id, an id already used earlier in the file (or in another file, see
  :func:`knowledge_base.lint.check_ids_across`), an empty answer, an empty alternative
  phrasing. The rest of the file serves; a live service keeps the entry's last good version,
  found by its id or, when the id cannot be read, by its canonical question.
* **Nothing**, a warning, for harmless structure: a phrasing repeated within an entry (only
  the first is kept), a ``#`` title after the first entry or a second title (ignored), text
  before the first entry, ``##`` without a space, a long answer, a question whose script
  contradicts ``lang``, a file without entries.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path

from funddesk.text import CJK
from knowledge_base.entries import Entry, ParsedFile, Problem, Rejected, Report
from knowledge_base.front_matter import Meta, read_front_matter

MAX_ANSWER_CHARS = 1500
MAX_FILE_BYTES = 1_000_000  # the shipped FAQ files are under 20 kB each

ID_RE = re.compile(r"[a-z0-9][a-z0-9_-]*")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})(.*)$")
_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$")
_NOT_A_HEADING = re.compile(r"^ {0,3}##[^#\s]")
_CLOSING_HASHES = re.compile(r"(?:^|[ \t]+)#+[ \t]*$")
_ID_SUFFIX = re.compile(r"\{#([^{}]*)\}$")
_BULLET = re.compile(r"^ {0,3}[-*+](?:[ \t]+(.*))?$")
_LATIN_WORD = re.compile(r"[A-Za-z]+")


@dataclass
class _Section:
    """The raw lines of one ``##`` entry."""

    line: int
    heading: str
    body: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class _Heading:
    """What a ``##`` heading says, as far as it could be read."""

    question: str  # "" when the heading has no question text
    id: str | None  # None when ``{#id}`` is invalid, or missing with no question to derive it from


def parse_file(file: Path, root: Path, *, prefix: str = "") -> ParsedFile:
    """Read and parse ``file``; problems and entries name it relative to ``root``, after ``prefix``."""
    path = prefix + file.relative_to(root).as_posix()
    try:
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            too_big = Problem.of(path, 1, "too_big", size=f"{size:,}", limit=f"{MAX_FILE_BYTES:,}")
            return ParsedFile(path, problems=(too_big,))
        data = file.read_bytes()
    except OSError as exc:
        return ParsedFile(path, problems=(Problem.of(path, 1, "unreadable", reason=exc.strerror),))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return ParsedFile(path, problems=(_decode_problem(path, data, exc),))
    return parse_text(text, path)


def _decode_problem(path: str, data: bytes, exc: UnicodeDecodeError) -> Problem:
    line = data.count(b"\n", 0, exc.start) + 1
    code = "not_utf8_gbk" if _decodes(data, "gb18030") else "not_utf8"
    return Problem.of(path, line, code, byte=f"{data[exc.start]:02x}")


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def parse_text(text: str, path: str) -> ParsedFile:
    """Parse FAQ markdown ``text``; ``path`` names the file in entries and problems.

    ``entries`` holds the entries that serve: none after a file-level error, otherwise every
    entry without an error of its own; those with one are in ``rejected`` (module docstring).
    """
    report = Report(path)
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    meta, body_start = read_front_matter(lines, report)
    if body_start is None:
        return ParsedFile(path, problems=tuple(report.problems))
    title, sections = _scan(lines, body_start, report)
    entries, rejected = _build_entries(sections, meta, title, report)
    if not sections:
        report.warning(1, "no_entries")
    problems = sorted(report.problems, key=lambda p: p.line)
    parsed = ParsedFile(path, tuple(entries), tuple(problems), tuple(rejected))
    return parsed if parsed.ok else replace(parsed, entries=())


# -- markdown structure -------------------------------------------------------------------


def _scan(lines: list[str], start: int, report: Report) -> tuple[str | None, list[_Section]]:
    """Split the body into the title and ``##`` sections; ``##`` inside code fences is text."""
    title: str | None = None
    title_line = 0
    sections: list[_Section] = []
    fence: tuple[str, int] | None = None  # the opening marker and its line
    ignored_warned = False
    for number, line in enumerate(lines[start:], start=start + 1):
        fence = _next_fence_state(fence, line, number)
        heading = _HEADING.match(line) if fence is None and not _FENCE.match(line) else None
        level = len(heading.group(1)) if heading else 0
        if level == 2 and heading:
            sections.append(_Section(number, heading.group(2) or ""))
            continue
        if level == 1 and heading:  # a misplaced title changes no entry: the line is dropped
            if sections:
                report.warning(number, "title_after_entry")
            elif title_line:
                report.warning(number, "second_title", first=title_line)
            else:
                title_line, title = (
                    number,
                    _CLOSING_HASHES.sub("", heading.group(2) or "").strip() or None,
                )
            continue
        if fence is None and _NOT_A_HEADING.match(line):
            report.warning(number, "heading_space")
        if sections:
            sections[-1].body.append((number, line))
        elif line.strip() and not ignored_warned:
            report.warning(number, "text_before_entries")
            ignored_warned = True
    if fence is not None:
        report.error(fence[1], "unclosed_fence", fence=fence[0])
    return title, sections


def _next_fence_state(fence: tuple[str, int] | None, line: str, number: int) -> tuple[str, int] | None:
    """Open or close a fenced code block (CommonMark rules, at any indent)."""
    match = _FENCE.match(line)
    if match is None:
        return fence
    marker, rest = match.group(1), match.group(2)
    if fence is None:
        if marker[0] == "`" and "`" in rest:
            return None  # inline code such as ```x```, not a fence
        return marker, number
    opened = fence[0]
    if marker[0] == opened[0] and len(marker) >= len(opened) and not rest.strip():
        return None
    return fence


# -- entries ------------------------------------------------------------------------------


def _build_entries(
    sections: list[_Section], meta: Meta, title: str | None, report: Report
) -> tuple[list[Entry], list[Rejected]]:
    """The entries that serve, and the sections that an error of their own rejects."""
    entries: list[Entry] = []
    rejected: list[Rejected] = []
    first_line: dict[str, int] = {}
    for section in sections:
        heading = _read_heading(section, report)
        entry = _build_entry(section, heading, meta, title, report)
        if heading.id is not None:
            # The first section with an id owns it, even a broken one: otherwise a later copy would
            # serve while the first is broken, then be rejected in turn once it is fixed.
            first = first_line.setdefault(heading.id, section.line)
            if first != section.line:
                report.error(
                    section.line,
                    "duplicate_id",
                    id=heading.id,
                    first=f"{report.path}:{first}",
                    entry=section.line,
                )
                entry = None
        if entry is None:
            rejected.append(Rejected(section.line, heading.id, heading.question or None))
        else:
            entries.append(entry)
    return entries, rejected


def _build_entry(section: _Section, heading: _Heading, meta: Meta, title: str | None, report: Report) -> Entry | None:
    """The section's entry, or None when one of its own errors rejects it (all are reported)."""
    alternatives, answer_lines = _split_body(section.body)
    kept = _check_alternatives(section.line, heading.question, alternatives, report)
    answer = "\n".join(text for _, text in answer_lines)
    if not answer.strip():
        report.error(section.line, "empty_answer_after_list" if alternatives else "empty_answer", entry=section.line)
    elif len(answer) > MAX_ANSWER_CHARS:
        report.warning(
            section.line, "long_answer", length=f"{len(answer):,}", limit=f"{MAX_ANSWER_CHARS:,}", entry=section.line
        )
    if not heading.question or heading.id is None:
        return None
    _check_lang(section.line, heading.question, meta.lang, report)
    if report.rejects(section.line):
        return None
    return Entry(
        id=heading.id,
        question=heading.question,
        answer=answer,
        file=report.path,
        line=section.line,
        alternatives=kept,
        lang=meta.lang,
        team=meta.team,
        funds=meta.funds,
        tags=meta.tags,
        escalate=meta.escalate,
        title=title,
    )


def _read_heading(section: _Section, report: Report) -> _Heading:
    """The question and id of a ``##`` heading, reporting what is wrong with them."""
    text = _CLOSING_HASHES.sub("", section.heading).strip()
    match = _ID_SUFFIX.search(text)
    explicit = match.group(1).strip() if match else None
    question = text[: match.start()].strip() if match else text
    if not question:
        report.error(section.line, "no_question", entry=section.line)
    if explicit is None:
        return _Heading(question, make_id(question) if question else None)
    if not ID_RE.fullmatch(explicit):
        report.error(section.line, "bad_id", id=explicit, entry=section.line)
        return _Heading(question, None)
    return _Heading(question, explicit)


def _split_body(body: list[tuple[int, str]]) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """Split an entry's lines into the alternatives list right under the heading and the answer."""
    alternatives: list[tuple[int, str]] = []
    i = 0
    while i < len(body):
        number, line = body[i]
        bullet = _BULLET.match(line)
        if bullet:
            alternatives.append((number, (bullet.group(1) or "").strip()))
        elif not line.strip():
            following = next((j for j in range(i, len(body)) if body[j][1].strip()), len(body))
            if following == len(body) or (alternatives and not _BULLET.match(body[following][1])):
                break
        elif alternatives and line[:1] in " \t":  # a wrapped bullet continues
            first, text = alternatives[-1]
            alternatives[-1] = (first, f"{text} {line.strip()}".strip())
        else:
            break
        i += 1
    return alternatives, _strip_blank(body[i:])


def _strip_blank(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    start, end = 0, len(lines)
    while start < end and not lines[start][1].strip():
        start += 1
    while end > start and not lines[end - 1][1].strip():
        end -= 1
    return lines[start:end]


def _check_alternatives(
    line: int, question: str, alternatives: list[tuple[int, str]], report: Report
) -> tuple[str, ...]:
    """The alternatives that serve; a repeated phrasing is a warning and only its first occurrence serves."""
    # A repeat adds nothing to matching but makes the entry no less right: no reason to reject it.
    seen: dict[str, int] = {phrasing_key(question): line} if question else {}
    kept: list[str] = []
    for number, text in alternatives:
        if not text:
            report.error(number, "empty_phrasing", entry=line)
            continue
        key = phrasing_key(text)
        if key in seen:
            report.warning(number, "duplicate_phrasing", text=text, first=seen[key], entry=line)
        else:
            seen[key] = number
            kept.append(text)
    return tuple(kept)


def phrasing_key(phrasing: str) -> str:
    """Phrasings that differ only in case, spacing, width or final punctuation are the same."""
    folded = " ".join(unicodedata.normalize("NFKC", phrasing).casefold().split())
    return folded.rstrip("?!.。？！ ")


def _check_lang(line: int, question: str, lang: str, report: Report) -> None:
    """Warn when the question's script contradicts ``lang``.

    Chinese characters are weighed against Latin *letters* for ``en`` and against Latin
    *words* for ``zh``, so a fund name in an English question or "QDII" in a Chinese one
    does not trigger a warning.
    """
    cjk = len(CJK.findall(question))
    if lang == "en" and cjk > sum(len(w) for w in _LATIN_WORD.findall(question)):
        report.warning(line, "looks_chinese")
    elif lang == "zh" and len(_LATIN_WORD.findall(question)) > cjk:
        report.warning(line, "not_chinese")


def make_id(question: str) -> str:
    """The id of an entry without ``{#id}``.

    Questions with Chinese characters, or without any ASCII letter, get ``zh-`` (or ``q-``
    when there is no Chinese either) plus the first 8 hex digits of the SHA-1 of the
    NFC-normalised question. Others get a slug: accents dropped, apostrophes removed,
    lowercase ASCII letter/digit runs joined with ``-``.
    """
    text = unicodedata.normalize("NFC", question.strip())
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]+", re.sub(r"['’]", "", ascii_text))
    chinese = CJK.search(text) is not None
    if chinese or not any(c.isalpha() for c in "".join(words)):
        return ("zh-" if chinese else "q-") + hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]
    return "-".join(words)

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
``parse_text`` is pure; ``parse_file`` adds reading bytes and decoding them.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import yaml

from knowledge_base.entries import LANGS, Entry, ParsedFile, Problem

FRONT_MATTER_KEYS = ("escalate", "funds", "lang", "tags", "team")
MAX_ANSWER_CHARS = 1500

ID_RE = re.compile(r"[a-z0-9][a-z0-9_-]*")
TEAM_RE = re.compile(r"[a-z0-9][a-z0-9-]*")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})(.*)$")
_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$")
_NOT_A_HEADING = re.compile(r"^ {0,3}##[^#\s]")
_CLOSING_HASHES = re.compile(r"(?:^|[ \t]+)#+[ \t]*$")
_ID_SUFFIX = re.compile(r"\{#([^{}]*)\}$")
_BULLET = re.compile(r"^ {0,3}[-*+](?:[ \t]+(.*))?$")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")
_INT_TAG = "tag:yaml.org,2002:int"
_T = TypeVar("_T")


@dataclass
class _Report:
    """Collects the problems of one file."""

    path: str
    problems: list[Problem] = field(default_factory=list)

    def error(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.path, line, message))

    def warning(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.path, line, message, "warning"))


@dataclass(frozen=True)
class _Meta:
    """The front-matter settings every entry of a file inherits."""

    team: str | None = None
    lang: str = "en"
    funds: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    escalate: bool = False


@dataclass
class _Section:
    """The raw lines of one ``##`` entry."""

    line: int
    heading: str
    body: list[tuple[int, str]] = field(default_factory=list)


def parse_file(file: Path, root: Path) -> ParsedFile:
    """Read and parse ``file``; problems and entries name it relative to ``root``."""
    path = file.relative_to(root).as_posix()
    try:
        data = file.read_bytes()
    except OSError as exc:
        return ParsedFile(path, problems=(Problem(path, 1, f"cannot read file: {exc.strerror}"),))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return ParsedFile(path, problems=(_decode_problem(path, data, exc),))
    return parse_text(text, path)


def _decode_problem(path: str, data: bytes, exc: UnicodeDecodeError) -> Problem:
    line = data.count(b"\n", 0, exc.start) + 1
    found = f"byte 0x{data[exc.start]:02x}"
    if _decodes(data, "gb18030"):
        found += "; it looks like GBK/GB18030"
    return Problem(path, line, f"file is not valid UTF-8 ({found}); save it as UTF-8")


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def parse_text(text: str, path: str) -> ParsedFile:
    """Parse FAQ markdown ``text``; ``path`` names the file in entries and problems.

    ``entries`` holds every entry with a question and a usable id, even when the file has
    errors elsewhere: serve a file only when ``ok``.
    """
    report = _Report(path)
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    meta, body_start = _read_front_matter(lines, report)
    if body_start is None:
        return ParsedFile(path, problems=tuple(report.problems))
    title, sections = _scan(lines, body_start, report)
    entries = _build_entries(sections, meta, title, report)
    if not sections:
        report.warning(1, "no entries: a FAQ file needs at least one '## question' heading")
    problems = sorted(report.problems, key=lambda p: p.line)
    return ParsedFile(path, tuple(entries), tuple(problems))


# -- front matter -------------------------------------------------------------------------


def _read_front_matter(lines: list[str], report: _Report) -> tuple[_Meta, int | None]:
    """Validate the front matter; return it and the index of the first body line.

    The index is None when the front matter never ends, since then nothing can be trusted.
    """
    if lines[0].rstrip() != "---":
        return _Meta(), 0
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
    if end is None:
        report.error(1, "front matter is never closed: add a '---' line after it")
        return _Meta(), None
    node = _load_yaml("\n".join(lines[1:end]), report)
    if node is None:
        return _Meta(), end + 1
    if not isinstance(node, yaml.MappingNode):
        report.error(
            _line_of(node), f"front matter must be a mapping of keys to values, not {_kind(node)}"
        )
        return _Meta(), end + 1
    return _meta_from(node, report), end + 1


def _load_yaml(text: str, report: _Report) -> yaml.Node | None:
    """Compose the YAML (keeping line numbers and scalars as written), or report why not."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            loader.construct_document(node)  # surfaces bad tags and values now, not later
    except yaml.MarkedYAMLError as exc:
        line = 2 + exc.problem_mark.line if exc.problem_mark is not None else 1
        report.error(line, f"invalid YAML in front matter: {exc.problem or exc}")
        return None
    except yaml.YAMLError as exc:
        report.error(1, f"invalid YAML in front matter: {exc}")
        return None
    finally:
        loader.dispose()
    return node


def _line_of(node: yaml.Node) -> int:
    return 2 + node.start_mark.line  # the YAML starts on the file's line 2


def _meta_from(mapping: yaml.MappingNode, report: _Report) -> _Meta:
    values: dict[str, yaml.Node] = {}
    first_line: dict[str, int] = {}
    for key_node, value_node in mapping.value:
        key, line = str(key_node.value), _line_of(key_node)
        if key not in FRONT_MATTER_KEYS:
            report.error(line, _unknown_key_message(key))
        elif key in first_line:
            report.error(
                line, f"duplicate front-matter key '{key}' (first at line {first_line[key]})"
            )
        else:
            first_line[key], values[key] = line, value_node

    def checked(key: str, check: Callable[[yaml.Node, _Report], _T | None]) -> _T | None:
        return check(values[key], report) if key in values else None

    team, lang = checked("team", _team), checked("lang", _lang)
    funds, tags = checked("funds", _funds), checked("tags", _tags)
    escalate = checked("escalate", _escalate)
    return _Meta(team, lang or "en", funds or (), tags or (), bool(escalate))


def _unknown_key_message(key: str) -> str:
    close = difflib.get_close_matches(key.lower(), FRONT_MATTER_KEYS, n=1, cutoff=0.6)
    if close:
        return f"unknown front-matter key '{key}' (did you mean '{close[0]}'?)"
    return f"unknown front-matter key '{key}' (allowed: {', '.join(FRONT_MATTER_KEYS)})"


def _team(node: yaml.Node, report: _Report) -> str | None:
    value = _scalar(node)
    if isinstance(value, str) and TEAM_RE.fullmatch(value):
        return value
    report.error(
        _line_of(node),
        "team must be lowercase letters, digits and '-', like 'redemption-desk', "
        f"not {_show(node)}",
    )
    return None


def _lang(node: yaml.Node, report: _Report) -> str | None:
    value = _scalar(node)
    if isinstance(value, str) and value in LANGS:
        return value
    report.error(_line_of(node), f"lang must be 'en' or 'zh', not {_show(node)}")
    return None


def _escalate(node: yaml.Node, report: _Report) -> bool | None:
    value = _scalar(node)
    if isinstance(value, bool):
        return value
    report.error(_line_of(node), f"escalate must be true or false, not {_show(node)}")
    return None


def _funds(node: yaml.Node, report: _Report) -> tuple[str, ...] | None:
    if not isinstance(node, yaml.SequenceNode):
        report.error(
            _line_of(node),
            f'funds must be a list of 6-digit fund codes like ["110022"], not {_show(node)}',
        )
        return None
    codes = [_fund_code(item, report) for item in node.value]
    return tuple(c for c in codes if c is not None) if None not in codes else None


def _fund_code(node: yaml.Node, report: _Report) -> str | None:
    """A fund code as written: unquoted numbers keep their digits (YAML reads 012345 as octal)."""
    value = _scalar(node)
    text: str
    if isinstance(node, yaml.ScalarNode) and node.tag == _INT_TAG and str(node.value).isdigit():
        text = str(node.value).zfill(6)
    elif isinstance(value, str):
        text = value.strip()
    else:
        report.error(_line_of(node), f"fund code must be a string of 6 digits, not {_show(node)}")
        return None
    if len(text) == 6 and text.isascii() and text.isdigit():
        return text
    report.error(_line_of(node), f"fund code '{text}' is not 6 digits")
    return None


def _tags(node: yaml.Node, report: _Report) -> tuple[str, ...] | None:
    if not isinstance(node, yaml.SequenceNode):
        report.error(_line_of(node), f"tags must be a list of strings, not {_show(node)}")
        return None
    tags: list[str] = []
    for item in node.value:
        value = _scalar(item)
        if isinstance(value, str) and value.strip():
            tags.append(value.strip())
        else:
            report.error(_line_of(item), f"each tag must be a non-empty string, not {_show(item)}")
    return tuple(tags) if len(tags) == len(node.value) else None


def _scalar(node: yaml.Node) -> object:
    """The Python value of a scalar node (None for lists and mappings)."""
    if not isinstance(node, yaml.ScalarNode):
        return None
    value: object = yaml.SafeLoader("").construct_object(node)
    return value


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    return _show(node)


def _show(node: yaml.Node) -> str:
    """How to name a value in a message: strings quoted, other scalars as written."""
    if not isinstance(node, yaml.ScalarNode):
        return _kind(node)
    value = _scalar(node)
    if value is None:
        return "an empty value"
    return f"'{value}'" if isinstance(value, str) else str(node.value)


# -- markdown structure -------------------------------------------------------------------


def _scan(lines: list[str], start: int, report: _Report) -> tuple[str | None, list[_Section]]:
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
        if level == 1 and heading:
            if sections:
                report.error(number, "a '#' title must come before the first '##' entry")
            elif title_line:
                report.error(
                    number, f"only one '#' title is allowed (the first is at line {title_line})"
                )
            else:
                title_line, title = (
                    number,
                    _CLOSING_HASHES.sub("", heading.group(2) or "").strip() or None,
                )
            continue
        if fence is None and _NOT_A_HEADING.match(line):
            report.warning(number, "'##' needs a space after it to start an entry")
        if sections:
            sections[-1].body.append((number, line))
        elif line.strip() and not ignored_warned:
            report.warning(number, "text before the first '##' entry is ignored")
            ignored_warned = True
    if fence is not None:
        report.error(
            fence[1],
            f"code fence '{fence[0]}' is never closed, so everything after it is answer text",
        )
    return title, sections


def _next_fence_state(
    fence: tuple[str, int] | None, line: str, number: int
) -> tuple[str, int] | None:
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
    sections: list[_Section], meta: _Meta, title: str | None, report: _Report
) -> list[Entry]:
    entries: list[Entry] = []
    first_line: dict[str, int] = {}
    for section in sections:
        entry = _build_entry(section, meta, title, report)
        if entry is None:
            continue
        if entry.id in first_line:
            report.error(
                entry.line,
                f"duplicate id '{entry.id}' "
                f"(first defined at {report.path}:{first_line[entry.id]})",
            )
            continue
        first_line[entry.id] = entry.line
        entries.append(entry)
    return entries


def _build_entry(
    section: _Section, meta: _Meta, title: str | None, report: _Report
) -> Entry | None:
    heading = _read_heading(section, report)
    alternatives, answer_lines = _split_body(section.body)
    _check_alternatives(section.line, heading[0] if heading else None, alternatives, report)
    answer = "\n".join(text for _, text in answer_lines)
    if not answer.strip():
        hint = (
            " (the list under the heading holds alternative phrasings; write the answer after it)"
        )
        report.error(section.line, "empty answer" + (hint if alternatives else ""))
    elif len(answer) > MAX_ANSWER_CHARS:
        report.warning(
            section.line,
            f"answer is {len(answer):,} characters; keep it under {MAX_ANSWER_CHARS:,}",
        )
    if heading is None:
        return None
    question, entry_id = heading
    _check_lang(section.line, question, meta.lang, report)
    return Entry(
        id=entry_id,
        question=question,
        answer=answer,
        file=report.path,
        line=section.line,
        alternatives=tuple(text for _, text in alternatives if text),
        lang=meta.lang,
        team=meta.team,
        funds=meta.funds,
        tags=meta.tags,
        escalate=meta.escalate,
        title=title,
    )


def _read_heading(section: _Section, report: _Report) -> tuple[str, str] | None:
    """The question and id of a ``##`` heading, or None after reporting why there are none."""
    text = _CLOSING_HASHES.sub("", section.heading).strip()
    match = _ID_SUFFIX.search(text)
    explicit = match.group(1).strip() if match else None
    question = text[: match.start()].strip() if match else text
    if not question:
        report.error(section.line, "heading has no question text")
        return None
    if explicit is None:
        return question, make_id(question)
    if not ID_RE.fullmatch(explicit):
        report.error(
            section.line,
            f"invalid id '{explicit}': use lowercase letters, digits, '-' and '_', "
            "starting with a letter or digit",
        )
        return None
    return question, explicit


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
    line: int, question: str | None, alternatives: list[tuple[int, str]], report: _Report
) -> None:
    seen: dict[str, int] = {phrasing_key(question): line} if question else {}
    for number, text in alternatives:
        if not text:
            report.error(number, "empty alternative phrasing")
            continue
        key = phrasing_key(text)
        if key in seen:
            report.error(number, f"duplicate phrasing '{text}' (same as line {seen[key]})")
        else:
            seen[key] = number


def phrasing_key(phrasing: str) -> str:
    """Phrasings that differ only in case, spacing, width or final punctuation are the same."""
    folded = " ".join(unicodedata.normalize("NFKC", phrasing).casefold().split())
    return folded.rstrip("?!.。？！ ")


def _check_lang(line: int, question: str, lang: str, report: _Report) -> None:
    """Warn when the question's script contradicts ``lang``.

    Chinese characters are weighed against Latin *letters* for ``en`` and against Latin
    *words* for ``zh``, so a fund name in an English question or "QDII" in a Chinese one
    does not trigger a warning.
    """
    cjk = len(_CJK.findall(question))
    if lang == "en" and cjk > sum(len(w) for w in _LATIN_WORD.findall(question)):
        report.warning(
            line,
            "question looks Chinese but lang is 'en' (missing 'lang: zh' in the front matter?)",
        )
    elif lang == "zh" and len(_LATIN_WORD.findall(question)) > cjk:
        report.warning(
            line,
            "question does not look Chinese but lang is 'zh' (wrong 'lang' in the front matter?)",
        )


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
    chinese = _CJK.search(text) is not None
    if chinese or not any(c.isalpha() for c in "".join(words)):
        return ("zh-" if chinese else "q-") + hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]
    return "-".join(words)

"""The YAML front matter of a FAQ file: the settings its entries inherit, checked key by key.

Each key's value is checked on its own YAML node, so every problem names the file's line.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import yaml

from funddesk.text import is_fund_code
from knowledge_base.entries import LANGS, Report

FRONT_MATTER_KEYS = ("escalate", "funds", "lang", "tags", "team")
TEAM_RE = re.compile(r"[a-z0-9][a-z0-9-]*")
_INT_TAG = "tag:yaml.org,2002:int"
_T = TypeVar("_T")


@dataclass(frozen=True)
class Meta:
    """The front-matter settings every entry of a file inherits."""

    team: str | None = None
    lang: str = "en"
    funds: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    escalate: bool = False


def read_front_matter(lines: list[str], report: Report) -> tuple[Meta, int | None]:
    """Validate the front matter; return it and the index of the first body line.

    The index is None when the front matter never ends, since then nothing can be trusted.
    """
    if lines[0].rstrip() != "---":
        return Meta(), 0
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
    if end is None:
        report.error(1, "fm_unclosed")
        return Meta(), None
    node = _load_yaml("\n".join(lines[1:end]), report)
    if node is None:
        return Meta(), end + 1
    if not isinstance(node, yaml.MappingNode):
        report.error(_line_of(node), "fm_not_mapping", kind=_kind(node))
        return Meta(), end + 1
    return _meta_from(node, report), end + 1


def _load_yaml(text: str, report: Report) -> yaml.Node | None:
    """Compose the YAML (keeping line numbers and scalars as written), or report why not.

    Anchors and aliases are refused before anything is composed: front matter never needs them,
    and nested aliases ("billion laughs") would make a few lines expand without bound.
    """
    loader: yaml.SafeLoader | None = None
    try:
        alias = _first_anchor_or_alias(text)
        if alias is not None:
            report.error(alias, "fm_alias")
            return None
        loader = yaml.SafeLoader(text)
        node = loader.get_single_node()
        if node is not None:
            loader.construct_document(node)  # surfaces bad tags and values now, not later
    except yaml.MarkedYAMLError as exc:
        line = 2 + exc.problem_mark.line if exc.problem_mark is not None else 1
        report.error(line, "fm_yaml", problem=exc.problem or exc)
        return None
    except yaml.reader.ReaderError as exc:  # a control character, before any YAML is read
        line = 2 + text.count("\n", 0, exc.position)
        report.error(line, "fm_character", char=f"{exc.character:04X}")
        return None
    except yaml.YAMLError as exc:
        report.error(1, "fm_yaml", problem=exc)
        return None
    finally:
        if loader is not None:
            loader.dispose()
    return node


def _first_anchor_or_alias(text: str) -> int | None:
    """The file line of the first ``&anchor`` or ``*alias`` in the YAML, read as events (nothing built)."""
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            return 2 + (event.start_mark.line if event.start_mark is not None else 0)
    return None


def _line_of(node: yaml.Node) -> int:
    return 2 + node.start_mark.line  # the YAML starts on the file's line 2


def _meta_from(mapping: yaml.MappingNode, report: Report) -> Meta:
    values: dict[str, yaml.Node] = {}
    first_line: dict[str, int] = {}
    for key_node, value_node in mapping.value:
        key, line = str(key_node.value), _line_of(key_node)
        if key not in FRONT_MATTER_KEYS:
            _unknown_key(line, key, report)
        elif key in first_line:
            report.error(line, "fm_duplicate_key", key=key, first=first_line[key])
        else:
            first_line[key], values[key] = line, value_node

    def checked(key: str, check: Callable[[yaml.Node, Report], _T | None]) -> _T | None:
        return check(values[key], report) if key in values else None

    team, lang = checked("team", _team), checked("lang", _lang)
    funds, tags = checked("funds", _funds), checked("tags", _tags)
    escalate = checked("escalate", _escalate)
    return Meta(team, lang or "en", funds or (), tags or (), bool(escalate))


def _unknown_key(line: int, key: str, report: Report) -> None:
    close = difflib.get_close_matches(key.lower(), FRONT_MATTER_KEYS, n=1, cutoff=0.6)
    if close:
        report.error(line, "fm_unknown_key_close", key=key, close=close[0])
    else:
        report.error(line, "fm_unknown_key", key=key, allowed=", ".join(FRONT_MATTER_KEYS))


def _team(node: yaml.Node, report: Report) -> str | None:
    value = _scalar(node)
    if isinstance(value, str) and TEAM_RE.fullmatch(value):
        return value
    report.error(_line_of(node), "bad_team", value=_show(node))
    return None


def _lang(node: yaml.Node, report: Report) -> str | None:
    value = _scalar(node)
    if isinstance(value, str) and value in LANGS:
        return value
    report.error(_line_of(node), "bad_lang", value=_show(node))
    return None


def _escalate(node: yaml.Node, report: Report) -> bool | None:
    value = _scalar(node)
    if isinstance(value, bool):
        return value
    report.error(_line_of(node), "bad_escalate", value=_show(node))
    return None


def _funds(node: yaml.Node, report: Report) -> tuple[str, ...] | None:
    if not isinstance(node, yaml.SequenceNode):
        report.error(_line_of(node), "bad_funds", value=_show(node))
        return None
    codes = [_fund_code(item, report) for item in node.value]
    return tuple(c for c in codes if c is not None) if None not in codes else None


def _fund_code(node: yaml.Node, report: Report) -> str | None:
    """A fund code as written: unquoted numbers keep their digits (YAML reads 012345 as octal)."""
    value = _scalar(node)
    text: str
    if isinstance(node, yaml.ScalarNode) and node.tag == _INT_TAG and str(node.value).isdigit():
        text = str(node.value).zfill(6)
    elif isinstance(value, str):
        text = value.strip()
    else:
        report.error(_line_of(node), "fund_not_string", value=_show(node))
        return None
    if is_fund_code(text):
        return text
    report.error(_line_of(node), "fund_not_six", fund=text)
    return None


def _tags(node: yaml.Node, report: Report) -> tuple[str, ...] | None:
    if not isinstance(node, yaml.SequenceNode):
        report.error(_line_of(node), "bad_tags", value=_show(node))
        return None
    tags: list[str] = []
    for item in node.value:
        value = _scalar(item)
        if isinstance(value, str) and value.strip():
            tags.append(value.strip())
        else:
            report.error(_line_of(item), "bad_tag", value=_show(item))
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

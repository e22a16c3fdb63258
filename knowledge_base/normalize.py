"""Text as the matcher reads it: one spelling for what investors write in many.

Investors type full-width letters and digits (`１２３`, `？`), traditional characters
(`贖回`), and their own words for the FAQ's terms (`卖出` for `赎回`). Both the FAQ's phrasings
and the questions go through the same :class:`Normalizer`, so none of that costs a match:

1. Unicode NFKC folds full-width and compatibility forms to their plain forms;
2. OpenCC's ``t2s`` turns traditional Chinese into simplified;
3. case is folded;
4. every word of a synonym group (``knowledge_base/synonyms.yml``, which the fund team
   extends) is replaced by the group's first word.

Nothing here is fitted to data: each step is a spelling rule.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from knowledge_base.entries import Problem

if TYPE_CHECKING:
    import opencc

_LATIN = re.compile(r"[0-9a-z]")


class SynonymsError(ValueError):
    """The synonyms file cannot be used; ``problems`` say where and why (``file:line: message``)."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class Synonyms:
    """Groups of words that mean the same to an investor; the first word of a group is the FAQ's."""

    groups: tuple[tuple[str, ...], ...] = ()

    @classmethod
    def load(cls, path: Path) -> Synonyms:
        """Read a synonyms file (a YAML list of lists); a missing file means no synonyms."""
        if not path.is_file():
            return cls()
        return cls.parse(path.read_text(encoding="utf-8"), path.name)

    @classmethod
    def parse(cls, text: str, name: str = "synonyms.yml") -> Synonyms:
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            line = exc.problem_mark.line + 1 if exc.problem_mark is not None else 1
            raise SynonymsError([Problem.of(name, line, "synonyms_yaml", problem=exc.problem or exc)]) from exc
        if node is None:
            return cls()
        if not isinstance(node, yaml.SequenceNode):
            raise SynonymsError([Problem.of(name, node.start_mark.line + 1, "synonyms_not_list")])
        groups, problems = [], []
        for item in node.value:
            group = _group(item)
            if group is None:
                problems.append(Problem.of(name, item.start_mark.line + 1, "synonyms_bad_group"))
            else:
                groups.append(group)
        if problems:
            raise SynonymsError(problems)
        return cls(tuple(groups))


def _group(node: yaml.Node) -> tuple[str, ...] | None:
    if not isinstance(node, yaml.SequenceNode):
        return None
    words = [str(w.value).strip() for w in node.value if isinstance(w, yaml.ScalarNode)]
    if len(words) != len(node.value) or len(words) < 2 or not all(words):
        return None
    return tuple(words)


class Normalizer:
    """Folds width, script, case and synonyms; the same instance serves phrasings and questions."""

    def __init__(self, synonyms: Synonyms | None = None) -> None:
        self.synonyms = synonyms or Synonyms()

    @cached_property
    def _t2s(self) -> opencc.OpenCC:
        import opencc

        return opencc.OpenCC("t2s")

    @cached_property
    def _replacements(self) -> tuple[re.Pattern[str] | None, dict[str, str]]:
        table: dict[str, str] = {}
        for group in self.synonyms.groups:
            canonical = self._fold(group[0])
            for word in group[1:]:
                table.setdefault(self._fold(word), canonical)
        table = {k: v for k, v in table.items() if k and k != v}
        if not table:
            return None, table
        # The canonical words match too (as themselves), so a variant inside one (红利再投 in
        # 红利再投资) is never replaced within it: the longest match wins.
        for group in self.synonyms.groups:
            table.setdefault(self._fold(group[0]), self._fold(group[0]))
        # Longest first, so 卖掉了 wins over 卖掉; Latin words only match whole.
        alternatives = [_bounded(word) for word in sorted(table, key=len, reverse=True)]
        return re.compile("|".join(alternatives)), table

    def _fold(self, text: str) -> str:
        return str(self._t2s.convert(unicodedata.normalize("NFKC", text))).casefold()

    def __call__(self, text: str) -> str:
        folded = self._fold(text)
        pattern, table = self._replacements
        return pattern.sub(lambda m: table[m.group(0)], folded) if pattern else folded

    def words(self) -> Iterable[str]:
        """Every canonical word, so a word segmenter can keep each one whole."""
        return (self._fold(group[0]) for group in self.synonyms.groups)


def _bounded(word: str) -> str:
    escaped = re.escape(word)
    start = r"(?<![0-9a-z])" if _LATIN.match(word[0]) else ""
    end = r"(?![0-9a-z])" if _LATIN.match(word[-1]) else ""
    return f"{start}{escaped}{end}"

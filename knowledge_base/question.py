"""What an investor's message asks, as the matcher should read it.

Investors write on phones: a greeting, their ID-card or phone number, a fund code, a complaint,
and somewhere in it the question. The matcher gets the question, never the personal data:

- ID-card, bank-card and phone numbers are removed before anything is matched or logged
  (:mod:`funddesk.masking` decides what is one); the text kept for logs shows them masked;
- fund codes and fund names are taken out of the text and returned as the fund asked about, so
  the fund narrows the candidates instead of weighing on the match (a 6-digit amount such as
  ``100000元`` is not a code);
- greetings and thanks are dropped;
- a message of several sentences is also read sentence by sentence (and, when one sentence is
  long, clause by clause), since the question is often one of them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from funddesk.masking import mask

_FUND_CODE = re.compile(r"(?<![\d.,])(\d{6})(?![\d.,]|\s*(?:元|块|份|万|rmb|yuan|cny|shares?)\b)", re.IGNORECASE)
_AMOUNT_PREFIX = re.compile(r"[¥$￥]\s*$")
_PLACEHOLDER = re.compile(r"\[(?:id|phone|card)\]")
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])|(?<=[.])\s+")
_CLAUSE_END = re.compile(r"(?<=[，,、])")
_FILLER = re.compile(
    r"您好|你好|哈喽|请问一下|请问|麻烦您?|谢谢您?|多谢|在吗|在不在|"
    r"(?<![a-z])(?:hi|hello|hey|dear|thanks|thank you|thx|pls|please|good (?:morning|afternoon|evening))(?![a-z])",
    re.IGNORECASE,
)
LONG_SENTENCE = 30  # characters (Chinese) or words (English) after which a sentence is read clause by clause
MAX_SEGMENTS = 6


@dataclass(frozen=True)
class Reading:
    """One message as the matcher reads it."""

    loggable: str  # the message with personal numbers masked: safe to store and log
    text: str  # the whole question: no personal numbers, fund mentions or greetings
    segments: tuple[str, ...]  # ``text`` first, then its sentences or clauses when there are several
    fund: str | None  # the fund named, a 6-digit code
    personal: int  # personal numbers removed


class QuestionReader:
    """Reads messages; knows the funds' names (``code -> names``) to recognise them."""

    def __init__(self, fund_names: Mapping[str, Sequence[str]] | None = None) -> None:
        names = [(_fold(n), code) for code, ns in (fund_names or {}).items() for n in ns if n.strip()]
        self._names = dict(sorted(names, key=lambda item: -len(item[0])))
        alternatives = [re.escape(n) for n in self._names]
        self._name_re = re.compile("|".join(alternatives), re.IGNORECASE) if alternatives else None

    def read(self, message: str) -> Reading:
        loggable = mask(message)
        text = _fold(mask(message, keep_last=0).text)
        text = _PLACEHOLDER.sub(" ", text)
        fund, text = self._take_funds(text)
        text = _FILLER.sub(" ", text)
        return Reading(loggable.text, _tidy(text), segments(text), fund, loggable.count)

    def _take_funds(self, text: str) -> tuple[str | None, str]:
        found: list[tuple[int, str]] = []
        if self._name_re is not None:
            for match in self._name_re.finditer(text):
                found.append((match.start(), self._names[match.group(0).casefold()]))
            text = self._name_re.sub(" ", text)
        kept: list[str] = []
        last = 0
        for match in _FUND_CODE.finditer(text):
            if _AMOUNT_PREFIX.search(text[: match.start()]):
                continue
            found.append((match.start(), match.group(1)))
            kept.append(text[last : match.start()])
            last = match.end()
        kept.append(text[last:])
        fund = min(found)[1] if found else None
        return fund, " ".join(kept)


def segments(text: str) -> tuple[str, ...]:
    """The whole text, then its sentences (long ones by clause) when it has more than one part."""
    whole = _tidy(text)
    parts: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        if _length(sentence) > LONG_SENTENCE:
            parts.extend(_CLAUSE_END.split(sentence))
        else:
            parts.append(sentence)
    parts = [p for p in (_tidy(p) for p in parts) if _length(p) >= 2 and p != whole]
    if not parts:
        return (whole,)
    longest = sorted(parts, key=_length, reverse=True)[: MAX_SEGMENTS - 1]
    return (whole, *[p for p in parts if p in longest])


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _tidy(text: str) -> str:
    return " ".join(text.split()).strip(" ，,。.！!？?；;、")


def _length(text: str) -> int:
    """Characters for Chinese, words for everything else: a comparable sense of 'long'."""
    cjk = sum(1 for c in text if "\u3400" <= c <= "\u9fff")
    return cjk + len(re.findall(r"[A-Za-z0-9]+", text))

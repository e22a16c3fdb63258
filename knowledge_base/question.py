"""What an investor's message asks, as the matcher should read it.

Investors write on phones: a greeting, their ID-card or phone number, a fund code, a complaint,
and somewhere in it the question. The matcher gets the question, never the personal data:

- ID-card, bank-card and phone numbers are removed before anything is matched or logged
  (:mod:`funddesk.masking` decides what is one); the text kept for logs shows them masked;
- fund codes and fund names are taken out of the text and returned as the fund asked about, so
  the fund narrows the candidates instead of weighing on the match (a 6-digit amount such as
  ``100000元`` is not a code);
- order and reference numbers, greetings and thanks are dropped.

A fund entry's phrasings are read the same way (:meth:`QuestionReader.phrasing`): its fund's
names and codes come out, so a question that named the fund and one that did not meet the same
text. What is left is matched whole. Ranking each sentence or clause separately as well, and keeping
the best, was tried: on the dev messages it put a short fragment ("怎么办", "what nav do I get")
ahead of the real question more often than it found one (top-1 90% → 84%). So the whole message
ranks, and its :func:`clauses` only judge how well it asks the entries it ranks best (see
:meth:`knowledge_base.lexical.LexicalIndex.clause_coverage`).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from funddesk.masking import mask
from funddesk.text import FUND_CODE, detect_lang

# A fund code not followed by a unit: "100000元", "100000 yuan" and "100000份" are amounts.
_CODE_MENTION = re.compile(
    rf"(?<![\d.,])({FUND_CODE.pattern})(?![\d.,]|\s*(?:元|块|份|万|千)|\s*(?:rmb|yuan|cny|shares?|units?)(?![a-z]))",
    re.IGNORECASE,
)
_AMOUNT_PREFIX = re.compile(r"[¥$￥]\s*$")
# A removed number goes with the words that introduce it ("身份证号：", "my phone number is").
_PLACEHOLDER = re.compile(
    r"(?:(?:身份证|证件|手机|电话|联系电话|银行卡|储蓄卡|信用卡|卡|订单|编|单)(?:号码|号)?[:：是为]?\s*)?"
    r"(?:(?<![a-z])(?:my\s+)?(?:id(?:\s*card)?|phone|mobile|tel|bank\s*card|card)"
    r"(?:\s*(?:number|no\.?|#))?\s*(?:is|:)?\s*)?"
    r"\[(?:id|phone|card)\]",
    re.IGNORECASE,
)
# Order and reference numbers, and any other long digit run: they say nothing about the question.
_REFERENCE = re.compile(
    r"(?:(?:订单|委托|流水|投诉|交易)?(?:编号|单号|号)[:：是为]?\s*|(?<![a-z])(?:order|ref(?:erence)?|ticket|case)"
    r"\s*(?:no\.?|number|#|id)?\s*:?\s*)?(?<![0-9a-z])[a-z]{0,4}-?\d{7,}[\d-]*(?![0-9a-z])",
    re.IGNORECASE,
)
_FILLER = re.compile(
    r"您好|你好|哈喽|请问一下|请问|麻烦您?|谢谢您?|多谢|在吗|在不在|"
    r"(?<![a-z])(?:hi|hello|hey|dear|thanks|thank you|thx|pls|please|good (?:morning|afternoon|evening))(?![a-z])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class FollowUp:
    """A message to be matched in the context of the entry answered before it (:mod:`.followups`)."""

    previous: str  # the id of the entry the investor has just read
    context: str  # its canonical question, as the index matches it
    text: str  # the context, then the question: what is matched and embedded
    new_fund: bool  # the message names a fund other than the conversation's, and asks nothing else


@dataclass(frozen=True)
class Reading:
    """One message as the matcher reads it."""

    loggable: str  # the message with personal numbers masked: safe to store and log
    text: str  # the question: no personal numbers, reference numbers, fund mentions or greetings
    fund: str | None  # the fund named, a 6-digit code
    personal: int  # personal numbers removed
    follows: FollowUp | None = None  # read in the context of the answer before it (``text`` holds both)

    @property
    def lang(self) -> str:
        """The question's language, read without numbers and their masks ("[card ••••0123]" is not English)."""
        return detect_lang(self.text, default=detect_lang(self.loggable))


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
        text = _REFERENCE.sub(" ", _PLACEHOLDER.sub(" ", text))
        fund, text = self._take_funds(text)
        text = _FILLER.sub(" ", text)
        return Reading(loggable.text, _tidy(text), fund, loggable.count)

    def phrasing(self, text: str) -> str:
        """A fund entry's phrasing as the matcher reads it: the fund's names and codes taken out, as
        they are taken out of questions (the entry's scope says which fund). Left in, they would
        count against a question that named the fund, which has none left in its text."""
        _, rest = self._take_funds(_fold(text))
        return _tidy(rest) or text

    @property
    def key(self) -> str:
        """Changes with the fund names known: an index whose phrasings were read with others is stale."""
        return hashlib.sha256("\0".join(sorted(self._names)).encode()).hexdigest()[:16]

    def _take_funds(self, text: str) -> tuple[str | None, str]:
        found: list[tuple[int, str]] = []
        if self._name_re is not None:
            for match in self._name_re.finditer(text):
                found.append((match.start(), self._names[match.group(0).casefold()]))
            text = self._name_re.sub(" ", text)
        kept: list[str] = []
        last = 0
        for match in _CODE_MENTION.finditer(text):
            if _AMOUNT_PREFIX.search(text[: match.start()]):
                continue
            found.append((match.start(), match.group(1)))
            kept.append(text[last : match.start()])
            last = match.end()
        kept.append(text[last:])
        fund = min(found)[1] if found else None
        return fund, " ".join(kept)


# Clause boundaries: punctuation, and a space next to Chinese (Chinese messages use spaces as commas).
_CLAUSE_BREAK = re.compile(r"[，,。.!！?？;；\n]+|\s+(?=[\u4e00-\u9fff])|(?<=[\u4e00-\u9fff])\s+")


def find_fund(text: str) -> str | None:
    """The fund a message names by its 6-digit code (names need the funds file: see QuestionReader)."""
    return QuestionReader().read(text).fund


def clauses(question: str) -> list[str]:
    """The clauses of a question read from a message; none when it is one clause."""
    parts = [part.strip() for part in _CLAUSE_BREAK.split(question)]
    parts = [part for part in parts if part]
    return parts if len(parts) > 1 else []


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _tidy(text: str) -> str:
    return " ".join(text.split()).strip(" ，,。.！!？?；;、")

"""Investors' personal data: ID-card, bank-card and phone numbers are masked.

Staff see them masked, the question log and incident samples store them masked, and the matcher
never reads them at all.

Staff see the last four digits (enough to confirm with the investor); revealing the whole text
is a separate, audited action. Masking errs on the side of hiding: any run of 16 to 19 digits is
taken for a bank card, and a shorter one (13 to 15) when it passes the card (Luhn) check. Fund
codes (6 digits), amounts and dates stay readable.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# Separators, and the digits and signs the patterns spell out, in their full-width forms too (Chinese input
# methods type them; ``\d`` already matches full-width digits).
_SEP = r"[ \-\u3000\uff0d]?"
# A number stands alone: not inside a token of letters and digits (half- or full-width), such as a hex id.
_ALONE_BEFORE = r"(?<![\dA-Za-zＡ-Ｚａ-ｚ])"
_ALONE_AFTER = r"(?![\dA-Za-zＡ-Ｚａ-ｚ])"
# 18-digit resident ID (last character may be X) and the old 15-digit form.
_ID_CARD = re.compile(_ALONE_BEFORE + r"(\d{17}[\dXx]|\d{15})" + _ALONE_AFTER)
# 13-19 digits, optionally grouped by spaces or dashes (as cards are written).
# (A conversation id, a hex token, may hold a run of 16 digits.)
_CARD = re.compile(_ALONE_BEFORE + r"(\d(?:" + _SEP + r"\d){12,18})" + _ALONE_AFTER)
# Mainland mobiles (optionally +86), landlines with area code, and international numbers (a hex id may hold
# "13812345678", a UUID's last groups "0123-45678901"; a "+" before a number belongs to it).
_MOBILE = r"(?:(?:[+＋]|[0０]{2})[8８][6６]" + _SEP + r")?[1１][3-9３-９]\d(?:" + _SEP + r"\d){8}"
_LANDLINE = r"[0０]\d{2,3}[ \-\u3000\uff0d]\d{7,8}"
_INTERNATIONAL = r"[+＋]\d{1,3}(?:" + _SEP + r"\d){6,12}"
_PHONE = re.compile(f"{_ALONE_BEFORE}(?<![+＋])(?:{_MOBILE}|{_LANDLINE}|{_INTERNATIONAL}){_ALONE_AFTER}")


@dataclass(frozen=True)
class Masked:
    text: str
    count: int  # how many numbers were masked

    @property
    def changed(self) -> bool:
        return self.count > 0


def mask(text: str, *, keep_last: int = 4) -> Masked:
    """Replace every personal number by ``[kind ••••1234]``; ``keep_last=0`` leaves just ``[kind]``."""
    count = 0

    def hide(kind: str) -> Callable[[re.Match[str]], str]:
        def replace(match: re.Match[str]) -> str:
            nonlocal count
            digits = re.sub(r"[^\dXx]", "", match.group(0))
            if kind == "card" and len(digits) < 16 and not _luhn(digits):  # short runs: only real card numbers
                return match.group(0)
            count += 1
            return f"[{kind} ••••{digits[-keep_last:]}]" if keep_last else f"[{kind}]"

        return replace

    for kind, pattern in (("id", _ID_CARD), ("phone", _PHONE), ("card", _CARD)):
        text = pattern.sub(hide(kind), text)
    return Masked(text, count)


def _luhn(digits: str) -> bool:
    if not digits.isdigit():
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0

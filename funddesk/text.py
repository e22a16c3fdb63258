"""What every package reads the same way in an investor's text: Chinese characters, the language, fund codes.

The matcher, the bot's replies, the web service and the bench each read these; each fact is
spelled here once, so a reply never comes in another language than the one the matcher read.
"""

from __future__ import annotations

import re

# CJK Unified Ideographs with Extension A and the Compatibility Ideographs: the Chinese
# characters an investor types. Kana, Hangul and CJK punctuation are not in it.
CJK_CLASS = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
CJK = re.compile(CJK_CLASS)
CJK_RUN = re.compile(CJK_CLASS + "+")
ZH_SHARE = 0.2  # a Chinese sentence with a few English words (QDII, app, ETF) is still Chinese

# A mainland fund code: six ASCII digits. Full-width digits are folded to ASCII before a
# message is read (NFKC), so they are not a second spelling to allow here.
FUND_CODE = re.compile(r"[0-9]{6}")


def cjk_share(text: str) -> float:
    """Share of Chinese characters among the letters of ``text`` (digits and punctuation are neutral)."""
    letters = [c for c in text if c.isalpha()]
    return sum(1 for c in letters if CJK.match(c)) / len(letters) if letters else 0.0


def detect_lang(text: str, default: str = "en") -> str:
    """``zh`` or ``en``; ``default`` when the text has no letters at all (a number, an emoji)."""
    if not any(c.isalpha() for c in text):
        return default
    return "zh" if cjk_share(text) >= ZH_SHARE else "en"


def is_fund_code(text: str) -> bool:
    """Whether ``text`` is exactly a fund code (no spaces, no other characters)."""
    return FUND_CODE.fullmatch(text) is not None

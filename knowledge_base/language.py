"""Which language a text is in, decided one way everywhere (matching, replies, the web service)."""

from __future__ import annotations

import re

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
ZH_SHARE = 0.2  # a Chinese sentence with a few English words (QDII, app, ETF) is still Chinese


def cjk_share(text: str) -> float:
    """Share of Chinese characters among the letters of ``text`` (digits and punctuation are neutral)."""
    letters = [c for c in text if c.isalpha()]
    return sum(1 for c in letters if CJK.match(c)) / len(letters) if letters else 0.0


def detect_lang(text: str, default: str = "en") -> str:
    """``zh`` or ``en``; ``default`` when the text has no letters at all (a number, an emoji)."""
    if not any(c.isalpha() for c in text):
        return default
    return "zh" if cjk_share(text) >= ZH_SHARE else "en"

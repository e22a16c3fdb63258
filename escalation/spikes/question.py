"""One question as the spike pipeline takes it: when it was asked, its text and embedding (the matcher's), and what
the matcher made of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np


@dataclass(frozen=True)
class Question:
    moment: datetime
    text: str
    embedding: np.ndarray
    lang: str = "en"
    fund_code: str | None = None
    entry_id: str | None = None
    score: float | None = None
    decision: str | None = None
    conversation_id: str | None = None

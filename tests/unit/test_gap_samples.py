"""A knowledge gap's samples are masked as they are read, whatever wrote the question log (rows logged before a
masking rule existed, a bulk load): they reach the dashboard, its CSV export and the drafts."""

from __future__ import annotations

import numpy as np

from escalation.analytics.gaps import central_samples
from escalation.analytics.repository import Member


def test_a_sample_holding_a_personal_number_is_shown_masked() -> None:
    vector = np.ones(4, dtype="<f4")
    logged = Member(1, "c1", "my phone １３８１２３４５６７８ got no money", "zh", None, vector.tobytes())
    [sample] = central_samples([logged], vector / np.linalg.norm(vector))
    assert "５６７８" in sample and "１３８１２３４" not in sample

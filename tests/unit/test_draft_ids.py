"""Publishing a knowledge-gap draft takes a gap entry id and nothing more: the id names the published file."""

from __future__ import annotations

from pathlib import Path

import pytest

from escalation.analytics import drafts
from escalation.staff.errors import Invalid
from funddesk.settings import Settings


@pytest.mark.parametrize("entry", ["gap-c17\n", "gap-c17/../x", "redemption-arrival"])
def test_an_id_that_is_not_exactly_a_gap_entry_id_is_refused_before_anything_is_written(
    tmp_path: Path, entry: str
) -> None:
    settings = Settings(data_dir=tmp_path, kb_dir=tmp_path / "kb")
    with pytest.raises(Invalid):
        drafts.publish(settings, entry, "## Q {#gap-c17}\n\nA.\n")
    assert not any(tmp_path.rglob("*.md"))

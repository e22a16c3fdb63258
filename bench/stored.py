"""What the clients were told was kept, looked up in the database the service wrote to.

An investor's message is acknowledged by a 200 (the API stores it before anything else); every
message id a 200 or a staff 201 returned names a stored row. Texts are compared as multisets per
conversation, so a message that went through twice (a client retry) is not taken for a loss.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from funddesk.db import Database, Role, database_url, repository
from funddesk.db.incidents import Incident


def compare_with_database(url: str, said: Mapping[str, list[str]], ids: Mapping[str, set[int]]) -> dict[str, Any]:
    db = Database.from_url(database_url(url, Path()))
    lost_texts = lost_ids = unacknowledged = acknowledged = 0
    try:
        with db.session() as session:
            for conversation in set(said) | set(ids):
                rows = repository.history(session, conversation, include_internal=True)
                stored = Counter(m.text for m in rows if m.role == Role.INVESTOR)
                sent = Counter(said.get(conversation, []))
                acknowledged += sum(sent.values())
                lost_texts += sum((sent - stored).values())
                unacknowledged += sum((stored - sent).values())
                lost_ids += len(ids.get(conversation, set()) - {m.id for m in rows})
            incidents = session.scalar(select(func.count()).select_from(Incident)) or 0
            clusters = session.scalar(select(func.count(func.distinct(Incident.cluster_id)))) or 0
    finally:
        db.dispose()
    return {
        "conversations": len(set(said) | set(ids)),
        "investor_messages_acknowledged": acknowledged,
        "investor_messages_lost": lost_texts,
        "reply_ids_given": sum(len(v) for v in ids.values()),
        "reply_ids_lost": lost_ids,
        "stored_without_acknowledgement": unacknowledged,  # the client gave up (timeout, reset) after it was kept
        "incidents": incidents,
        "incidents_same_cluster_twice": incidents - clusters,
    }

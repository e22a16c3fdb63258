"""Idempotency keys on investors' messages: a message sent again with the same key (the widget
retrying after a lost reply) is stored once and answered with the replies it already got.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ONLY_KEYED = "idempotency_key IS NOT NULL"


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("idempotency_key", sa.String(length=64), nullable=True))
    op.create_index(
        "ux_messages_idempotency_key",
        "messages",
        ["conversation_id", "idempotency_key"],
        unique=True,
        sqlite_where=sa.text(_ONLY_KEYED),
        postgresql_where=sa.text(_ONLY_KEYED),
    )


def downgrade() -> None:
    op.drop_index("ux_messages_idempotency_key", table_name="messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("idempotency_key")

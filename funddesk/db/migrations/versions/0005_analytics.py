"""Analytics: the team each logged question was routed to, the hourly rollup of the question log (filled
from the questions already logged), and the indexes the dashboard's range queries use.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (index, table, columns): every analytics query reads one date range of one table.
INDEXES = (
    ("ix_questions_asked_at_decision_lang", "questions", ["asked_at", "decision", "lang"]),
    ("ix_questions_team_id_asked_at", "questions", ["team_id", "asked_at"]),
    ("ix_conversations_created_at", "conversations", ["created_at"]),
    ("ix_messages_created_at", "messages", ["created_at"]),
    ("ix_feedback_created_at", "feedback", ["created_at"]),
    ("ix_handoffs_created_at", "handoffs", ["created_at"]),
)


# Partial indexes: the knowledge gaps read fallbacks and clarifies only (a third of the questions, all the
# columns they group by are in the index), and whether a clarify was picked from the few button clicks.
GAPS = sa.text("decision IN ('fallback', 'clarify')")
GAP_COLUMNS = ["decision", "asked_at", "cluster_id", "lang", "fund_code", "team_id", "conversation_id"]
CLICKS = sa.text("payload IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("questions") as batch:
        batch.add_column(sa.Column("team_id", sa.String(length=64), nullable=True))
    op.create_table(
        "question_hours",
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("team_id", sa.String(length=64), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("decision", sa.String(length=32), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("hour", "team_id", "lang", "decision", name=op.f("pk_question_hours")),
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    hour = "strftime('%Y-%m-%d %H:00:00.000000', asked_at)" if sqlite else "date_trunc('hour', asked_at, 'UTC')"
    op.execute(
        "INSERT INTO question_hours (hour, team_id, lang, decision, count) "
        f"SELECT {hour}, '', lang, coalesce(decision, ''), count(*) FROM questions GROUP BY 1, 3, 4"
    )
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)
    op.create_index("ix_questions_gaps", "questions", GAP_COLUMNS, postgresql_where=GAPS, sqlite_where=GAPS)
    op.create_index(
        "ix_messages_clicks",
        "messages",
        ["conversation_id", "created_at"],
        postgresql_where=CLICKS,
        sqlite_where=CLICKS,
    )


def downgrade() -> None:
    op.drop_index("ix_messages_clicks", table_name="messages")
    op.drop_index("ix_questions_gaps", table_name="questions")
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_table("question_hours")
    with op.batch_alter_table("questions") as batch:
        batch.drop_column("team_id")

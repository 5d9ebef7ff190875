"""Reminders by e-mail and calendar feeds.

- ``reminder_sent`` is the log of the reminders sent: one row per obligation, kind of reminder
  (``before-14``, ``before-3``, ``overdue``), due date it was for and recipient. Its unique key is what makes
  each reminder go once; a row is written in the same transaction as, and before, the message is sent.
- ``calendar_feed`` holds an account's calendar feed tokens, as SHA-256 digests only, and when each was
  revoked.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portfolio.db

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reminder_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("obligation_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("sent_at", portfolio.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["obligation_id"],
            ["obligation.id"],
            name=op.f("fk_reminder_sent_obligation_id_obligation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_sent")),
        sa.UniqueConstraint(
            "obligation_id",
            "kind",
            "due_on",
            "recipient",
            name=op.f("uq_reminder_sent_obligation_id_kind_due_on_recipient"),
        ),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "calendar_feed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", portfolio.db.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", portfolio.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_calendar_feed_user_id_app_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feed")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_feed_token_hash")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_calendar_feed_user_id"), "calendar_feed", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_calendar_feed_user_id"), table_name="calendar_feed")
    op.drop_table("calendar_feed")
    op.drop_table("reminder_sent")

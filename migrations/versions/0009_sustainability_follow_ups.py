"""Sustainability follow-ups of national processes.

- ``follow_up_check``: the checks a national process gets when it becomes operational, due so many months
  later (``months_after``, counted from ``operational_on``); stored status due or done (overdue is read from
  the date), and when done its ``checked_on``, ``outcome`` (sustained or regressed), note and evidence
  document.
- ``reminder_sent`` also logs the reminders of follow-up checks: ``obligation_id`` becomes optional, a new
  ``follow_up_id`` names the check, and exactly one of the two is set. Downgrading drops the follow-up
  reminders' rows.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portfolio.db

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite cannot change a column or add a constraint in place: batch mode rebuilds the table, which must
# keep never reusing ids.
TABLE_KWARGS = {"sqlite_autoincrement": True}


def upgrade() -> None:
    op.create_table(
        "follow_up_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.Integer(), nullable=False),
        sa.Column("operational_on", sa.Date(), nullable=False),
        sa.Column("months_after", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("checked_on", sa.Date(), nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=True),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("evidence_document_id", sa.Integer(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", portfolio.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", portfolio.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["app_user.id"],
            name=op.f("fk_follow_up_check_owner_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["process_id"],
            ["national_process.id"],
            name=op.f("fk_follow_up_check_process_id_national_process"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["app_user.id"],
            name=op.f("fk_follow_up_check_recorded_by_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up_check")),
        sa.UniqueConstraint(
            "process_id",
            "operational_on",
            "months_after",
            name=op.f("uq_follow_up_check_process_id_operational_on_months_after"),
        ),
        sqlite_autoincrement=True,
    )
    for column in ("due_on", "owner_id", "process_id", "status"):
        op.create_index(op.f(f"ix_follow_up_check_{column}"), "follow_up_check", [column], unique=False)

    with op.batch_alter_table("reminder_sent", table_kwargs=TABLE_KWARGS) as batch:
        batch.add_column(sa.Column("follow_up_id", sa.Integer(), nullable=True))
        batch.alter_column("obligation_id", existing_type=sa.Integer(), nullable=True)
        batch.create_unique_constraint(
            op.f("uq_reminder_sent_follow_up_id_kind_due_on_recipient"),
            ["follow_up_id", "kind", "due_on", "recipient"],
        )
        batch.create_foreign_key(
            op.f("fk_reminder_sent_follow_up_id_follow_up_check"),
            "follow_up_check",
            ["follow_up_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_check_constraint(
            op.f("ck_reminder_sent_one_subject"), "(obligation_id IS NULL) <> (follow_up_id IS NULL)"
        )


def downgrade() -> None:
    op.execute("DELETE FROM reminder_sent WHERE follow_up_id IS NOT NULL")
    with op.batch_alter_table("reminder_sent", table_kwargs=TABLE_KWARGS) as batch:
        batch.drop_constraint(op.f("ck_reminder_sent_one_subject"), type_="check")
        batch.drop_constraint(op.f("fk_reminder_sent_follow_up_id_follow_up_check"), type_="foreignkey")
        batch.drop_constraint(op.f("uq_reminder_sent_follow_up_id_kind_due_on_recipient"), type_="unique")
        batch.alter_column("obligation_id", existing_type=sa.Integer(), nullable=False)
        batch.drop_column("follow_up_id")
    for column in ("status", "process_id", "owner_id", "due_on"):
        op.drop_index(op.f(f"ix_follow_up_check_{column}"), table_name="follow_up_check")
    op.drop_table("follow_up_check")

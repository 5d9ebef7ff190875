"""Contribution agreements and the reporting obligations they bind the FSC to.

- ``agreement`` holds one pledge's contribution agreement: reference, signature and validity dates,
  earmarking, conditions, the reporting schedule (JSON) and the donor's contact. A pledge with an
  agreement cannot be deleted (it is withdrawn instead).
- ``obligation`` holds each report due under an agreement (interim and final narrative, financial
  statement, audit certificate, other): its due date, status (due, submitted, accepted: overdue is read
  from the date, never stored), the responsible staff member and the document that fulfilled it (a plain
  number until documents have a table of their own).

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portfolio.db

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agreement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pledge_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("earmarking", sa.String(length=12), nullable=False),
        sa.Column("conditions", sa.Text(), server_default="", nullable=False),
        sa.Column("schedule", sa.JSON(), nullable=False),
        sa.Column("contact_name", sa.String(length=200), server_default="", nullable=False),
        sa.Column("contact_email", sa.String(length=254), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", portfolio.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", portfolio.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["pledge_id"], ["pledge.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pledge_id"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "obligation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=True),
        sa.Column("accepted_on", sa.Date(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("generated", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", portfolio.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", portfolio.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["agreement_id"], ["agreement.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["owner_id"], ["app_user.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_obligation_agreement_id"), "obligation", ["agreement_id"], unique=False)
    op.create_index(op.f("ix_obligation_kind"), "obligation", ["kind"], unique=False)
    op.create_index(op.f("ix_obligation_due_on"), "obligation", ["due_on"], unique=False)
    op.create_index(op.f("ix_obligation_status"), "obligation", ["status"], unique=False)
    op.create_index(op.f("ix_obligation_owner_id"), "obligation", ["owner_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_obligation_owner_id"), table_name="obligation")
    op.drop_index(op.f("ix_obligation_status"), table_name="obligation")
    op.drop_index(op.f("ix_obligation_due_on"), table_name="obligation")
    op.drop_index(op.f("ix_obligation_kind"), table_name="obligation")
    op.drop_index(op.f("ix_obligation_agreement_id"), table_name="obligation")
    op.drop_table("obligation")
    op.drop_table("agreement")

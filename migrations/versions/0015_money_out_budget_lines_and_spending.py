"""Money out: a project's budget by line and year, its revisions, what was spent and which pledge paid.

- ``budget_line`` (project, category, label, year or null for the whole project, original and current
  amount in euros). A project's budget is its lines and an unallocated remainder that is not stored, so
  every existing project reads as one unallocated line holding today's budget: nothing to copy, nothing
  lost.
- ``budget_revision``: each dated change of a line (before, after, who, why, and whether the project's
  budget moved with it or the unallocated remainder paid for it).
- ``expenditure``: money spent, in its currency and in euros at its month's rate, on a line (or none),
  with the finance system's reference (unique) and, for a reversal, the entry it reverses.
- ``charge``: the part of an expenditure each pledge paid, in euros.
- ``instalment``: the parts of a pledge its donor undertook to pay by a day.

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portfolio.db

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "instalment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pledge_id", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("amount", portfolio.db.Money(precision=18, scale=2), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["pledge_id"], ["pledge.id"], name=op.f("fk_instalment_pledge_id_pledge"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instalment")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("instalment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_instalment_due_on"), ["due_on"], unique=False)
        batch_op.create_index("ix_instalment_pledge_id_due_on", ["pledge_id", "due_on"], unique=False)

    op.create_table(
        "budget_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("label", sa.String(length=200), server_default="", nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("original_eur", portfolio.db.Money(precision=18, scale=2), nullable=False),
        sa.Column("amount_eur", portfolio.db.Money(precision=18, scale=2), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", portfolio.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", portfolio.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_budget_line_project_id_project"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budget_line")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("budget_line", schema=None) as batch_op:
        batch_op.create_index("ix_budget_line_project_id_year", ["project_id", "year"], unique=False)

    op.create_table(
        "budget_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("revised_on", sa.Date(), nullable=False),
        sa.Column("before_eur", portfolio.db.Money(precision=18, scale=2), nullable=False),
        sa.Column("after_eur", portfolio.db.Money(precision=18, scale=2), nullable=False),
        sa.Column("from_unallocated", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", portfolio.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["budget_line.id"],
            name=op.f("fk_budget_revision_line_id_budget_line"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_budget_revision_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_budget_revision_user_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budget_revision")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("budget_revision", schema=None) as batch_op:
        batch_op.create_index(
            "ix_budget_revision_line_id_revised_on", ["line_id", "revised_on"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_budget_revision_project_id"), ["project_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_budget_revision_user_id"), ["user_id"], unique=False)

    op.create_table(
        "expenditure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=True),
        sa.Column("spent_on", sa.Date(), nullable=False),
        sa.Column("amount", portfolio.db.Money(precision=18, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("eur_per_unit", portfolio.db.ExactDecimal(precision=18, scale=8), nullable=False),
        sa.Column("amount_eur", portfolio.db.Money(precision=18, scale=2), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("reverses_id", sa.Integer(), nullable=True),
        sa.Column("charging", sa.String(length=12), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", portfolio.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", portfolio.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["budget_line.id"],
            name=op.f("fk_expenditure_line_id_budget_line"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_expenditure_project_id_project"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["reverses_id"],
            ["expenditure.id"],
            name=op.f("fk_expenditure_reverses_id_expenditure"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expenditure")),
        sa.UniqueConstraint("reference", name=op.f("uq_expenditure_reference")),
        sa.UniqueConstraint("reverses_id", name=op.f("uq_expenditure_reverses_id")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("expenditure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_expenditure_line_id"), ["line_id"], unique=False)
        batch_op.create_index("ix_expenditure_project_id_spent_on", ["project_id", "spent_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_expenditure_spent_on"), ["spent_on"], unique=False)

    op.create_table(
        "charge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("expenditure_id", sa.Integer(), nullable=False),
        sa.Column("pledge_id", sa.Integer(), nullable=False),
        sa.Column("amount_eur", portfolio.db.Money(precision=18, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["expenditure_id"],
            ["expenditure.id"],
            name=op.f("fk_charge_expenditure_id_expenditure"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pledge_id"], ["pledge.id"], name=op.f("fk_charge_pledge_id_pledge"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charge")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("charge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_charge_expenditure_id"), ["expenditure_id"], unique=False)
        batch_op.create_index("ix_charge_pledge_id", ["pledge_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("instalment", schema=None) as batch_op:
        batch_op.drop_index("ix_instalment_pledge_id_due_on")
        batch_op.drop_index(batch_op.f("ix_instalment_due_on"))
    op.drop_table("instalment")
    with op.batch_alter_table("charge", schema=None) as batch_op:
        batch_op.drop_index("ix_charge_pledge_id")
        batch_op.drop_index(batch_op.f("ix_charge_expenditure_id"))

    op.drop_table("charge")
    with op.batch_alter_table("expenditure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_expenditure_spent_on"))
        batch_op.drop_index("ix_expenditure_project_id_spent_on")
        batch_op.drop_index(batch_op.f("ix_expenditure_line_id"))

    op.drop_table("expenditure")
    with op.batch_alter_table("budget_revision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_budget_revision_user_id"))
        batch_op.drop_index(batch_op.f("ix_budget_revision_project_id"))
        batch_op.drop_index("ix_budget_revision_line_id_revised_on")

    op.drop_table("budget_revision")
    with op.batch_alter_table("budget_line", schema=None) as batch_op:
        batch_op.drop_index("ix_budget_line_project_id_year")

    op.drop_table("budget_line")

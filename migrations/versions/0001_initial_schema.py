"""Initial schema: States (seeded from the reference list), projects, funding, national processes.

Revision ID: 0001
Revises:
Create Date: 2026-11-28 22:29:00.942340
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portfolio.db
from portfolio.states.reference import load_reference_states

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "exchange_rate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("eur_per_unit", portfolio.db.ExactDecimal(precision=18, scale=8), nullable=False),
        sa.Column("created_at", portfolio.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_rate")),
        sa.UniqueConstraint("currency", "month", name=op.f("uq_exchange_rate_currency_month")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "project",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("implementing_partner", sa.String(length=200), nullable=True),
        sa.Column("request_date", sa.Date(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("budget_eur", portfolio.db.Money(), nullable=False),
        sa.Column("gender_marker", sa.Integer(), nullable=False),
        sa.Column("sdg_targets", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_before_hold", sa.String(length=20), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", portfolio.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", portfolio.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project")),
        sa.UniqueConstraint("code", name=op.f("uq_project_code")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_project_budget_eur"), "project", ["budget_eur"])
    op.create_index(op.f("ix_project_request_date"), "project", ["request_date"])
    op.create_index(op.f("ix_project_status"), "project", ["status"])
    op.create_index(op.f("ix_project_title"), "project", ["title"])

    op.create_table(
        "state",
        sa.Column("code", sa.String(length=3), nullable=False),
        sa.Column("iso2", sa.String(length=2), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_fr", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("partner_group", sa.String(length=20), nullable=True),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_state")),
        sa.UniqueConstraint("iso2", name=op.f("uq_state_iso2")),
    )
    op.create_index(op.f("ix_state_kind"), "state", ["kind"])
    state = sa.table(
        "state",
        sa.column("code", sa.String),
        sa.column("iso2", sa.String),
        sa.column("name", sa.String),
        sa.column("name_fr", sa.String),
        sa.column("kind", sa.String),
        sa.column("partner_group", sa.String),
    )
    op.bulk_insert(
        state,
        [
            {
                "code": s.code,
                "iso2": s.iso2,
                "name": s.name,
                "name_fr": s.name_fr,
                "kind": s.kind,
                "partner_group": s.partner_group,
            }
            for s in load_reference_states()
        ],
    )

    op.create_table(
        "indicator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=50), nullable=False),
        sa.Column("baseline", portfolio.db.ExactDecimal(precision=18, scale=4), nullable=False),
        sa.Column("target", portfolio.db.ExactDecimal(precision=18, scale=4), nullable=False),
        sa.Column("actual", portfolio.db.ExactDecimal(precision=18, scale=4), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", portfolio.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", portfolio.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_indicator_project_id_project"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_indicator_project_id"), "indicator", ["project_id"])

    op.create_table(
        "milestone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("weight", portfolio.db.ExactDecimal(precision=9, scale=2), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", portfolio.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", portfolio.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_milestone_project_id_project"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestone")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_milestone_due_on"), "milestone", ["due_on"])
    op.create_index(op.f("ix_milestone_project_id"), "milestone", ["project_id"])

    op.create_table(
        "national_process",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=3), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("areas", sa.JSON(), nullable=False),
        sa.Column("stage", sa.String(length=12), nullable=False),
        sa.Column("established_on", sa.Date(), nullable=True),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", portfolio.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", portfolio.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["state"], ["state.code"], name=op.f("fk_national_process_state_state")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_national_process")),
        sa.UniqueConstraint("state", "name", name=op.f("uq_national_process_state_name")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_national_process_kind"), "national_process", ["kind"])
    op.create_index(op.f("ix_national_process_stage"), "national_process", ["stage"])
    op.create_index(op.f("ix_national_process_state"), "national_process", ["state"])

    op.create_table(
        "pledge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("donor", sa.String(length=3), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("amount", portfolio.db.Money(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("pledged_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("eur_per_unit", portfolio.db.ExactDecimal(precision=18, scale=8), nullable=False),
        sa.Column("amount_eur", portfolio.db.Money(), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", portfolio.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", portfolio.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["donor"], ["state.code"], name=op.f("fk_pledge_donor_state")),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_pledge_project_id_project"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pledge")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_pledge_currency"), "pledge", ["currency"])
    op.create_index(op.f("ix_pledge_donor"), "pledge", ["donor"])
    op.create_index(op.f("ix_pledge_pledged_on"), "pledge", ["pledged_on"])
    op.create_index(op.f("ix_pledge_project_id"), "pledge", ["project_id"])
    op.create_index(op.f("ix_pledge_status"), "pledge", ["status"])

    op.create_table(
        "project_activity",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("activity_type", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_project_activity_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", "activity_type", name=op.f("pk_project_activity")),
    )
    op.create_index(op.f("ix_project_activity_activity_type"), "project_activity", ["activity_type"])

    op.create_table(
        "project_area",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("area", sa.String(length=4), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_project_area_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", "area", name=op.f("pk_project_area")),
    )
    op.create_index(op.f("ix_project_area_area"), "project_area", ["area"])

    op.create_table(
        "project_beneficiary",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("state_code", sa.String(length=3), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_project_beneficiary_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["state_code"], ["state.code"], name=op.f("fk_project_beneficiary_state_code_state")
        ),
        sa.PrimaryKeyConstraint("project_id", "state_code", name=op.f("pk_project_beneficiary")),
    )
    op.create_index(op.f("ix_project_beneficiary_state_code"), "project_beneficiary", ["state_code"])

    op.create_table(
        "project_status_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("recorded_at", portfolio.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_project_status_change_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_status_change")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_project_status_change_project_id"), "project_status_change", ["project_id"])

    op.create_table(
        "national_process_project",
        sa.Column("process_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["process_id"],
            ["national_process.id"],
            name=op.f("fk_national_process_project_process_id_national_process"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_national_process_project_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("process_id", "project_id", name=op.f("pk_national_process_project")),
    )
    op.create_index(
        op.f("ix_national_process_project_project_id"), "national_process_project", ["project_id"]
    )

    op.create_table(
        "national_process_stage_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.Integer(), nullable=False),
        sa.Column("from_stage", sa.String(length=12), nullable=True),
        sa.Column("to_stage", sa.String(length=12), nullable=False),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("recorded_at", portfolio.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["process_id"],
            ["national_process.id"],
            name=op.f("fk_national_process_stage_change_process_id_national_process"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_national_process_stage_change")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_national_process_stage_change_process_id"), "national_process_stage_change", ["process_id"]
    )

    op.create_table(
        "receipt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pledge_id", sa.Integer(), nullable=False),
        sa.Column("amount", portfolio.db.Money(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("eur_per_unit", portfolio.db.ExactDecimal(precision=18, scale=8), nullable=False),
        sa.Column("amount_eur", portfolio.db.Money(), nullable=False),
        sa.Column("created_at", portfolio.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pledge_id"], ["pledge.id"], name=op.f("fk_receipt_pledge_id_pledge"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipt")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_receipt_pledge_id"), "receipt", ["pledge_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_receipt_pledge_id"), table_name="receipt")

    op.drop_table("receipt")
    op.drop_index(
        op.f("ix_national_process_stage_change_process_id"), table_name="national_process_stage_change"
    )

    op.drop_table("national_process_stage_change")
    op.drop_index(op.f("ix_national_process_project_project_id"), table_name="national_process_project")

    op.drop_table("national_process_project")
    op.drop_index(op.f("ix_project_status_change_project_id"), table_name="project_status_change")

    op.drop_table("project_status_change")
    op.drop_index(op.f("ix_project_beneficiary_state_code"), table_name="project_beneficiary")

    op.drop_table("project_beneficiary")
    op.drop_index(op.f("ix_project_area_area"), table_name="project_area")

    op.drop_table("project_area")
    op.drop_index(op.f("ix_project_activity_activity_type"), table_name="project_activity")

    op.drop_table("project_activity")
    op.drop_index(op.f("ix_pledge_status"), table_name="pledge")
    op.drop_index(op.f("ix_pledge_project_id"), table_name="pledge")
    op.drop_index(op.f("ix_pledge_pledged_on"), table_name="pledge")
    op.drop_index(op.f("ix_pledge_donor"), table_name="pledge")
    op.drop_index(op.f("ix_pledge_currency"), table_name="pledge")

    op.drop_table("pledge")
    op.drop_index(op.f("ix_national_process_state"), table_name="national_process")
    op.drop_index(op.f("ix_national_process_stage"), table_name="national_process")
    op.drop_index(op.f("ix_national_process_kind"), table_name="national_process")

    op.drop_table("national_process")
    op.drop_index(op.f("ix_milestone_project_id"), table_name="milestone")
    op.drop_index(op.f("ix_milestone_due_on"), table_name="milestone")

    op.drop_table("milestone")
    op.drop_index(op.f("ix_indicator_project_id"), table_name="indicator")

    op.drop_table("indicator")
    op.drop_index(op.f("ix_state_kind"), table_name="state")

    op.drop_table("state")
    op.drop_index(op.f("ix_project_title"), table_name="project")
    op.drop_index(op.f("ix_project_status"), table_name="project")
    op.drop_index(op.f("ix_project_request_date"), table_name="project")
    op.drop_index(op.f("ix_project_budget_eur"), table_name="project")

    op.drop_table("project")
    op.drop_table("exchange_rate")

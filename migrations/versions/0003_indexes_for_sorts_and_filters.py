"""Indexes for the sorts and filters the lists and dashboards use: histories and receipts in date order
within their parent, rates by month, audit entries by action, projects by last change.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = [
    ("ix_receipt_pledge_id_received_on", "receipt", ["pledge_id", "received_on"]),
    ("ix_project_status_change_project_id_changed_on", "project_status_change", ["project_id", "changed_on"]),
    (
        "ix_national_process_stage_change_process_id_changed_on",
        "national_process_stage_change",
        ["process_id", "changed_on"],
    ),
    ("ix_exchange_rate_month", "exchange_rate", ["month"]),
    ("ix_audit_entry_action", "audit_entry", ["action"]),
    ("ix_project_updated_at", "project", ["updated_at"]),
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)

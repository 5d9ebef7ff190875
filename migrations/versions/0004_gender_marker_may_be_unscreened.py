"""A project's gender marker may be null: not screened (0 says "examined, found not targeted").

Projects keep their markers. Downgrading writes 0 where a marker is null (the older schema has no
way to say "not screened").

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite cannot drop NOT NULL in place: batch mode rebuilds the table, which must keep never reusing ids.
TABLE_KWARGS = {"sqlite_autoincrement": True}


def upgrade() -> None:
    with op.batch_alter_table("project", table_kwargs=TABLE_KWARGS) as batch:
        batch.alter_column("gender_marker", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    op.execute("UPDATE project SET gender_marker = 0 WHERE gender_marker IS NULL")
    with op.batch_alter_table("project", table_kwargs=TABLE_KWARGS) as batch:
        batch.alter_column("gender_marker", existing_type=sa.Integer(), nullable=False)

"""An account's language: the reminders it is sent and its calendar feed are written in it.

- ``app_user.language``: a code of the languages registry (``portfolio.languages``), English for every
  existing account.

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("app_user", sa.Column("language", sa.String(length=8), nullable=False, server_default="en"))


def downgrade() -> None:
    with op.batch_alter_table("app_user", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("language")

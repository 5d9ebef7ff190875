"""A project's budget may be empty before planning: a request for assistance has none yet.

- ``project.budget_eur`` becomes nullable. The rule that a project has one from planning on is the
  service's (``portfolio.projects.models.needs_budget``); every stored project keeps its budget.

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

from alembic import op

import portfolio.db

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite cannot drop NOT NULL in place: batch mode rebuilds the table, which must keep never reusing ids.
TABLE_KWARGS = {"sqlite_autoincrement": True}


def upgrade() -> None:
    with op.batch_alter_table("project", table_kwargs=TABLE_KWARGS) as batch:
        batch.alter_column("budget_eur", existing_type=portfolio.db.Money(), nullable=True)


def downgrade() -> None:
    # A request saved without a budget gets 0.00, the nearest stored value that says "none yet".
    op.execute("UPDATE project SET budget_eur = 0 WHERE budget_eur IS NULL")
    with op.batch_alter_table("project", table_kwargs=TABLE_KWARGS) as batch:
        batch.alter_column("budget_eur", existing_type=portfolio.db.Money(), nullable=False)

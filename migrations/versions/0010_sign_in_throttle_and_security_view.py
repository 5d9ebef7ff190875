"""Signing in under attack: the login throttle, the failed sign-ins, the calendar feed's last read.

- ``login_throttle``: counters of login attempts, one per (typed e-mail, client address) and one per typed
  e-mail across all addresses, each with the end of its window; claimed atomically before a password is
  checked. ``app_user.locked_until`` and ``failures_counted_from`` (the per-account lock) are dropped.
- ``sign_in_failure``: each refused login whose password was checked (who was typed, cut to 254
  characters; the account if any; the client's address; when), for the administrators' security view.
- ``app_user.feeds_valid_from``: calendar feeds made before it stop working (deactivation, an
  administrator's password reset).
- ``calendar_feed.last_read_at``: when a calendar last read the feed.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portfolio.db

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE_KWARGS = {"sqlite_autoincrement": True}


def upgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("window_ends", portfolio.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttle")),
    )
    op.create_index(op.f("ix_login_throttle_email"), "login_throttle", ["email"], unique=False)
    op.create_index(op.f("ix_login_throttle_window_ends"), "login_throttle", ["window_ends"], unique=False)
    op.create_table(
        "sign_in_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", portfolio.db.UTCDateTime(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_sign_in_failure_user_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_failure")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_sign_in_failure_at"), "sign_in_failure", ["at"], unique=False)
    op.create_index(op.f("ix_sign_in_failure_user_id"), "sign_in_failure", ["user_id"], unique=False)
    with op.batch_alter_table("app_user", table_kwargs=TABLE_KWARGS) as batch:
        batch.add_column(sa.Column("feeds_valid_from", portfolio.db.UTCDateTime(), nullable=True))
        batch.drop_column("locked_until")
        batch.drop_column("failures_counted_from")
    with op.batch_alter_table("calendar_feed", table_kwargs=TABLE_KWARGS) as batch:
        batch.add_column(sa.Column("last_read_at", portfolio.db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("calendar_feed", table_kwargs=TABLE_KWARGS) as batch:
        batch.drop_column("last_read_at")
    with op.batch_alter_table("app_user", table_kwargs=TABLE_KWARGS) as batch:
        batch.add_column(sa.Column("failures_counted_from", portfolio.db.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("locked_until", portfolio.db.UTCDateTime(), nullable=True))
        batch.drop_column("feeds_valid_from")
    op.drop_index(op.f("ix_sign_in_failure_user_id"), table_name="sign_in_failure")
    op.drop_index(op.f("ix_sign_in_failure_at"), table_name="sign_in_failure")
    op.drop_table("sign_in_failure")
    op.drop_index(op.f("ix_login_throttle_window_ends"), table_name="login_throttle")
    op.drop_index(op.f("ix_login_throttle_email"), table_name="login_throttle")
    op.drop_table("login_throttle")

"""Documents: files attached to projects, agreements, obligations, national processes and indicators.

- ``document`` holds what is known of a file: its owner (kind and id, without a foreign key: the owners
  live in different tables), IATI DocumentCategory code, title, language, the type judged from its
  content, size, SHA-256, whether it is shared with the donors and public, and when it was deleted.
- ``document_chunk`` holds its bytes in pieces of at most 256 KiB (bytea on PostgreSQL, BLOB on SQLite),
  so that neither an upload nor a download holds a whole file in memory.

Revision ID: 0007
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portfolio.db

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_type", sa.String(length=20), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=3), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("shared_with_donor", sa.Boolean(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=True),
        sa.Column("deleted_at", portfolio.db.UTCDateTime(), nullable=True),
        sa.Column("deleted_by", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", portfolio.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", portfolio.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_document_owner", "document", ["owner_type", "owner_id"], unique=False)
    op.create_table(
        "document_chunk",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("document_id", "seq"),
    )


def downgrade() -> None:
    op.drop_table("document_chunk")
    op.drop_index("ix_document_owner", table_name="document")
    op.drop_table("document")

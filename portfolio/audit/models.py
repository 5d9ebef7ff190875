from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from portfolio.db import NEVER_REUSE_IDS, UTCDateTime, utcnow


class AuditEntry(SQLModel, table=True):
    """One write: who, when, what, and every changed field as [old, new]. Append-only."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_entity_entity_id", "entity", "entity_id"),
        Index("ix_audit_entry_user_id", "user_id"),
        Index("ix_audit_entry_action", "action"),
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    user_id: int | None = Field(default=None, description="Null for the system (e.g. sample data).")
    action: str = Field(max_length=20)
    entity: str = Field(max_length=20)
    entity_id: int | None = None
    project_id: int | None = Field(default=None, index=True)
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Integer, String, Text
from sqlmodel import Field, SQLModel

from portfolio.db import NEVER_REUSE_IDS, UTCDateTime, utcnow
from portfolio.versioning import versioned


@versioned()
class Agreement(SQLModel, table=True):
    """The contribution agreement that turns a pledge into a commitment: one per pledge."""

    __tablename__ = "agreement"
    __table_args__ = NEVER_REUSE_IDS

    id: int | None = Field(default=None, primary_key=True)
    pledge_id: int = Field(
        sa_column=Column(Integer, ForeignKey("pledge.id", ondelete="RESTRICT"), nullable=False, unique=True)
    )
    reference: str = Field(max_length=100)
    signed_on: date | None = Field(default=None)
    valid_until: date | None = Field(default=None)
    earmarking: str = Field(default="project", max_length=12, description="project, area or unearmarked")
    conditions: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    schedule: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    contact_name: str = Field(default="", sa_column=Column(String(200), nullable=False, server_default=""))
    contact_email: str | None = Field(default=None, max_length=254)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


@versioned()
class Obligation(SQLModel, table=True):
    """A report an agreement binds the FSC to deliver by a date. ``status`` is stored as due, submitted or
    accepted; overdue is read from the date, never stored."""

    __tablename__ = "obligation"
    __table_args__ = NEVER_REUSE_IDS

    id: int | None = Field(default=None, primary_key=True)
    agreement_id: int = Field(
        sa_column=Column(Integer, ForeignKey("agreement.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    kind: str = Field(max_length=30, index=True)
    due_on: date = Field(index=True)
    status: str = Field(default="due", max_length=10, index=True)
    submitted_on: date | None = Field(default=None)
    accepted_on: date | None = Field(default=None)
    owner_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("app_user.id", ondelete="SET NULL"), nullable=True, index=True),
    )
    document_id: int | None = Field(default=None)
    note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    generated: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default="0"))
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Column, ForeignKey, Integer, String, Text
from sqlmodel import Field, SQLModel

from portfolio.db import NEVER_REUSE_IDS, Money, UTCDateTime, utcnow
from portfolio.versioning import versioned


@versioned()
class Interest(SQLModel, table=True):
    """A donor's expressed interest in funding a project: not a pledge until staff turn it into one."""

    __tablename__ = "interest"
    __table_args__ = NEVER_REUSE_IDS

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(
        sa_column=Column(Integer, ForeignKey("project.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    donor: str = Field(sa_column=Column(String(3), ForeignKey("state.code"), nullable=False, index=True))
    amount: Decimal = Field(sa_type=Money)
    currency: str = Field(max_length=3)
    note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    status: str = Field(default="open", max_length=10, index=True, description="open, converted or withdrawn")
    pledge_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("pledge.id", ondelete="SET NULL"), nullable=True)
    )
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

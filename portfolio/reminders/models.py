from datetime import date, datetime

from sqlalchemy import Column, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from portfolio.db import NEVER_REUSE_IDS, UTCDateTime, utcnow


class ReminderSent(SQLModel, table=True):
    """One reminder sent: which obligation, which kind (before-14, before-3, overdue), for which due date,
    to whom. The unique key is what makes a reminder go once."""

    __tablename__ = "reminder_sent"
    __table_args__ = (UniqueConstraint("obligation_id", "kind", "due_on", "recipient"), NEVER_REUSE_IDS)

    id: int | None = Field(default=None, primary_key=True)
    obligation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("obligation.id", ondelete="CASCADE"), nullable=False)
    )
    kind: str = Field(max_length=20)
    due_on: date
    recipient: str = Field(max_length=254)
    sent_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CalendarFeed(SQLModel, table=True):
    """A calendar feed URL of an account: only the SHA-256 of its token is kept."""

    __tablename__ = "calendar_feed"
    __table_args__ = NEVER_REUSE_IDS

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

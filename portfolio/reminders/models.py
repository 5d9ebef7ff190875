from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from portfolio.db import NEVER_REUSE_IDS, UTCDateTime, utcnow


class ReminderSent(SQLModel, table=True):
    """One reminder sent: of which reporting obligation or sustainability follow-up check (exactly one of
    the two), which kind (before-14, before-3, overdue), for which due date, to whom. The unique keys are
    what make a reminder go once."""

    __tablename__ = "reminder_sent"
    __table_args__ = (
        UniqueConstraint("obligation_id", "kind", "due_on", "recipient"),
        UniqueConstraint("follow_up_id", "kind", "due_on", "recipient"),
        CheckConstraint("(obligation_id IS NULL) <> (follow_up_id IS NULL)", name="one_subject"),
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    obligation_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("obligation.id", ondelete="CASCADE"), nullable=True),
    )
    follow_up_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("follow_up_check.id", ondelete="CASCADE"), nullable=True),
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
    last_read_at: datetime | None = Field(
        default=None, sa_type=UTCDateTime, description="When a calendar last read the feed (to the minute)."
    )

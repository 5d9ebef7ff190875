from datetime import datetime

from sqlalchemy import Column, ForeignKey, String
from sqlmodel import Field, SQLModel

from portfolio.db import NEVER_REUSE_IDS, UTCDateTime, utcnow
from portfolio.versioning import versioned


@versioned(ignore={"locked_until", "failures_counted_from"})  # login bookkeeping
class User(SQLModel, table=True):
    """An account: FSC support staff, a manager, an administrator, or a donor State's representative."""

    __tablename__ = "app_user"
    __table_args__ = NEVER_REUSE_IDS

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, description="Stored lower-case.")
    full_name: str = Field(max_length=200)
    role: str = Field(max_length=10)
    state: str | None = Field(
        default=None, sa_column=Column(String(3), ForeignKey("state.code"), nullable=True)
    )
    active: bool = Field(default=True)
    password_hash: str = Field(max_length=255)
    token_version: int = Field(default=1, description="Bumped to revoke every token issued before.")
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    failures_counted_from: datetime | None = Field(
        default=None, sa_type=UTCDateTime, description="Failed logins before this no longer count."
    )
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

"""One idempotency key: which account sent it, for which request, and the answer it got."""

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer, String, Text
from sqlmodel import Field, SQLModel

from portfolio.db import UTCDateTime, utcnow

KEY_MAX = 255
REQUEST_MAX = 2100  # "POST " and a path with its query string


class IdempotencyKey(SQLModel, table=True):
    """A key is its account's: two accounts may use the same key for different requests. ``status`` is
    null while the first request with it is in progress."""

    __tablename__ = "idempotency_key"

    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
        )
    )
    key: str = Field(sa_column=Column(String(KEY_MAX), primary_key=True))
    request: str = Field(max_length=REQUEST_MAX, description="Method and path with its query string.")
    body_sha256: str = Field(max_length=64)
    status: int | None = Field(default=None, description="The answer's status; null while in progress.")
    headers: str | None = Field(default=None, sa_type=Text, description="The answer's headers kept (JSON).")
    body: str | None = Field(default=None, sa_type=Text, description="The answer's body (UTF-8 text).")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)

from datetime import datetime

from sqlalchemy import Boolean, Column, String, Text
from sqlmodel import Field, SQLModel

from portfolio.db import UTCDateTime, utcnow


class Norm(SQLModel, table=True):
    """An OSCE norm projects implement: a Document or a Best Practice Guide (admins may add more)."""

    __tablename__ = "norm"

    code: str = Field(sa_column=Column(String(40), primary_key=True))
    title: str = Field(max_length=300)
    title_fr: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    kind: str = Field(max_length=10, description="document, guide or other")
    adopted: int | None = Field(default=None, description="Year of adoption (or of the last update).")
    builtin: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default="0"))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

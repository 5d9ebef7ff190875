from datetime import datetime

from sqlalchemy import Boolean, Column, ForeignKey, String, Text
from sqlmodel import Field, Relationship, SQLModel

from portfolio.db import UTCDateTime, utcnow


class NormTitle(SQLModel, table=True):
    """A norm's title in one language other than English, as an admin (or, before ``norm_title``, the
    ``norm.title_fr`` column) recorded it: one row per norm and language (:mod:`portfolio.languages`)."""

    __tablename__ = "norm_title"

    norm_code: str = Field(
        sa_column=Column(String(40), ForeignKey("norm.code", ondelete="CASCADE"), primary_key=True)
    )
    lang: str = Field(sa_column=Column(String(8), primary_key=True))
    title: str = Field(sa_column=Column(Text, nullable=False))


class Norm(SQLModel, table=True):
    """An OSCE norm projects implement: a Document or a Best Practice Guide (admins may add more)."""

    __tablename__ = "norm"

    code: str = Field(sa_column=Column(String(40), primary_key=True))
    title: str = Field(max_length=300, description="The English title.")
    kind: str = Field(max_length=10, description="document, guide or other")
    adopted: int | None = Field(default=None, description="Year of adoption (or of the last update).")
    builtin: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default="0"))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    title_rows: list[NormTitle] = Relationship(
        sa_relationship_kwargs={
            "cascade": "all, delete-orphan",
            "lazy": "joined",  # in the statement that reads the norm: the catalogue is one statement
            "passive_deletes": True,
            "order_by": "NormTitle.lang",
        }
    )

    @property
    def titles(self) -> dict[str, str]:
        """The recorded titles in languages other than English, by language code."""
        return {row.lang: row.title for row in self.title_rows}

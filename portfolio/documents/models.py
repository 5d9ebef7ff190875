from datetime import datetime

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, LargeBinary
from sqlmodel import Field, SQLModel

from portfolio.db import NEVER_REUSE_IDS, UTCDateTime, utcnow
from portfolio.versioning import versioned


@versioned()
class Document(SQLModel, table=True):
    """A file attached to a project, an agreement, an obligation, a national process or an indicator.

    Its bytes are in ``document_chunk``; ``sha256`` is what they must hash to on every read. The owner is
    named by kind and id, without a foreign key, since the owners live in different tables."""

    __tablename__ = "document"
    __table_args__ = (Index("ix_document_owner", "owner_type", "owner_id"), NEVER_REUSE_IDS)

    id: int | None = Field(default=None, primary_key=True)
    owner_type: str = Field(max_length=20)
    owner_id: int
    category: str = Field(max_length=3, description="IATI DocumentCategory code")
    title: str = Field(max_length=200)
    language: str = Field(max_length=2, description="ISO 639-1 code")
    filename: str = Field(max_length=255, description="The name it was uploaded under, made safe")
    media_type: str = Field(max_length=100, description="The type judged from the content")
    size: int
    sha256: str = Field(max_length=64)
    shared_with_donor: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, default=False))
    public: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, default=False))
    uploaded_by: int | None = Field(default=None)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    deleted_by: int | None = Field(default=None)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DocumentChunk(SQLModel, table=True):
    """One piece of a document's bytes (at most 256 KiB), in order by ``seq`` from 0."""

    __tablename__ = "document_chunk"

    document_id: int = Field(
        sa_column=Column(Integer, ForeignKey("document.id", ondelete="CASCADE"), primary_key=True)
    )
    seq: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))

from datetime import date, datetime

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, Relationship, SQLModel

from portfolio.db import NEVER_REUSE_IDS, UTCDateTime, utcnow
from portfolio.versioning import versioned


class NationalProcessProject(SQLModel, table=True):
    """A project that helped build a national structure or procedure."""

    __tablename__ = "national_process_project"

    process_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("national_process.id", ondelete="CASCADE"), primary_key=True),
    )
    project_id: int = Field(
        sa_column=Column(Integer, ForeignKey("project.id", ondelete="CASCADE"), primary_key=True, index=True)
    )


@versioned()
class NationalProcess(SQLModel, table=True):
    """A sustainable national management structure or procedure in a participating State."""

    __tablename__ = "national_process"
    __table_args__ = (UniqueConstraint("state", "name"), NEVER_REUSE_IDS)

    id: int | None = Field(default=None, primary_key=True)
    state: str = Field(sa_column=Column(String(3), ForeignKey("state.code"), nullable=False, index=True))
    name: str = Field(max_length=200)
    kind: str = Field(max_length=10, index=True)
    areas: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    stage: str = Field(default="planned", max_length=12, index=True)
    established_on: date | None = None
    description: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    project_rows: list[NationalProcessProject] = Relationship(
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "lazy": "selectin", "passive_deletes": True}
    )
    follow_up_rows: list["FollowUpCheck"] = Relationship(
        sa_relationship_kwargs={
            "lazy": "selectin",
            "viewonly": True,
            "order_by": "(FollowUpCheck.due_on, FollowUpCheck.id)",
        }
    )

    @property
    def project_ids(self) -> list[int]:
        return sorted(r.project_id for r in self.project_rows)

    @property
    def follow_ups(self) -> list["FollowUpCheck"]:
        return list(self.follow_up_rows)


class NationalProcessStageChange(SQLModel, table=True):
    __tablename__ = "national_process_stage_change"
    __table_args__ = (
        Index("ix_national_process_stage_change_process_id_changed_on", "process_id", "changed_on"),
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    process_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("national_process.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    from_stage: str | None = Field(default=None, max_length=12)
    to_stage: str = Field(max_length=12)
    changed_on: date
    note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


@versioned()
class FollowUpCheck(SQLModel, table=True):
    """A sustainability follow-up check of a national process: due ``months_after`` months after the
    process became operational (``operational_on``). ``status`` is stored as due or done; overdue is read
    from the date, never stored. A done check has its ``checked_on`` and ``outcome`` (sustained or
    regressed)."""

    __tablename__ = "follow_up_check"
    __table_args__ = (UniqueConstraint("process_id", "operational_on", "months_after"), NEVER_REUSE_IDS)

    id: int | None = Field(default=None, primary_key=True)
    process_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("national_process.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    operational_on: date
    months_after: int
    due_on: date = Field(index=True)
    status: str = Field(default="due", max_length=10, index=True)
    checked_on: date | None = Field(default=None)
    outcome: str | None = Field(default=None, max_length=10)
    note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    evidence_document_id: int | None = Field(default=None)
    owner_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("app_user.id", ondelete="SET NULL"), nullable=True, index=True),
    )
    recorded_by: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("app_user.id", ondelete="SET NULL"), nullable=True),
    )
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def status_now(self) -> str:
        """The status as a person reads it today: a check still due whose date has passed is overdue."""
        return "overdue" if self.status == "due" and self.due_on < date.today() else self.status

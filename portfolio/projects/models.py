from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Text
from sqlmodel import Field, Relationship, SQLModel

from portfolio.db import NEVER_REUSE_IDS, ExactDecimal, Money, UTCDateTime, utcnow
from portfolio.projects.schemas import ProjectStatus
from portfolio.versioning import versioned

# The lifecycle: the pipeline a project walks one step at a time, where it ends, and the statuses it may
# be put on hold from (``portfolio.projects.service.allowed_moves`` reads it; so does the generator).
PIPELINE = [
    ProjectStatus.requested,
    ProjectStatus.assessment,
    ProjectStatus.planning,
    ProjectStatus.seeking_funding,
    ProjectStatus.implementation,
    ProjectStatus.completed,
]
FINAL = {ProjectStatus.completed, ProjectStatus.cancelled}
# A request and its assessment may have no budget yet; from planning on, a project has one.
NEEDS_BUDGET = {
    ProjectStatus.planning,
    ProjectStatus.seeking_funding,
    ProjectStatus.implementation,
    ProjectStatus.completed,
}


def needs_budget(status: str, before_hold: str | None = None) -> bool:
    """Whether a project in ``status`` (put on hold from ``before_hold``) must have a budget."""
    return status in NEEDS_BUDGET or (status == ProjectStatus.on_hold and before_hold in NEEDS_BUDGET)


HOLDABLE = {
    ProjectStatus.assessment,
    ProjectStatus.planning,
    ProjectStatus.seeking_funding,
    ProjectStatus.implementation,
}


class ProjectArea(SQLModel, table=True):
    __tablename__ = "project_area"

    project_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("project.id", ondelete="CASCADE"), primary_key=True),
    )
    area: str = Field(sa_column=Column(String(4), primary_key=True, index=True))


class ProjectActivity(SQLModel, table=True):
    __tablename__ = "project_activity"

    project_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("project.id", ondelete="CASCADE"), primary_key=True),
    )
    activity_type: str = Field(sa_column=Column(String(40), primary_key=True, index=True))


class ProjectNorm(SQLModel, table=True):
    """An OSCE norm (a Document or a Best Practice Guide from ``norm``) that the project implements."""

    __tablename__ = "project_norm"

    project_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("project.id", ondelete="CASCADE"), primary_key=True),
    )
    norm_code: str = Field(
        sa_column=Column(
            String(40), ForeignKey("norm.code", ondelete="RESTRICT"), primary_key=True, index=True
        )
    )


class ProjectBeneficiary(SQLModel, table=True):
    __tablename__ = "project_beneficiary"

    project_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("project.id", ondelete="CASCADE"), primary_key=True),
    )
    state_code: str = Field(
        sa_column=Column(String(3), ForeignKey("state.code"), primary_key=True, index=True)
    )


@versioned()
class Project(SQLModel, table=True):
    __tablename__ = "project"
    __table_args__ = NEVER_REUSE_IDS

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    title: str = Field(max_length=300, index=True)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    implementing_partner: str | None = Field(default=None, max_length=200)
    request_date: date = Field(index=True)
    start_date: date | None = None
    end_date: date | None = None
    budget_eur: Decimal | None = Field(
        default=None, sa_type=Money, index=True, description="Null until the project is planned."
    )
    gender_marker: int | None = Field(default=None, description="Null: not screened.")
    sdg_targets: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="requested", max_length=20, index=True)
    status_before_hold: str | None = Field(default=None, max_length=20)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)

    area_rows: list[ProjectArea] = Relationship(
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "lazy": "selectin", "passive_deletes": True}
    )
    activity_rows: list[ProjectActivity] = Relationship(
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "lazy": "selectin", "passive_deletes": True}
    )
    beneficiary_rows: list[ProjectBeneficiary] = Relationship(
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "lazy": "selectin", "passive_deletes": True}
    )
    norm_rows: list[ProjectNorm] = Relationship(
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "lazy": "selectin", "passive_deletes": True}
    )

    @property
    def areas(self) -> list[str]:
        return sorted(r.area for r in self.area_rows)

    @property
    def activity_types(self) -> list[str]:
        return sorted(r.activity_type for r in self.activity_rows)

    @property
    def beneficiaries(self) -> list[str]:
        return sorted(r.state_code for r in self.beneficiary_rows)

    @property
    def norms(self) -> list[str]:
        return sorted(r.norm_code for r in self.norm_rows)


class ProjectStatusChange(SQLModel, table=True):
    __tablename__ = "project_status_change"
    __table_args__ = (
        Index("ix_project_status_change_project_id_changed_on", "project_id", "changed_on"),
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(
        sa_column=Column(Integer, ForeignKey("project.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str = Field(max_length=20)
    changed_on: date
    note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


@versioned()
class Milestone(SQLModel, table=True):
    __tablename__ = "milestone"
    __table_args__ = NEVER_REUSE_IDS

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(
        sa_column=Column(Integer, ForeignKey("project.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    title: str = Field(max_length=300)
    due_on: date | None = Field(default=None, index=True)
    done_on: date | None = None
    weight: Decimal = Field(default=Decimal(1), sa_type=ExactDecimal(9, 2))
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


@versioned()
class Indicator(SQLModel, table=True):
    __tablename__ = "indicator"
    __table_args__ = NEVER_REUSE_IDS

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(
        sa_column=Column(Integer, ForeignKey("project.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    name: str = Field(max_length=200)
    unit: str = Field(max_length=50)
    baseline: Decimal = Field(default=Decimal(0), sa_type=ExactDecimal(18, 4))
    target: Decimal = Field(sa_type=ExactDecimal(18, 4))
    actual: Decimal | None = Field(default=None, sa_type=ExactDecimal(18, 4))
    # A standard measure (``portfolio.projects.measures``) makes the indicator add up across projects; null
    # is a free indicator. People counts carry women and men of the target and of the actual (the total may
    # hold people whose sex was not recorded).
    measure: str | None = Field(default=None, max_length=40, index=True)
    target_women: Decimal | None = Field(default=None, sa_type=ExactDecimal(18, 4))
    target_men: Decimal | None = Field(default=None, sa_type=ExactDecimal(18, 4))
    actual_women: Decimal | None = Field(default=None, sa_type=ExactDecimal(18, 4))
    actual_men: Decimal | None = Field(default=None, sa_type=ExactDecimal(18, 4))
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

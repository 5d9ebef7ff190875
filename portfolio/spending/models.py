"""Money out: a project's budget by line and year, what was spent, and which pledge's money paid for it."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Text
from sqlmodel import Field, SQLModel

from portfolio.db import NEVER_REUSE_IDS, ExactDecimal, Money, UTCDateTime, utcnow
from portfolio.versioning import versioned


@versioned()
class BudgetLine(SQLModel, table=True):
    """One line of a project's budget: a category and a label, for one year or (``year`` null) the whole
    project. ``original_eur`` is what the line was first given; ``amount_eur`` what it holds after its
    revisions. What the project's budget holds beyond its lines is its *unallocated* remainder, never
    stored: a project without lines is one unallocated line holding the whole budget."""

    __tablename__ = "budget_line"
    __table_args__ = (Index("ix_budget_line_project_id_year", "project_id", "year"), NEVER_REUSE_IDS)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(
        sa_column=Column(Integer, ForeignKey("project.id", ondelete="CASCADE"), nullable=False)
    )
    category: str = Field(max_length=30)
    label: str = Field(default="", sa_column=Column(String(200), nullable=False, server_default=""))
    year: int | None = Field(default=None)
    original_eur: Decimal = Field(sa_type=Money)
    amount_eur: Decimal = Field(sa_type=Money)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class BudgetRevision(SQLModel, table=True):
    """A dated change of a budget line's amount, who made it and why; its first row is the line's creation.
    ``from_unallocated``: the difference came from (or went back to) the project's unallocated remainder,
    so the project's budget stayed the same; otherwise the budget moved by it."""

    __tablename__ = "budget_revision"
    __table_args__ = (
        Index("ix_budget_revision_line_id_revised_on", "line_id", "revised_on"),
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    line_id: int = Field(
        sa_column=Column(Integer, ForeignKey("budget_line.id", ondelete="CASCADE"), nullable=False)
    )
    project_id: int = Field(
        sa_column=Column(Integer, ForeignKey("project.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    revised_on: date
    before_eur: Decimal = Field(sa_type=Money)
    after_eur: Decimal = Field(sa_type=Money)
    from_unallocated: bool = Field(
        default=True, sa_column=Column(Boolean, nullable=False, server_default="1")
    )
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    user_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("app_user.id", ondelete="SET NULL"), nullable=True, index=True),
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


@versioned()
class Expenditure(SQLModel, table=True):
    """Money spent on a project, in the currency it was spent in and in euros at its month's rate.

    A mistake is corrected (with If-Match) or reversed by a negative entry that names it (``reverses_id``);
    an expenditure is never deleted. ``reference`` is the finance system's, unique where given: importing
    the same export twice adds nothing."""

    __tablename__ = "expenditure"
    __table_args__ = (Index("ix_expenditure_project_id_spent_on", "project_id", "spent_on"), NEVER_REUSE_IDS)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(
        sa_column=Column(Integer, ForeignKey("project.id", ondelete="RESTRICT"), nullable=False)
    )
    line_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("budget_line.id", ondelete="RESTRICT"), nullable=True, index=True
        ),
    )
    spent_on: date = Field(index=True)
    amount: Decimal = Field(sa_type=Money)
    currency: str = Field(max_length=3)
    eur_per_unit: Decimal = Field(sa_type=ExactDecimal(18, 8))
    amount_eur: Decimal = Field(sa_type=Money)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    reference: str | None = Field(default=None, max_length=100, unique=True)
    reverses_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("expenditure.id", ondelete="RESTRICT"), nullable=True, unique=True
        ),
    )
    charging: str = Field(default="proportional", max_length=12)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Charge(SQLModel, table=True):
    """The part of an expenditure paid from one pledge's money, in euros (negative on a reversal)."""

    __tablename__ = "charge"
    __table_args__ = (Index("ix_charge_pledge_id", "pledge_id"), NEVER_REUSE_IDS)

    id: int | None = Field(default=None, primary_key=True)
    expenditure_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("expenditure.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    pledge_id: int = Field(
        sa_column=Column(Integer, ForeignKey("pledge.id", ondelete="RESTRICT"), nullable=False)
    )
    amount_eur: Decimal = Field(sa_type=Money)

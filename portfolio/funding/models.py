from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from portfolio.db import NEVER_REUSE_IDS, ExactDecimal, Money, UTCDateTime, utcnow
from portfolio.versioning import changes_parent, versioned


class ExchangeRate(SQLModel, table=True):
    """Euros per unit of a currency for one calendar month (the rate applied to amounts dated in it)."""

    __tablename__ = "exchange_rate"
    __table_args__ = (
        UniqueConstraint("currency", "month"),
        Index("ix_exchange_rate_month", "month"),
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    currency: str = Field(max_length=3)
    month: str = Field(max_length=7, description="YYYY-MM")
    eur_per_unit: Decimal = Field(sa_type=ExactDecimal(18, 8))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


@versioned()
class Pledge(SQLModel, table=True):
    """An extra-budgetary contribution announced by a State for one project."""

    __tablename__ = "pledge"
    __table_args__ = NEVER_REUSE_IDS

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(
        sa_column=Column(Integer, ForeignKey("project.id", ondelete="RESTRICT"), nullable=False, index=True)
    )
    donor: str = Field(sa_column=Column(String(3), ForeignKey("state.code"), nullable=False, index=True))
    kind: str = Field(default="cash", max_length=10)
    amount: Decimal = Field(sa_type=Money)
    currency: str = Field(max_length=3, index=True)
    pledged_on: date = Field(index=True)
    status: str = Field(default="pledged", max_length=10, index=True)
    eur_per_unit: Decimal = Field(sa_type=ExactDecimal(18, 8))
    amount_eur: Decimal = Field(sa_type=Money)
    note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


@changes_parent(Pledge, "pledge_id")
class Receipt(SQLModel, table=True):
    """Money (or the value of in-kind help) that actually arrived against a pledge."""

    __tablename__ = "receipt"
    __table_args__ = (Index("ix_receipt_pledge_id_received_on", "pledge_id", "received_on"), NEVER_REUSE_IDS)

    id: int | None = Field(default=None, primary_key=True)
    pledge_id: int = Field(
        sa_column=Column(Integer, ForeignKey("pledge.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    amount: Decimal = Field(sa_type=Money)
    received_on: date
    eur_per_unit: Decimal = Field(sa_type=ExactDecimal(18, 8))
    amount_eur: Decimal = Field(sa_type=Money)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


@changes_parent(Pledge, "pledge_id")
class Instalment(SQLModel, table=True):
    """A part of a pledge its donor undertook to pay by a day (the agreement's payment schedule). Whether it
    was paid is read from the receipts, earliest instalment first, never stored."""

    __tablename__ = "instalment"
    __table_args__ = (Index("ix_instalment_pledge_id_due_on", "pledge_id", "due_on"), NEVER_REUSE_IDS)

    id: int | None = Field(default=None, primary_key=True)
    pledge_id: int = Field(
        sa_column=Column(Integer, ForeignKey("pledge.id", ondelete="CASCADE"), nullable=False)
    )
    due_on: date = Field(index=True)
    amount: Decimal = Field(sa_type=Money)
    note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))

"""Wire format of pledges, receipts and exchange rates."""

from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from portfolio.choices import Choice
from portfolio.marking import mark as _
from portfolio.marking import mark_in_context as pgettext
from portfolio.money import EURO_VALUE, Amount, CurrencyCode, MoneyOut, Rate
from portfolio.pagination import Page
from portfolio.schemas import Input, Note, Output, Patch, StateCode, example


class PledgeKind(Choice):
    cash = "cash", _("Cash")
    in_kind = "in_kind", _("In kind")


class PledgeStatus(Choice):
    """In the context "pledge status": in French a status agrees with "une annonce" ("Annoncée",
    "Engagée"), the same English heading an amount with "le montant" ("Annoncé", "Engagé")."""

    pledged = "pledged", pgettext("pledge status", "Pledged")
    committed = "committed", pgettext("pledge status", "Committed")
    paid = "paid", pgettext("pledge status", "Paid")
    withdrawn = "withdrawn", pgettext("pledge status", "Withdrawn")


Month = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^\d{4}-(0[1-9]|1[0-2])$"),
    Field(description="A calendar month, YYYY-MM.", examples=["2025-03"]),
]


class PledgeCreate(Input):
    model_config = example(
        project_id=1,
        donor="NOR",
        kind="cash",
        amount="500000.00",
        currency="NOK",
        pledged_on="2025-03-14",
        status="committed",
        note="Contribution agreement signed in Vienna",
    )

    project_id: int
    donor: StateCode = Field(description="The participating State or Partner that pledges.")
    kind: PledgeKind = Field(
        default=PledgeKind.cash, description="cash, or in_kind (experts, equipment) valued at its estimate."
    )
    amount: Amount
    currency: CurrencyCode
    pledged_on: date
    status: PledgeStatus = Field(
        default=PledgeStatus.pledged,
        description="pledged (announced) or committed (agreement signed); paid follows from receipts.",
    )
    note: Note = ""


class PledgeUpdate(Patch):
    model_config = example(status="committed", note="Contribution agreement signed")
    not_null = frozenset(
        {"project_id", "donor", "kind", "amount", "currency", "pledged_on", "status", "note"}
    )

    project_id: int | None = None
    donor: StateCode | None = None
    kind: PledgeKind | None = None
    amount: Amount | None = None
    currency: CurrencyCode | None = None
    pledged_on: date | None = None
    status: PledgeStatus | None = None
    note: Note | None = None


class PledgeRead(Output):
    id: int
    project_id: int
    donor: str
    kind: PledgeKind
    amount: MoneyOut
    currency: str
    pledged_on: date
    status: PledgeStatus
    eur_per_unit: Annotated[MoneyOut, Field(description="The rate of the pledge's month, frozen.")]
    amount_eur: MoneyOut = Field(description=EURO_VALUE)
    received: MoneyOut = Field(description="Sum of receipts, in the pledge's currency.")
    received_eur: MoneyOut
    outstanding: MoneyOut = Field(
        description="amount − received (0 once withdrawn), in the pledge's currency."
    )
    fx_difference_eur: MoneyOut = Field(
        description=(
            "received_eur minus the same receipts at the pledge's frozen rate (eur_per_unit): what exchange "
            "rates moved between pledge and receipt. Explains received_eur above (or below) amount_eur for "
            "a pledge received in full in another currency; 0.00 for euros."
        )
    )
    note: str
    version: int
    created_at: datetime
    updated_at: datetime


PledgePage = Page[PledgeRead]


class ReceiptCreate(Input):
    model_config = example(amount="25000.00", received_on="2026-06-02")
    amount: Amount = Field(description="In the pledge's currency.")
    received_on: date


class ReceiptRead(Output):
    id: int
    pledge_id: int
    amount: MoneyOut
    currency: str
    received_on: date
    eur_per_unit: MoneyOut
    amount_eur: MoneyOut = Field(description=EURO_VALUE)
    created_at: datetime


class InstalmentStatus(Choice):
    """Read from the receipts, earliest instalment first; overdue is never stored."""

    due = "due", pgettext("instalment status", "Due")
    overdue = "overdue", pgettext("instalment status", "Overdue")
    received = "received", pgettext("instalment status", "Received")


class InstalmentIn(Input):
    due_on: date
    amount: Amount = Field(description="In the pledge's currency.")
    note: Annotated[str, StringConstraints(max_length=500)] = ""


class InstalmentSchedule(Input):
    model_config = example(
        instalments=[
            {"due_on": "2026-10-31", "amount": "10000.00", "note": "On signature"},
            {"due_on": "2027-04-30", "amount": "10000.00", "note": "After the interim report"},
        ]
    )
    instalments: list[InstalmentIn] = Field(
        max_length=120,
        description="The whole schedule, replacing the one before; together at most the pledge's amount; an "
        "empty list removes it.",
    )


class InstalmentRead(Output):
    id: int
    pledge_id: int
    due_on: date
    amount: MoneyOut = Field(description="In the pledge's currency.")
    currency: str
    note: str
    received: MoneyOut = Field(description="What the receipts cover of it, earliest instalment first.")
    outstanding: MoneyOut = Field(description="amount − received.")
    status: InstalmentStatus


class ExchangeRateCreate(Input):
    model_config = example(currency="PLN", month="2026-11", eur_per_unit="0.23150000")
    currency: CurrencyCode
    month: Month
    eur_per_unit: Rate


class ExchangeRateRead(Output):
    currency: str
    month: str
    eur_per_unit: MoneyOut
    created_at: datetime


ExchangeRatePage = Page[ExchangeRateRead]

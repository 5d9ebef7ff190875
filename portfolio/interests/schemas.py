"""Wire format of donors' expressions of interest."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import Field

from portfolio.choices import Choice
from portfolio.marking import mark as _
from portfolio.money import Amount, CurrencyCode, MoneyOut
from portfolio.pagination import Page
from portfolio.schemas import Input, Note, Output, StateCode, example


class InterestStatus(Choice):
    open = "open", _("Open")
    converted = "converted", _("Turned into a pledge")
    withdrawn = "withdrawn", _("Withdrawn")


class InterestCreate(Input):
    model_config = example(
        donor="DEU", amount="250000.00", currency="EUR", note="Subject to parliamentary approval"
    )

    donor: StateCode | None = Field(
        default=None,
        description=(
            "The State interested. A donor account's interest is its own State's (leave it out, or name "
            "that State); staff recording one on a donor's behalf name the State."
        ),
    )
    amount: Amount
    currency: CurrencyCode = Field(
        description="ISO 4217 code; it needs a recorded exchange rate for the current month (but EUR)."
    )
    note: Note = ""


class InterestConvert(Input):
    """What staff may set on the pledge an interest becomes (the query of its route)."""

    pledged_on: date | None = Field(default=None, description="When the pledge was made: today if left out.")
    note: Note | None = Field(default=None, description="The pledge's note: the interest's if left out.")


class InterestRead(Output):
    id: int
    project_id: int
    donor: str
    amount: MoneyOut
    currency: str
    note: str
    status: InterestStatus
    pledge_id: int | None = Field(description="The pledge it was turned into, once converted.")
    estimate_eur: Annotated[
        MoneyOut | None,
        Field(
            description=(
                "What the amount is worth in euros at the latest rate recorded up to this month (an "
                "estimate, not frozen: an interest is not a pledge); null when no rate is recorded."
            )
        ),
    ] = None
    rate_month: str | None = Field(default=None, description="The month (YYYY-MM) of that rate.")
    version: int
    created_at: datetime
    updated_at: datetime


InterestPage = Page[InterestRead]

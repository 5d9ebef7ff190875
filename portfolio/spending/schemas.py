"""Wire format of budget lines, their revisions, expenditures and the balances they leave."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import Field, StringConstraints

from portfolio.choices import Choice
from portfolio.marking import mark as _
from portfolio.money import EURO_VALUE, Amount, CurrencyCode, MoneyOut, NonNegativeAmount
from portfolio.pagination import Page
from portfolio.schemas import Input, Note, Output, Patch, example


class BudgetCategory(Choice):
    """The budget categories of the OSCE's and the UN's project budgets (the UN Development Group's
    harmonised categories, which the OSCE's extra-budgetary project proposals follow)."""

    staff = "staff", _("Staff")
    consultants = "consultants", _("Consultants")
    travel = "travel", _("Travel")
    equipment = "equipment", _("Equipment and supplies")
    contracted_services = "contracted_services", _("Contracted services")
    operating_costs = "operating_costs", _("General operating costs")
    programme_support = "programme_support", _("Programme support costs")


class Charging(Choice):
    """How an expenditure was shared among the project's pledges."""

    proportional = "proportional", _("In proportion to what each pledge brought in")
    manual = "manual", _("As staff set it (earmarked money)")


Label = Annotated[str, StringConstraints(max_length=200)]
Year = Annotated[int, Field(ge=1990, le=2100, description="The budget year; null for the whole project.")]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
Reference = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    Field(description="The finance system's reference of the entry; unique."),
]
FROM_UNALLOCATED = (
    "true (the default): the difference is taken from (or given back to) the project's unallocated "
    "budget, which must hold it, and the project's budget stays as it is; false: the project's budget "
    "moves by the difference (a budget revision agreed with the donors)."
)


class BudgetLineCreate(Input):
    model_config = example(
        category="equipment", label="Destruction equipment", amount_eur="15000.00", reason="Approved plan"
    )

    category: BudgetCategory
    label: Label = ""
    year: Year | None = None
    amount_eur: NonNegativeAmount
    from_unallocated: bool = Field(default=True, description=FROM_UNALLOCATED)
    reason: Note = ""
    revised_on: date | None = Field(
        default=None, description="The day the line was agreed; today if left out."
    )


class BudgetLineRevision(Patch):
    """A revision of the line's amount (with its reason), a new label, or both."""

    model_config = example(amount_eur="50000.00", reason="Two sites fewer to secure")
    not_null = frozenset({"amount_eur", "label", "from_unallocated", "reason"})

    amount_eur: NonNegativeAmount | None = None
    label: Label | None = None
    from_unallocated: bool | None = Field(default=None, description=FROM_UNALLOCATED)
    reason: Reason | None = Field(
        default=None, description="Why the amount changed; required with amount_eur."
    )
    revised_on: date | None = Field(default=None, description="The day of the revision; today if left out.")


class BudgetRevisionRead(Output):
    id: int
    line_id: int
    revised_on: date
    before_eur: MoneyOut
    after_eur: MoneyOut
    from_unallocated: bool
    reason: str
    user_id: int | None
    created_at: datetime


class BudgetLineRead(Output):
    id: int | None = Field(description="Null for the unallocated remainder, which is no stored line.")
    project_id: int
    category: BudgetCategory | None = Field(description="Null for the unallocated remainder.")
    label: str
    year: int | None
    original_eur: MoneyOut | None = Field(description="What the line was first given; null when unallocated.")
    amount_eur: MoneyOut = Field(description="What the line holds after its revisions.")
    spent_eur: MoneyOut = Field(description="The expenditures booked on the line, reversals deducted.")
    remaining_eur: MoneyOut = Field(description="amount_eur − spent_eur (negative when overspent).")
    version: int | None


class BudgetRead(Output):
    project_id: int
    budget_eur: MoneyOut | None = Field(
        description="The project's budget: its lines and what is unallocated."
    )
    allocated_eur: MoneyOut = Field(description="The sum of the lines.")
    unallocated_eur: MoneyOut | None = Field(description="budget_eur − allocated_eur; null without a budget.")
    lines: list[BudgetLineRead] = Field(description="The lines, then the unallocated remainder.")


class ChargeIn(Input):
    pledge_id: int
    amount_eur: NonNegativeAmount


class ExpenditureCreate(Input):
    model_config = example(
        project_id=1,
        spent_on="2026-11-20",
        amount="18250.00",
        currency="EUR",
        description="Hydraulic shears, lot 2",
        reference="FIN-2026-004211",
    )

    project_id: int
    line_id: int | None = Field(default=None, description="The budget line; null books it as unallocated.")
    spent_on: date
    amount: Amount = Field(description="In the currency spent.")
    currency: CurrencyCode
    description: Note = ""
    reference: Reference | None = None
    charges: list[ChargeIn] | None = Field(
        default=None,
        max_length=200,
        description=(
            "Which pledges paid, in euros, for earmarked money; left out, the expenditure is shared among "
            "the project's pledges in proportion to what each brought in, none beyond what it has left."
        ),
    )


class ExpenditureUpdate(Patch):
    model_config = example(description="Hydraulic shears, lot 2 (invoice 4471)")
    not_null = frozenset({"spent_on", "amount", "currency", "description"})

    line_id: int | None = None
    spent_on: date | None = None
    amount: Amount | None = None
    currency: CurrencyCode | None = None
    description: Note | None = None
    reference: Reference | None = None
    charges: list[ChargeIn] | None = Field(default=None, max_length=200)


class ReversalCreate(Input):
    model_config = example(reversed_on="2026-12-01", reason="Booked on the wrong project")
    reversed_on: date | None = Field(default=None, description="The day of the reversal; today if left out.")
    reason: Reason


class ChargeRead(Output):
    pledge_id: int
    donor: str
    amount_eur: MoneyOut


class ExpenditureRead(Output):
    id: int
    project_id: int
    line_id: int | None
    spent_on: date
    amount: MoneyOut = Field(description="In the currency spent; negative for a reversal.")
    currency: str
    eur_per_unit: MoneyOut
    amount_eur: MoneyOut = Field(description=EURO_VALUE)
    description: str
    reference: str | None
    reverses_id: int | None = Field(description="The expenditure this entry reverses, if it is a reversal.")
    reversed_by_id: int | None = Field(description="The entry that reversed this one, if any.")
    charging: Charging
    charges: list[ChargeRead] = Field(
        description="Which pledges paid. A donor's account sees its own State's pledges' shares only."
    )
    uncharged_eur: MoneyOut = Field(
        description="What no pledge paid (the project had no money left when it was spent): pre-financed."
    )
    version: int
    created_at: datetime
    updated_at: datetime


ExpenditurePage = Page[ExpenditureRead]


class PledgeBalance(Output):
    pledge_id: int
    donor: str
    received_eur: MoneyOut
    spent_eur: MoneyOut = Field(description="What the project's expenditures charged to the pledge.")
    balance_eur: MoneyOut = Field(description="received_eur − spent_eur.")


class SpendingRead(Output):
    """Where a project's money stands. Delivery rate is spending over money received, as the UN MPTF
    Office reports it; budget use is spending over the budget."""

    project_id: int
    budget_eur: MoneyOut | None
    received_eur: MoneyOut
    spent_eur: MoneyOut
    balance_eur: MoneyOut = Field(description="received_eur − spent_eur.")
    uncharged_eur: MoneyOut = Field(description="Spending no pledge paid for (spent before money arrived).")
    delivery_rate: Decimal | None = Field(description="spent ÷ received (4 decimals); null before money.")
    budget_used: Decimal | None = Field(description="spent ÷ budget (4 decimals); null without a budget.")
    burn_rate_eur: MoneyOut = Field(description="Average spending a month over the last six months.")
    end_date: date | None
    projected_balance_eur: MoneyOut | None = Field(
        description="balance_eur less the burn rate over the months left to the end date; null without one."
    )
    pledges: list[PledgeBalance] = Field(description="A donor's account sees its own State's pledges only.")
    by_year: dict[str, MoneyOut] = Field(description="Spending by calendar year.")

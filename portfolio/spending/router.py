"""Routes of money out: a project's budget by line, its revisions, expenditures and where the money stands."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from portfolio.auth import CurrentActor, requires
from portfolio.db import SessionDep
from portfolio.errors import problem_responses
from portfolio.facts import FactsDep
from portfolio.flows import budget as budget_flow
from portfolio.pagination import Paging
from portfolio.preconditions import IfMatch, set_etag
from portfolio.spending import service
from portfolio.spending.models import BudgetLine
from portfolio.spending.repository import ExpenditureFilters
from portfolio.spending.schemas import (
    BudgetLineCreate,
    BudgetLineRead,
    BudgetLineRevision,
    BudgetRead,
    BudgetRevisionRead,
    ChargeRead,
    ExpenditureCreate,
    ExpenditurePage,
    ExpenditureRead,
    ExpenditureUpdate,
    PledgeBalance,
    ReversalCreate,
    SpendingRead,
)

budget_router = APIRouter(prefix="/api/v1", tags=["Budgets and spending"], dependencies=requires("spending"))
expenditures_router = APIRouter(
    prefix="/api/v1/expenditures", tags=["Budgets and spending"], dependencies=requires("spending")
)
READ_ERRORS = problem_responses(401, 403, 404, 503)
WRITE_ERRORS = problem_responses(401, 403, 404, 409, 412, 422, 503)


def _line_read(project_id: int, view: service.LineView) -> BudgetLineRead:
    line = view.line
    return BudgetLineRead(
        id=line.id if line else None,
        project_id=project_id,
        category=line.category if line else None,
        label=line.label if line else "",
        year=line.year if line else None,
        original_eur=line.original_eur if line else None,
        amount_eur=view.amount_eur,
        spent_eur=view.spent_eur,
        remaining_eur=view.remaining_eur,
        version=line.version if line else None,
    )


def _budget_read(view: service.BudgetView) -> BudgetRead:
    return BudgetRead(
        project_id=view.project_id,
        budget_eur=view.budget_eur,
        allocated_eur=view.allocated_eur,
        unallocated_eur=view.unallocated_eur,
        lines=[_line_read(view.project_id, line) for line in view.lines],
    )


@budget_router.get(
    "/projects/{project_id}/budget",
    summary="A project's budget by line, with what was spent on each",
    description="The lines (by category, label and year), then the unallocated remainder: the project's "
    "budget less its lines, with what was spent on no line. The budget is always the sum of the lines and "
    "the remainder.",
    operation_id="get_project_budget",
    responses=READ_ERRORS,
)
def get_budget(session: SessionDep, project_id: int) -> BudgetRead:
    return _budget_read(service.budget(session, project_id))


def _line_with_etag(session: SessionDep, line: BudgetLine, response: Response) -> BudgetLineRead:
    assert line.id is not None
    set_etag(response, line.version)
    view = next(v for v in service.budget(session, line.project_id).lines if v.line and v.line.id == line.id)
    return _line_read(line.project_id, view)


@budget_router.post(
    "/projects/{project_id}/budget-lines",
    status_code=status.HTTP_201_CREATED,
    summary="Add a line to a project's budget",
    description="Taken from the unallocated budget (the default), or raising the project's budget by its "
    "amount (from_unallocated false). Recorded as the line's first revision.",
    operation_id="add_budget_line",
    responses=WRITE_ERRORS,
)
def add_line(
    session: SessionDep, actor: CurrentActor, project_id: int, body: BudgetLineCreate, response: Response
) -> BudgetLineRead:
    line = budget_flow.add_line(session, actor, project_id, body)
    return _line_with_etag(session, line, response)


@budget_router.patch(
    "/budget-lines/{line_id}",
    summary="Revise a budget line",
    description="A new amount is a revision: dated, with its reason, kept in the line's revisions and the "
    "audit trail. Send the line's ETag in If-Match.",
    operation_id="revise_budget_line",
    responses=WRITE_ERRORS,
)
def revise_line(
    session: SessionDep,
    actor: CurrentActor,
    line_id: int,
    body: BudgetLineRevision,
    precondition: IfMatch,
    response: Response,
) -> BudgetLineRead:
    line = budget_flow.revise_line(session, actor, line_id, body, precondition)
    return _line_with_etag(session, line, response)


@budget_router.get(
    "/budget-lines/{line_id}/revisions",
    summary="A budget line's revisions, oldest first",
    operation_id="list_budget_revisions",
    responses=READ_ERRORS,
)
def list_revisions(session: SessionDep, line_id: int) -> list[BudgetRevisionRead]:
    return [BudgetRevisionRead.model_validate(r) for r in service.revisions(session, line_id)]


@budget_router.get(
    "/projects/{project_id}/spending",
    summary="Where a project's money stands",
    description="Received, spent and the balance; delivery rate (spent ÷ received) and budget use (spent ÷ "
    "budget); the burn rate and the balance it leaves at the end date; each pledge's balance. A donor's "
    "account sees the projects its State funds, and its own State's pledges only.",
    operation_id="get_project_spending",
    responses=READ_ERRORS,
)
def get_spending(session: SessionDep, actor: CurrentActor, project_id: int) -> SpendingRead:
    view = service.spending(session, actor, project_id)
    return SpendingRead(
        project_id=view.project_id,
        budget_eur=view.budget_eur,
        received_eur=view.received_eur,
        spent_eur=view.spent_eur,
        balance_eur=view.balance_eur,
        uncharged_eur=view.uncharged_eur,
        delivery_rate=view.delivery_rate,
        budget_used=view.budget_used,
        burn_rate_eur=view.burn_rate_eur,
        end_date=view.end_date,
        projected_balance_eur=view.projected_balance_eur(date.today()),
        pledges=[
            PledgeBalance(
                pledge_id=p.pledge_id,
                donor=p.donor,
                received_eur=p.received_eur,
                spent_eur=p.spent_eur,
                balance_eur=p.balance_eur,
            )
            for p in view.pledges
        ],
        by_year={str(year): total for year, total in view.by_year.items()},
    )


def expenditure_filters(
    project_id: int | None = None,
    line_id: int | None = None,
    spent_from: Annotated[date | None, Query(alias="from", description="Spent on or after this day.")] = None,
    spent_to: Annotated[date | None, Query(alias="to", description="Spent on or before this day.")] = None,
) -> ExpenditureFilters:
    return ExpenditureFilters(project_id, line_id, spent_from, spent_to)


def _read(view: service.ExpenditureView) -> ExpenditureRead:
    e = view.expenditure
    fields = {name: getattr(e, name) for name in ExpenditureRead.model_fields if hasattr(e, name)}
    fields.pop("charges", None)
    return ExpenditureRead(
        **fields,
        charges=[
            ChargeRead(pledge_id=c.pledge_id, donor=c.donor, amount_eur=c.amount_eur) for c in view.charges
        ],
        uncharged_eur=view.uncharged_eur,
        reversed_by_id=view.reversed_by_id,
    )


def _with_etag(
    session: SessionDep, actor: CurrentActor, expenditure_id: int, response: Response
) -> ExpenditureRead:
    view = service.get_expenditure(session, actor, expenditure_id)
    set_etag(response, view.expenditure.version)
    return _read(view)


@expenditures_router.get(
    "",
    summary="List expenditures, latest first",
    description="A donor's account lists the spending of the projects its State funds, and sees its own "
    "State's shares of it only.",
    operation_id="list_expenditures",
    responses=problem_responses(401, 403, 422, 503),
)
def list_expenditures(
    session: SessionDep,
    actor: CurrentActor,
    paging: Paging,
    filters: Annotated[ExpenditureFilters, Depends(expenditure_filters)],
) -> ExpenditurePage:
    views, total = service.list_expenditures(session, actor, filters, paging)
    return ExpenditurePage.of(map(_read, views), total, paging)


@expenditures_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Record an expenditure",
    description="Converted to euros at the rate of its month and shared among the project's pledges in "
    "proportion to what each brought in (or as `charges` says, for earmarked money); no pledge is charged "
    "beyond what it has left.",
    operation_id="record_expenditure",
    responses=WRITE_ERRORS,
)
def record_expenditure(
    session: SessionDep, actor: CurrentActor, facts: FactsDep, body: ExpenditureCreate, response: Response
) -> ExpenditureRead:
    expenditure = service.record_expenditure(session, actor, body, facts)
    assert expenditure.id is not None
    return _with_etag(session, actor, expenditure.id, response)


@expenditures_router.get(
    "/{expenditure_id}", summary="One expenditure", operation_id="get_expenditure", responses=READ_ERRORS
)
def get_expenditure(
    session: SessionDep, actor: CurrentActor, expenditure_id: int, response: Response
) -> ExpenditureRead:
    return _with_etag(session, actor, expenditure_id, response)


@expenditures_router.patch(
    "/{expenditure_id}",
    summary="Correct an expenditure",
    description="Send its ETag in If-Match. A new amount, currency, day or charges shares it among the "
    "pledges again. A reversed expenditure, or a reversal, stays as it is.",
    operation_id="correct_expenditure",
    responses=WRITE_ERRORS,
)
def update_expenditure(
    session: SessionDep,
    actor: CurrentActor,
    facts: FactsDep,
    expenditure_id: int,
    body: ExpenditureUpdate,
    precondition: IfMatch,
    response: Response,
) -> ExpenditureRead:
    service.update_expenditure(session, actor, expenditure_id, body, facts, precondition)
    return _with_etag(session, actor, expenditure_id, response)


@expenditures_router.post(
    "/{expenditure_id}/reversal",
    status_code=status.HTTP_201_CREATED,
    summary="Reverse an expenditure",
    description="Expenditures are never deleted: a reversal is a negative entry on the same line with the "
    "same shares, negated, dated the day it is recorded (or `reversed_on`).",
    operation_id="reverse_expenditure",
    responses=WRITE_ERRORS,
)
def reverse_expenditure(
    session: SessionDep,
    actor: CurrentActor,
    expenditure_id: int,
    body: ReversalCreate,
    precondition: IfMatch,
    response: Response,
) -> ExpenditureRead:
    reversal = service.reverse_expenditure(session, actor, expenditure_id, body, precondition)
    assert reversal.id is not None
    return _with_etag(session, actor, reversal.id, response)

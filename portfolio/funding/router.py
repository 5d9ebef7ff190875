from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from portfolio.auth import CurrentActor, requires
from portfolio.db import SessionDep
from portfolio.errors import problem_responses
from portfolio.facts import FactsDep
from portfolio.flows import agreements as agreements_flow
from portfolio.funding import service
from portfolio.funding.models import Receipt
from portfolio.funding.repository import PledgeFilters, PledgeRow
from portfolio.funding.schemas import (
    ExchangeRateCreate,
    ExchangeRatePage,
    ExchangeRateRead,
    InstalmentRead,
    InstalmentSchedule,
    Month,
    PledgeCreate,
    PledgePage,
    PledgeRead,
    PledgeStatus,
    PledgeUpdate,
    ReceiptCreate,
    ReceiptRead,
)
from portfolio.money import CurrencyCode
from portfolio.pagination import Paging
from portfolio.preconditions import IfMatch, set_etag
from portfolio.schemas import StateCode

pledges_router = APIRouter(prefix="/api/v1/pledges", tags=["Pledges"], dependencies=requires("pledges"))
rates_router = APIRouter(
    prefix="/api/v1/exchange-rates", tags=["Exchange rates"], dependencies=requires("rates")
)


def pledge_filters(
    donor: StateCode | None = None,
    project_id: int | None = None,
    status_: Annotated[PledgeStatus | None, Query(alias="status")] = None,
    currency: CurrencyCode | None = None,
    year: Annotated[int | None, Query(ge=1990, le=2100, description="Year the pledge was made.")] = None,
) -> PledgeFilters:
    """The pledge list's filters, shared by the list and the exports."""
    return PledgeFilters(donor, project_id, status_, currency, year)


PledgeFilterParams = Annotated[PledgeFilters, Depends(pledge_filters)]
WRITE_ERRORS = problem_responses(401, 403, 404, 409, 412, 422, 503)
READ_ERRORS = problem_responses(401, 403, 404, 503)


def _with_etag(response: Response, pledge: PledgeRead) -> PledgeRead:
    set_etag(response, pledge.version)
    return pledge


def to_read(row: PledgeRow) -> PledgeRead:
    pledge = row.pledge
    fields = {name: getattr(pledge, name) for name in PledgeRead.model_fields if hasattr(pledge, name)}
    return PledgeRead(
        **fields,
        received=row.received,
        received_eur=row.received_eur,
        outstanding=service.outstanding(row),
        fx_difference_eur=service.fx_difference(row),
    )


@pledges_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Record a pledge to a project",
    responses=problem_responses(401, 403, 409, 422, 503),
)
def create_pledge(
    session: SessionDep, actor: CurrentActor, facts: FactsDep, body: PledgeCreate, response: Response
) -> PledgeRead:
    pledge = service.create_pledge(session, actor, body, facts)
    assert pledge.id is not None
    return _with_etag(response, to_read(service.get_pledge_row(session, actor, pledge.id)))


@pledges_router.get("", summary="List pledges", responses=problem_responses(401, 403, 422, 503))
def list_pledges(
    session: SessionDep, actor: CurrentActor, paging: Paging, filters: PledgeFilterParams
) -> PledgePage:
    rows, total = service.list_pledges(session, actor, filters, paging.limit, paging.offset)
    return PledgePage.of(map(to_read, rows), total, paging)


@pledges_router.get("/{pledge_id}", summary="One pledge with what has been received", responses=READ_ERRORS)
def get_pledge(session: SessionDep, actor: CurrentActor, pledge_id: int, response: Response) -> PledgeRead:
    return _with_etag(response, to_read(service.get_pledge_row(session, actor, pledge_id)))


@pledges_router.patch(
    "/{pledge_id}", summary="Change a pledge (commit, withdraw, correct)", responses=WRITE_ERRORS
)
def update_pledge(
    session: SessionDep,
    actor: CurrentActor,
    facts: FactsDep,
    pledge_id: int,
    body: PledgeUpdate,
    precondition: IfMatch,
    response: Response,
) -> PledgeRead:
    service.update_pledge(session, actor, pledge_id, body, facts, precondition)
    return _with_etag(response, to_read(service.get_pledge_row(session, actor, pledge_id)))


# Deleting a pledge is a flow: one with a contribution agreement is refused.
@pledges_router.delete(
    "/{pledge_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete a pledge recorded in error (one without receipts or an agreement)",
    responses=problem_responses(401, 403, 404, 409, 412, 503),
)
def delete_pledge(session: SessionDep, actor: CurrentActor, pledge_id: int, precondition: IfMatch) -> None:
    agreements_flow.delete_pledge(session, actor, pledge_id, precondition)


def _receipt_read(currency: str, receipt: Receipt) -> ReceiptRead:
    fields = {name: getattr(receipt, name) for name in ReceiptRead.model_fields if name != "currency"}
    return ReceiptRead(**fields, currency=currency)


@pledges_router.get("/{pledge_id}/receipts", summary="Money received against a pledge", responses=READ_ERRORS)
def list_receipts(session: SessionDep, actor: CurrentActor, pledge_id: int) -> list[ReceiptRead]:
    pledge, receipts = service.list_receipts(session, actor, pledge_id)
    return [_receipt_read(pledge.currency, r) for r in receipts]


@pledges_router.post(
    "/{pledge_id}/receipts",
    status_code=status.HTTP_201_CREATED,
    summary="Record money received against a pledge",
    responses=WRITE_ERRORS,
)
def add_receipt(session: SessionDep, actor: CurrentActor, pledge_id: int, body: ReceiptCreate) -> ReceiptRead:
    pledge, receipt = service.add_receipt(session, actor, pledge_id, body)
    return _receipt_read(pledge.currency, receipt)


def _instalment_read(view: service.InstalmentView) -> InstalmentRead:
    instalment = view.instalment
    assert instalment.id is not None
    return InstalmentRead(
        id=instalment.id,
        pledge_id=instalment.pledge_id,
        due_on=instalment.due_on,
        amount=instalment.amount,
        currency=view.currency,
        note=instalment.note,
        received=view.received,
        outstanding=view.outstanding,
        status=view.status,
    )


@pledges_router.get(
    "/{pledge_id}/instalments",
    summary="A pledge's payment schedule, with what was received of each instalment",
    description="The receipts pay the earliest instalment first; an instalment past its day and not wholly "
    "received is `overdue` (never stored).",
    operation_id="list_instalments",
    responses=READ_ERRORS,
)
def list_instalments(session: SessionDep, actor: CurrentActor, pledge_id: int) -> list[InstalmentRead]:
    return [_instalment_read(v) for v in service.list_instalments(session, actor, pledge_id)]


@pledges_router.put(
    "/{pledge_id}/instalments",
    summary="Set a pledge's payment schedule",
    description="Replaces the whole schedule (an empty list removes it). Each instalment falls on or after "
    "the pledge's day; together they are at most its amount. Takes the pledge's ETag in If-Match; the "
    "pledge's version goes up and its audit trail records the change.",
    operation_id="set_instalments",
    responses=WRITE_ERRORS,
)
def set_instalments(
    session: SessionDep,
    actor: CurrentActor,
    pledge_id: int,
    body: InstalmentSchedule,
    precondition: IfMatch,
    response: Response,
) -> list[InstalmentRead]:
    service.set_instalments(session, actor, pledge_id, body.instalments, precondition)
    row = service.get_pledge_row(session, actor, pledge_id)
    set_etag(response, row.pledge.version)
    return [_instalment_read(v) for v in service.list_instalments(session, actor, pledge_id)]


@rates_router.get("", summary="List monthly exchange rates", responses=problem_responses(401, 403, 422, 503))
def list_rates(
    session: SessionDep,
    paging: Paging,
    currency: CurrencyCode | None = None,
    month_from: Annotated[Month | None, Query(alias="from")] = None,
    month_to: Annotated[Month | None, Query(alias="to")] = None,
) -> ExchangeRatePage:
    rates, total = service.list_rates(session, currency, month_from, month_to, paging.limit, paging.offset)
    return ExchangeRatePage.of(map(ExchangeRateRead.model_validate, rates), total, paging)


@rates_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Record a currency's rate for a month",
    responses=problem_responses(401, 403, 409, 422, 503),
)
def create_rate(session: SessionDep, actor: CurrentActor, body: ExchangeRateCreate) -> ExchangeRateRead:
    return ExchangeRateRead.model_validate(service.create_rate(session, actor, body))

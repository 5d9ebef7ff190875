from datetime import datetime
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query

from portfolio.audit import repository, service
from portfolio.audit.models import AuditEntry
from portfolio.audit.schemas import AuditEntryRead, AuditPage
from portfolio.auth import requires
from portfolio.db import SessionDep
from portfolio.errors import problem_responses
from portfolio.pagination import Paging

router = APIRouter(tags=["Audit trail"], dependencies=requires("audit"))


class Entity(StrEnum):
    project = "project"
    pledge = "pledge"
    receipt = "receipt"
    milestone = "milestone"
    indicator = "indicator"
    national_process = "national_process"
    exchange_rate = "exchange_rate"
    user = "user"
    interest = "interest"
    norm = "norm"
    document = "document"
    agreement = "agreement"
    obligation = "obligation"
    calendar_feed = "calendar_feed"
    follow_up_check = "follow_up_check"
    budget_line = "budget_line"
    expenditure = "expenditure"


def _page(entries: list[AuditEntry], total: int, paging: Paging) -> AuditPage:
    return AuditPage.of(map(AuditEntryRead.model_validate, entries), total, paging)


@router.get(
    "/api/v1/audit",
    summary="Every write: who, when, and each field before and after",
    responses=problem_responses(401, 403, 422, 503),
)
def list_audit(
    session: SessionDep,
    paging: Paging,
    entity: Entity | None = None,
    entity_id: int | None = None,
    user_id: int | None = None,
    action: Annotated[str | None, Query(max_length=20)] = None,
    since: Annotated[datetime | None, Query(description="From this instant (ISO 8601), inclusive.")] = None,
    until: Annotated[datetime | None, Query(description="Up to this instant, exclusive.")] = None,
) -> AuditPage:
    filters = repository.AuditFilters(entity, entity_id, user_id, action, None, since, until)
    return _page(*service.list_entries(session, filters, paging), paging)

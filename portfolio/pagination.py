"""Capped limit/offset paging, the count-then-page query and the ``{items, total, limit, offset}`` page."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Generic, Self, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import Select, func, select
from sqlmodel import Session
from sqlmodel.sql.expression import SelectOfScalar

MAX_LIMIT = 500
DEFAULT_LIMIT = 50


@dataclass(frozen=True)
class PageParams:
    limit: int
    offset: int


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Items per page (at most {MAX_LIMIT}).")] = (
        DEFAULT_LIMIT
    ),
    offset: Annotated[int, Query(ge=0, le=2**31 - 1, description="How many items to skip.")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


Paging = Annotated[PageParams, Depends(page_params)]


def paged(
    session: Session,
    query: Select[Any] | SelectOfScalar[Any],
    page: PageParams,
    *order_by: Any,
    count_query: Select[Any] | None = None,
) -> tuple[list[Any], int]:
    """One page of ``query`` in ``order_by`` order, and how many rows match across all pages (counted on
    ``count_query`` when given: the same rows, fewer columns)."""
    counted = query if count_query is None else count_query
    total = session.execute(select(func.count()).select_from(counted.subquery())).scalar_one()
    result = session.execute(query.order_by(*order_by).limit(page.limit).offset(page.offset))
    rows = result.scalars().all() if isinstance(query, SelectOfScalar) else result.all()
    return list(rows), total


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description="How many items match the filters, across all pages.")
    limit: int
    offset: int

    @classmethod
    def of(cls, items: Iterable[T], total: int, page: PageParams) -> Self:
        """The envelope around one page of ``items``."""
        return cls(items=list(items), total=total, limit=page.limit, offset=page.offset)

from typing import Annotated

from fastapi import APIRouter, Query

from portfolio.auth import requires
from portfolio.db import SessionDep
from portfolio.errors import problem_responses
from portfolio.states import service
from portfolio.states.schemas import StateKind, StateRead

router = APIRouter(prefix="/api/v1/states", tags=["States"], dependencies=requires("states"))


@router.get(
    "",
    summary="List OSCE participating States and Partners",
    response_model=list[StateRead],
    responses=problem_responses(401, 403, 503),
)
def list_states(
    session: SessionDep,
    kind: Annotated[
        StateKind | None, Query(description="Only participating States or only Partners.")
    ] = None,
) -> list[StateRead]:
    return [StateRead.model_validate(s) for s in service.list_states(session, kind)]


@router.get(
    "/{code}",
    summary="One State by its ISO 3166-1 alpha-3 code",
    responses=problem_responses(401, 403, 404, 503),
)
def get_state(session: SessionDep, code: str) -> StateRead:
    return StateRead.model_validate(service.get_state(session, code))

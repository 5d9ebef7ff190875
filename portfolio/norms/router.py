from fastapi import APIRouter, Request, Response, status

from portfolio.auth import CurrentActor, requires
from portfolio.db import SessionDep
from portfolio.errors import problem_responses
from portfolio.flows import delete_norm as delete_norm_flow
from portfolio.norms import service
from portfolio.norms.models import Norm
from portfolio.norms.schemas import NormCreate, NormRead, NormUpdate
from portfolio.norms.titles import title_in

router = APIRouter(prefix="/api/v1/norms", tags=["Norms"], dependencies=requires("norms"))


def asked_language(request: Request) -> str:
    """The language a label is asked in: ?lang=, else the first of Accept-Language (its primary tag)."""
    asked = request.query_params.get("lang") or request.headers.get("accept-language", "").split(",")[0]
    return asked.split(";")[0].strip().replace("_", "-").split("-")[0].lower()


def to_read(norm: Norm, lang: str) -> NormRead:
    read = NormRead.model_validate(norm)
    read.label = title_in(norm, lang)
    return read


@router.get(
    "", summary="The catalogue of OSCE norms projects implement", responses=problem_responses(401, 503)
)
def list_norms(session: SessionDep, request: Request) -> list[NormRead]:
    lang = asked_language(request)
    return [to_read(n, lang) for n in service.list_norms(session)]


@router.get("/{norm_code}", summary="One norm", responses=problem_responses(401, 404, 503))
def get_norm(session: SessionDep, request: Request, norm_code: str) -> NormRead:
    return to_read(service.get_norm(session, norm_code), asked_language(request))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Add a norm to the catalogue (admin)",
    responses=problem_responses(401, 403, 409, 422, 503),
)
def create_norm(session: SessionDep, request: Request, actor: CurrentActor, body: NormCreate) -> NormRead:
    return to_read(service.create_norm(session, actor, body), asked_language(request))


@router.patch(
    "/{norm_code}",
    summary="Retitle a norm (admin)",
    responses=problem_responses(401, 403, 404, 409, 422, 503),
)
def update_norm(
    session: SessionDep, request: Request, actor: CurrentActor, norm_code: str, body: NormUpdate
) -> NormRead:
    norm, _ = service.update_norm(session, actor, norm_code, body)
    return to_read(norm, asked_language(request))


@router.delete(
    "/{norm_code}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete a norm no project names (admin; never a shipped one)",
    responses=problem_responses(401, 403, 404, 409, 503),
)
def delete_norm_route(session: SessionDep, actor: CurrentActor, norm_code: str) -> None:
    delete_norm_flow.delete_norm(session, actor, norm_code)

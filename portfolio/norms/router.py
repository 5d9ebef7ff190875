from fastapi import APIRouter, Request, status

from portfolio.auth import CurrentActor, requires
from portfolio.db import SessionDep
from portfolio.errors import problem_responses
from portfolio.norms import service
from portfolio.norms.models import Norm
from portfolio.norms.schemas import NormCreate, NormRead, NormUpdate

router = APIRouter(prefix="/api/v1/norms", tags=["Norms"], dependencies=requires("norms"))


def asked_french(request: Request) -> bool:
    """?lang=fr, else the first language of Accept-Language."""
    asked = request.query_params.get("lang")
    if asked:
        return asked.lower().startswith("fr")
    first = request.headers.get("accept-language", "").split(",")[0].strip().lower()
    return first.startswith("fr")


def to_read(norm: Norm, french: bool) -> NormRead:
    read = NormRead.model_validate(norm)
    read.label = norm.title_fr if french and norm.title_fr else norm.title
    return read


@router.get(
    "", summary="The catalogue of OSCE norms projects implement", responses=problem_responses(401, 503)
)
def list_norms(session: SessionDep, request: Request) -> list[NormRead]:
    french = asked_french(request)
    return [to_read(n, french) for n in service.list_norms(session)]


@router.get("/{norm_code}", summary="One norm", responses=problem_responses(401, 404, 503))
def get_norm(session: SessionDep, request: Request, norm_code: str) -> NormRead:
    return to_read(service.get_norm(session, norm_code), asked_french(request))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Add a norm to the catalogue (admin)",
    responses=problem_responses(401, 403, 409, 422, 503),
)
def create_norm(session: SessionDep, request: Request, actor: CurrentActor, body: NormCreate) -> NormRead:
    return to_read(service.create_norm(session, actor, body), asked_french(request))


@router.patch(
    "/{norm_code}",
    summary="Retitle a norm (admin)",
    responses=problem_responses(401, 403, 404, 409, 422, 503),
)
def update_norm(
    session: SessionDep, request: Request, actor: CurrentActor, norm_code: str, body: NormUpdate
) -> NormRead:
    norm, _ = service.update_norm(session, actor, norm_code, body)
    return to_read(norm, asked_french(request))

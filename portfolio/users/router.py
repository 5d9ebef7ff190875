from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordRequestForm

from portfolio.auth import CurrentActor, CurrentUser, requires
from portfolio.db import SessionDep
from portfolio.errors import problem, problem_responses
from portfolio.flows import accounts as accounts_flow
from portfolio.pagination import Paging
from portfolio.preconditions import IfMatch, set_etag
from portfolio.users import service
from portfolio.users.schemas import (
    SignInFailurePage,
    SignInFailureRead,
    Token,
    UserCreate,
    UserPage,
    UserRead,
    UserUpdate,
)

auth_router = APIRouter(prefix="/api/v1/auth", tags=["Accounts"])
me_router = APIRouter(prefix="/api/v1/users", tags=["Accounts"], dependencies=requires("own-account"))
users_router = APIRouter(prefix="/api/v1/users", tags=["Accounts"], dependencies=requires("users"))

AUTH_ERRORS = problem_responses(401, 403, 503)


LOGIN_RULE = (
    "Every attempt is counted before its password is checked. One client address may make "
    "PORTFOLIO_LOGIN_MAX_FAILURES (5) attempts for one e-mail within PORTFOLIO_LOGIN_LOCK_MINUTES (15) "
    "minutes of the first; all addresses together PORTFOLIO_LOGIN_ACCOUNT_MAX_ATTEMPTS (20) within "
    "PORTFOLIO_LOGIN_ACCOUNT_WINDOW_S (60) seconds. Beyond either, 429 with Retry-After until the window is "
    "over; a right password clears its address's count. An unknown e-mail is answered exactly as a known one."
)


def client_address(request: Request) -> str:
    """The client's address as the server sees it (behind a proxy: as uvicorn's proxy headers set it)."""
    return request.client.host if request.client is not None else ""


@auth_router.post(
    "/token",
    response_model=Token,
    summary="Log in: e-mail and password for a bearer token",
    description=LOGIN_RULE,
    responses={**problem_responses(422, 429, 503), 401: {"description": "Wrong e-mail or password"}},
)
async def login(
    request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()]
) -> Token | JSONResponse:
    state = request.app.state
    result = await service.authenticate(
        state.db,
        state.settings,
        state.hasher,
        state.secret_key,
        form.username,
        form.password,
        client_address(request),
    )
    if result.locked_for is not None:
        seconds = int(result.locked_for.total_seconds()) + 1
        return problem(
            429,
            "Too many requests",
            "Too many login attempts for this e-mail; try again later.",
            "too-many-requests",
            headers={"Retry-After": str(seconds)},
        )
    if result.token is None:
        return problem(
            401,
            "Not authenticated",
            "Wrong e-mail or password.",
            "unauthorized",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return Token(access_token=result.token, expires_in=result.expires_in)


@me_router.get("/me", summary="The account behind the token", responses=AUTH_ERRORS)
def me(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)


@users_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create an account (admin)",
    responses=problem_responses(401, 403, 409, 422, 503),
)
def create_user(request: Request, session: SessionDep, actor: CurrentActor, body: UserCreate) -> UserRead:
    return UserRead.model_validate(service.create_user(session, actor, body, request.app.state.hasher))


@users_router.get("", summary="List accounts (admin)", responses=AUTH_ERRORS)
def list_users(session: SessionDep, paging: Paging) -> UserPage:
    users, total = service.list_users(session, paging)
    return UserPage.of(map(UserRead.model_validate, users), total, paging)


@users_router.get(
    "/sign-in-failures",
    summary="Recent failed sign-ins, newest first (admin)",
    description="Each refused login whose password was checked: the e-mail typed (cut to 254 characters), "
    "the account it names if any, the client's address, when, and why. Attempts the throttle refused "
    "unchecked (429) are counted, not listed. Kept 90 days.",
    responses=AUTH_ERRORS,
)
def sign_in_failures(session: SessionDep, paging: Paging) -> SignInFailurePage:
    failures, total = service.sign_in_failures(session, paging)
    return SignInFailurePage.of(map(SignInFailureRead.model_validate, failures), total, paging)


@users_router.get(
    "/{user_id}", summary="One account (admin)", responses=problem_responses(401, 403, 404, 503)
)
def get_user(session: SessionDep, user_id: int, response: Response) -> UserRead:
    user = service.get_user(session, user_id)
    set_etag(response, user.version)
    return UserRead.model_validate(user)


# Letting go of an account's reporting obligations and follow-up checks is a flow.
@users_router.patch(
    "/{user_id}",
    summary="Change an account: role, State, deactivate, reset password (admin)",
    description=(
        "An account deactivated, or moved to a role that may not be responsible for reports and checks "
        "(manager, donor), lets go of the reporting obligations and follow-up checks still due that it "
        "owned: they are left without an owner (audited), so that their reminders go to all staff."
    ),
    responses=problem_responses(401, 403, 404, 409, 412, 422, 503),
)
def update_user(
    request: Request,
    session: SessionDep,
    actor: CurrentActor,
    user_id: int,
    body: UserUpdate,
    precondition: IfMatch,
    response: Response,
) -> UserRead:
    user, _ = accounts_flow.update_account(
        session, actor, user_id, body, request.app.state.hasher, precondition
    )
    set_etag(response, user.version)
    return UserRead.model_validate(user)

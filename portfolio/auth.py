"""Who is asking, and whether their role may: bearer tokens and the role table.

| resource                                             | admin | staff | manager | donor              |
|------------------------------------------------------|-------|-------|---------|--------------------|
| users                                                | all   | own   | own     | own                |
| projects, milestones, indicators, processes, rates   | rw    | rw    | r       | r                  |
| lifecycle moves (reopening: managers and admins)     | rw    | rw    | reopen  | –                  |
| pledges and receipts                                 | rw    | rw    | r       | r, own State only  |
| audit trail                                          | r     | r     | r       | –                  |
| imports (templates, CSV/XLSX uploads)                | rw    | rw    | –       | –                  |
| exports (CSV, XLSX, IATI)                            | r     | r     | r       | r, pledges: own    |
| norms catalogue                                      | rw    | r     | r       | r                  |
| documents (purging: admins)                          | rw    | rw    | r       | r, shared or own   |

Every route declares its resource with :func:`authorize`; the donor's restriction to its own State's
pledges is applied by the funding service, which answers 404 for another State's pledge.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Annotated

import jwt
from fastapi import Depends, Request, params
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session

from portfolio.db import SessionDep
from portfolio.errors import Forbidden, Unauthorized
from portfolio.security import Actor, InvalidToken, TokenClaims, read_token
from portfolio.users import repository as users_repository
from portfolio.users.models import User

TOKEN_URL = "/api/v1/auth/token"  # noqa: S105 - a path, not a secret
bearer = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)

EVERYONE = frozenset({"admin", "staff", "manager", "donor"})
WRITERS = frozenset({"admin", "staff"})
POLICY: dict[str, dict[str, frozenset[str]]] = {
    "projects": {"read": EVERYONE, "write": WRITERS},
    "lifecycle": {"read": EVERYONE, "write": frozenset({"admin", "staff", "manager"})},
    "processes": {"read": EVERYONE, "write": WRITERS},
    "rates": {"read": EVERYONE, "write": WRITERS},
    "states": {"read": EVERYONE},
    "pledges": {"read": EVERYONE, "write": WRITERS},
    "audit": {"read": frozenset({"admin", "staff", "manager"})},
    "imports": {"read": WRITERS, "write": WRITERS},
    "exports": {"read": EVERYONE},
    "users": {"read": frozenset({"admin"}), "write": frozenset({"admin"})},
    "own-account": {"read": EVERYONE},
    "interests": {"read": EVERYONE, "write": frozenset({"admin", "staff", "donor"})},
    "norms": {"read": EVERYONE, "write": frozenset({"admin"})},
    "documents": {"read": EVERYONE, "write": WRITERS},
    "agreements": {"read": EVERYONE, "write": WRITERS},
    "spending": {"read": EVERYONE, "write": WRITERS},
    "calendar-feed": {"read": EVERYONE, "write": EVERYONE},  # each account's own
}
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# Tokens whose signature has been checked, with their expiry: checking a signature costs more than the
# account lookup. Revocation does not depend on it: every request still reads the account.
_CHECKED_MAX = 4096
_checked: dict[tuple[str, str], tuple[TokenClaims, float]] = {}


def _claims(key: str, token: str, leeway_s: float) -> TokenClaims:
    """:func:`read_token`, remembered until the token expires."""
    found = _checked.get((key, token))
    if found is not None and time.time() < found[1]:
        return found[0]
    claims = read_token(key, token, leeway_s)  # InvalidToken when forged, damaged or expired
    expires = float(jwt.decode(token, options={"verify_signature": False})["exp"])
    if len(_checked) >= _CHECKED_MAX:
        _checked.clear()
    _checked[(key, token)] = (claims, expires)
    return claims


class TokenRefused(Exception):
    """A token that lets nobody in; the message says why, for the API's 401."""


def account_of(request: Request, session: Session, token: str) -> User:
    """The active account a token stands for, read afresh (so that revocation is immediate); the one
    check behind the API's bearer tokens and the dashboards' session cookie."""
    try:
        claims = _claims(request.app.state.secret_key, token, request.app.state.settings.token_leeway_s)
    except InvalidToken as exc:
        raise TokenRefused("The token is invalid or has expired; log in again.") from exc
    user = users_repository.get_account(session, claims.user_id)
    if user is None or not user.active or user.token_version != claims.token_version:
        raise TokenRefused("The token has been revoked; log in again.")
    return user


def current_user(
    request: Request, session: SessionDep, token: Annotated[str | None, Depends(bearer)]
) -> User:
    if not token:
        raise Unauthorized(f"Not authenticated: send a bearer token from POST {TOKEN_URL}.")
    try:
        return account_of(request, session, token)
    except TokenRefused as exc:
        raise Unauthorized(str(exc)) from exc


CurrentUser = Annotated[User, Depends(current_user)]


async def current_actor(user: CurrentUser) -> Actor:  # no I/O: runs on the event loop, not a thread
    assert user.id is not None
    return Actor(user_id=user.id, role=user.role, state=user.state)


CurrentActor = Annotated[Actor, Depends(current_actor)]


def authorize(resource: str) -> Callable[[Request, User], Awaitable[User]]:
    """A dependency that lets a request through when the user's role may read or write ``resource``."""
    rules = POLICY[resource]

    async def check(request: Request, user: CurrentUser) -> User:
        action = "read" if request.method in READ_METHODS else "write"
        if user.role not in rules.get(action, frozenset()):
            raise Forbidden(f"The {user.role} role may not {action} {resource}.")
        return user

    return check


def requires(resource: str) -> list[params.Depends]:
    """``dependencies=requires("projects")`` for a router or a route."""
    return [Depends(authorize(resource))]

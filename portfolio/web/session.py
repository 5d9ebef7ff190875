"""Who is at the keyboard: the session cookie shared by the staff pages and the dashboards, the roles'
write rights on pages, and the CSRF token every state-changing form carries.

The cookie holds the same signed token as the API's bearer header and is checked by the same
:func:`portfolio.auth.account_of`, so revoking an account (or logging out, which bumps its token
version) closes its pages and its API tokens at once, on every app host. It is HttpOnly and
SameSite=Strict; on top of that each form carries a token derived from the session (an HMAC of it
under the app's key), and a POST without the right one is refused with 403 before any route runs."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from portfolio.auth import POLICY, READ_METHODS, TokenRefused, account_of
from portfolio.db import SessionDep
from portfolio.errors import Forbidden
from portfolio.security import Actor
from portfolio.users.models import User

COOKIE = "portfolio_session"
LOGIN_CSRF_COOKIE = "portfolio_login_csrf"
CSRF_FIELD = "csrf_token"


class LoginRequired(Exception):
    """No valid session: the pages send the person to the login form, and back here after it."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


class CsrfRefused(Forbidden):
    title = "Not allowed"

    def __init__(self) -> None:
        super().__init__(
            "This form has expired or did not come from this site; open the page again and resubmit."
        )


def here(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def session_token(request: Request) -> str | None:
    token = request.cookies.get(COOKIE)
    header = request.headers.get("authorization", "")
    if not token and header.lower().startswith("bearer "):
        token = header[7:]
    return token or None


def account(request: Request, session: Session) -> User | None:
    """The logged-in account, or None; remembered on the request for the layout and the error pages."""
    if hasattr(request.state, "user"):
        return request.state.user  # type: ignore[no-any-return]
    token = session_token(request)
    user = None
    if token:
        try:
            user = account_of(request, session, token)
            session.expunge(user)  # a snapshot: a rollback must not expire what the error page shows
        except TokenRefused:
            user = None
    request.state.user = user
    return user


def page_user(request: Request, session: SessionDep) -> User:
    """The logged-in account; without one, off to the login form (and back here after it)."""
    user = account(request, session)
    if user is None:
        raise LoginRequired(here(request) if request.method in READ_METHODS else "/")
    return user


PageUser = Annotated[User, Depends(page_user)]


def actor_of(user: User) -> Actor:
    assert user.id is not None
    return Actor(user_id=user.id, role=user.role, state=user.state)


def may(user: User | None, resource: str, action: str = "write") -> bool:
    """Whether the role table (:data:`portfolio.auth.POLICY`) lets this account read or write ``resource``;
    the pages show a write control only when this is true."""
    return user is not None and user.role in POLICY[resource].get(action, frozenset())


def writer_of(resource: str) -> Callable[[User], User]:
    """A dependency: the logged-in account, when its role may write ``resource``; else a 403 page."""

    def check(user: PageUser) -> User:
        if not may(user, resource, "write"):
            raise Forbidden(f"The {user.role} role may not write {resource}.")
        return user

    return check


def csrf_token(request: Request) -> str:
    """The token a form of this session must carry (empty without a session)."""
    token = session_token(request)
    if not token:
        return request.cookies.get(LOGIN_CSRF_COOKIE, "")
    key = request.app.state.secret_key.encode()
    return hmac.new(key, b"csrf:" + token.encode(), hashlib.sha256).hexdigest()


def new_login_csrf() -> str:
    return secrets.token_urlsafe(32)


async def csrf_protect(request: Request) -> None:
    """Router dependency: every POST must carry this session's CSRF token (the login form: the token of
    its own cookie), else 403."""
    if request.method in READ_METHODS:
        return
    form = await request.form()  # Starlette keeps the parsed form for the route's own Form() fields
    sent = form.get(CSRF_FIELD)
    expected = csrf_token(request)
    if not isinstance(sent, str) or not expected or not hmac.compare_digest(sent, expected):
        raise CsrfRefused()

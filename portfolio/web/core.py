"""Logging in and out, and choosing the language: the front door shared by the staff pages and the
dashboards."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from portfolio.db import SessionDep
from portfolio.users import service as users_service
from portfolio.web.i18n import LANG_COOKIE, LOCALES, request_lang, translations
from portfolio.web.render import templates
from portfolio.web.session import (
    COOKIE,
    LOGIN_CSRF_COOKIE,
    PageUser,
    actor_of,
    csrf_protect,
    new_login_csrf,
)

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
YEAR = 365 * 24 * 3600


def safe_next(target: str) -> str:
    """Only a path of this site, for every return address a page takes (``next``, a Back link): one "/" then
    no second "/" or "\\", no scheme ("javascript:", "https://…" do not start with "/"), no backslash, and
    no control character or space (a browser drops the tab of "/<tab>/evil.example": "//evil.example").
    Anything else is "/": a link must never send anyone elsewhere."""
    if (
        not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or target.startswith("/api/")
        or any(not c.isprintable() or c.isspace() for c in target)
    ):
        return "/"
    return target


def _cookie_options(request: Request) -> dict[str, object]:
    return {"httponly": True, "samesite": "strict", "secure": request.url.scheme == "https", "path": "/"}


def login_page(
    request: Request, next_url: str, *, error: str = "", email: str = "", status_code: int = 200
) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or new_login_csrf()
    request.cookies[LOGIN_CSRF_COOKIE] = token  # so that the form below carries it
    response = templates.render(
        request,
        "layout/login.html",
        status_code,
        next=safe_next(next_url),
        error=error,
        email=email,
        user=None,
    )
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, **_cookie_options(request))  # type: ignore[arg-type]
    return response


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    request.state.user = None
    return login_page(request, next)


@router.post("/login")
async def login(
    request: Request,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    request.state.user = None
    state = request.app.state
    address = request.client.host if request.client is not None else ""
    result = await users_service.authenticate(
        state.db, state.settings, state.hasher, state.secret_key, email, password, address
    )
    _ = translations(request_lang(request)).gettext
    if result.token is None:
        if result.locked_for is not None:
            error, status = _("Too many failed logins; try again later."), 429
        else:
            error, status = _("Wrong e-mail or password."), 401
        return login_page(request, next, error=error, email=email, status_code=status)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(COOKIE, result.token, max_age=result.expires_in, **_cookie_options(request))  # type: ignore[arg-type]
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep, user: PageUser) -> Response:
    """Ends the session for good: the account's token version moves on, so the cookie (even a copy of it)
    and every token issued to the account before stop working, on every app host."""
    users_service.revoke_tokens(session, actor_of(user), user)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/language")
def language(request: Request, to: str = "en", next: str = "/") -> Response:
    """Switch the pages' language (kept in a cookie for a year) and go back where the person was."""
    response = RedirectResponse(safe_next(next), status_code=303)
    if to in LOCALES:
        response.set_cookie(LANG_COOKIE, to, max_age=YEAR, samesite="lax", path="/")
    return response

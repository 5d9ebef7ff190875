"""No error reaches a person as JSON or a stack trace: a request from the pages (anything outside the API,
the docs and the health check) gets an HTML page in its language for every status the API would answer
with a problem document, and for an unexpected failure."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from portfolio.errors import PROBLEM_JSON
from portfolio.web.i18n import request_lang, translations
from portfolio.web.render import templates
from portfolio.web.session import LoginRequired

log = logging.getLogger("portfolio")
NOT_PAGES = ("/api/", "/docs", "/redoc", "/openapi.json", "/healthz")
Handler = Callable[[Request, Any], Awaitable[Response]]


def is_page(request: Request) -> bool:
    path = request.url.path
    return not path.startswith(NOT_PAGES) and not path.endswith(".csv")


def titles(lang: str) -> dict[int, str]:
    _ = translations(lang).gettext
    return {
        400: _("This request could not be read"),
        401: _("Please log in"),
        403: _("Not allowed"),
        404: _("Not found"),
        405: _("Not allowed"),
        409: _("This conflicts with the record as it stands"),
        412: _("Changed meanwhile"),
        413: _("The file is too large"),
        415: _("This kind of file cannot be read"),
        422: _("Some values could not be accepted"),
        429: _("Too many attempts"),
        500: _("Something went wrong on our side"),
        503: _("The database is busy or unreachable"),
    }


def error_page(request: Request, status: int, detail: str = "") -> Response:
    lang = request_lang(request)
    _ = translations(lang).gettext
    advice = {
        404: _("The address may be mistyped, or the record was deleted."),
        500: _("The error has been logged. Try again; if it persists, tell the administrator."),
        503: _("Wait a moment and try again."),
    }
    return templates.render(
        request,
        "layout/error.html",
        status,
        title=titles(lang).get(status, _("Error")),
        detail=detail,
        advice=advice.get(status, ""),
        status=status,
        headers={"Retry-After": "2"} if status == 503 else None,
    )


def _html(original: Handler) -> Handler:
    """``original`` for the API; for the pages, the same status with its detail as an HTML page."""

    async def handler(request: Request, exc: Any) -> Response:
        response = await original(request, exc)
        if not is_page(request) or not response.headers.get("content-type", "").startswith(PROBLEM_JSON):
            return response
        detail = ""
        try:
            body = json.loads(bytes(response.body))
            detail = str(body.get("detail", "")) if isinstance(body, dict) else ""
        except (ValueError, AttributeError):
            detail = ""
        return error_page(request, response.status_code, detail)

    return handler


def install(app: FastAPI) -> None:
    """Wrap every problem-document handler the API installed, and add the pages' own."""
    for kind, original in list(app.exception_handlers.items()):
        if kind not in (500, Exception):
            app.add_exception_handler(kind, _html(original))  # type: ignore[arg-type]

    @app.exception_handler(LoginRequired)
    async def login_required(_request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={quote(exc.next_url)}", status_code=303)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        if is_page(request):
            return error_page(request, 500)
        return Response(
            json.dumps(
                {
                    "type": "/problems/internal",
                    "title": "Internal error",
                    "status": 500,
                    "detail": "An unexpected error occurred; it has been logged.",
                }
            ),
            status_code=500,
            media_type="application/problem+json",
        )

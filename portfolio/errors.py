"""Domain errors and their rendering as ``application/problem+json`` (RFC 9457).

Services raise the subclasses of :class:`AppError`; they know nothing of HTTP beyond the status
each kind maps to. :func:`install_handlers` renders every error, including FastAPI's own request
validation and unexpected database conditions, as one problem document shape.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from http import HTTPStatus
from typing import Any, NamedTuple

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError, StatementError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("portfolio")

PROBLEM_JSON = "application/problem+json"
Loc = tuple[str | int, ...]


class Amount(NamedTuple):
    """Money put in a message: a page writes it as its language writes that currency."""

    value: Decimal
    currency: str = "EUR"

    def __str__(self) -> str:
        return f"{format(self.value, 'f')} {self.currency}"


def _plain(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class Said(str):
    """A message a page can say in its own language: the English text (what the API answers), and the
    template it was made from with the values put in it (``%(name)s``), for a page to translate the
    template and write each value — an amount, a number, a date — as its language writes it.

    ``Said("%(received)s has already been received", received=Amount(Decimal("6000.00"), "EUR"))`` is
    "6000.00 EUR has already been received" to the API and "6 000,00 € ont déjà été versés" on a French page.
    The template is the catalogue's message id."""

    template: str
    params: Mapping[str, Any]

    def __new__(cls, template: str, /, **params: Any) -> Said:
        text = template % {k: _plain(v) for k, v in params.items()} if params else template
        said = super().__new__(cls, text)
        said.template = template
        said.params = params
        return said


@dataclass(frozen=True)
class FieldError:
    loc: Loc
    msg: str


class AppError(Exception):
    status: int = 400
    slug: str = "bad-request"
    title: str = "Bad request"

    def __init__(
        self, detail: str, *, errors: Sequence[FieldError] = (), headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors)
        self.headers = headers
        self.extensions: dict[str, Any] = {}  # more members of the problem document (RFC 9457 §3.2)


class Unauthorized(AppError):
    status = 401
    slug = "unauthorized"
    title = "Not authenticated"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(AppError):
    status = 403
    slug = "forbidden"
    title = "Not allowed"


class PreconditionFailed(AppError):
    status = 412
    slug = "precondition-failed"
    title = "Changed meanwhile"


class NotFound(AppError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(AppError):
    status = 409
    slug = "conflict"
    title = "Conflict"


class ValidationFailed(AppError):
    """A request that is well formed but names something invalid; ``errors`` say which field."""

    status = 422
    slug = "validation-error"
    title = "Invalid request"

    @classmethod
    def field(cls, loc: Loc, msg: str) -> ValidationFailed:
        return cls(f"{'.'.join(str(p) for p in loc)}: {msg}", errors=[FieldError(loc, msg)])


class ProblemFieldError(BaseModel):
    loc: list[str | int] = Field(description='Where the bad value is, e.g. ["body", "amount"].')
    msg: str = Field(description="What is wrong with it.")


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str = Field(description="A URI reference naming the kind of problem.")
    title: str = Field(description="A short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong in this occurrence.")
    errors: list[ProblemFieldError] | None = Field(
        default=None, description="On a 422: every bad field, with its location and a message."
    )


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries for the problem documents a route may return."""
    descriptions = {
        400: "Bad request",
        401: "No valid bearer token",
        403: "The account's role may not do this",
        412: "If-Match does not match the current version: reload and retry",
        429: "Too many failed logins: the account is locked for a while",
        404: "Not found",
        409: "Conflict with the current state of the resource",
        413: "The upload is larger than the configured limit",
        415: "The file is not a spreadsheet (CSV UTF-8 or XLSX)",
        422: "Invalid input; `errors` names each bad field",
        503: "Database unavailable or busy; retry shortly",
    }
    return {status: {"model": Problem, "description": descriptions[status]} for status in statuses}


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Declare every error response of an OpenAPI document as application/problem+json, as served."""
    ref = {"$ref": "#/components/schemas/Problem"}
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            # refuse_nul answers 400 before any route runs, so every operation may return it.
            responses.setdefault("400", {"description": "Bad request: the address contains a NUL character"})
            if "requestBody" in operation:  # portfolio.limits refuses a body over the limit before any route
                too_large = "The request body is larger than the limit (1 MB; an upload: its own)"
                responses.setdefault("413", {"description": too_large})
            for status, response in responses.items():
                if status.isdigit() and int(status) >= 400:
                    response["content"] = {PROBLEM_JSON: {"schema": ref}}
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Problem", Problem.model_json_schema(ref_template="#/components/schemas/{model}"))
    for name, definition in (
        Problem.model_json_schema(ref_template="#/components/schemas/{model}").get("$defs", {}).items()
    ):
        components.setdefault(name, definition)
    components["Problem"].pop("$defs", None)
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema


def problem(
    status: int,
    title: str,
    detail: str,
    slug: str,
    errors: Sequence[FieldError] | None = None,
    headers: dict[str, str] | None = None,
    extensions: dict[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = dict(extensions or {})
    body |= {"type": f"/problems/{slug}", "title": title, "status": status, "detail": detail}
    if errors is not None:
        body["errors"] = [{"loc": list(e.loc), "msg": e.msg} for e in errors]
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _clean_loc(loc: Sequence[Any]) -> Loc:
    # Pydantic adds the name of a discriminating type ("function-after[...]"); users want field names.
    return tuple(p for p in loc if isinstance(p, int) or not str(p).startswith(("function-", "constrained-")))


def _validation_message(err: dict[str, Any]) -> str:
    msg = str(err.get("msg", "invalid value"))
    return msg.removeprefix("Value error, ")


def install_handlers(app: FastAPI) -> None:
    @app.middleware("http")
    async def refuse_nul(request: Request, call_next: Any) -> Any:
        # No database stores a NUL character in text (PostgreSQL refuses it): say so before any route runs.
        if "%00" in request.url.path or "%00" in request.url.query or "\x00" in request.url.path:
            return problem(400, "Bad request", "The address contains a NUL character.", "bad-request")
        return await call_next(request)

    @app.exception_handler(AppError)
    async def app_error(_request: Request, exc: AppError) -> JSONResponse:
        headers = exc.headers or ({"Retry-After": "2"} if exc.status == 503 else None)
        errors = exc.errors if (exc.errors or exc.status == 422) else None
        return problem(exc.status, exc.title, exc.detail, exc.slug, errors, headers, exc.extensions)

    @app.exception_handler(RequestValidationError)
    async def request_validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [FieldError(_clean_loc(e.get("loc", ())), _validation_message(e)) for e in exc.errors()]
        detail = "; ".join(f"{'.'.join(str(p) for p in e.loc)}: {e.msg}" for e in errors)
        return problem(422, "Invalid request", detail, "validation-error", errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and isinstance(exc.__cause__, ValueError | RecursionError):
            # FastAPI could not read the JSON body: not UTF-8 (RFC 8259 requires it) or nested too deeply.
            msg = "not JSON text: it must be UTF-8, and nested at most a few hundred levels deep"
            return problem(
                422, "Invalid request", f"body: {msg}", "validation-error", [FieldError(("body",), msg)]
            )
        slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        return problem(
            exc.status_code,
            _reason(exc.status_code),
            str(exc.detail),
            slug,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(IntegrityError)
    async def integrity_error(_request: Request, exc: IntegrityError) -> JSONResponse:
        # Services check the rules first; this is a concurrent write that got there before us.
        log.warning("integrity error: %s", exc.orig)
        return problem(
            409, "Conflict", "The change conflicts with data stored meanwhile; reload and retry.", "conflict"
        )

    @app.exception_handler(DataError)
    async def data_error(_request: Request, exc: DataError) -> JSONResponse:
        # A value the database cannot hold: a NUL character in text, a number beyond a column's range.
        log.info("value refused by the database: %s", exc.orig)
        return problem(
            422,
            "Invalid request",
            "A value cannot be stored: a number out of range, or text with a NUL character.",
            "validation-error",
            [],
        )

    @app.exception_handler(OverflowError)
    async def overflow(_request: Request, exc: OverflowError) -> JSONResponse:
        return problem(422, "Invalid request", f"A value is out of range: {exc}", "validation-error", [])

    @app.exception_handler(StatementError)
    async def statement_error(request: Request, exc: StatementError) -> JSONResponse:
        if isinstance(exc.orig, OverflowError | ValueError):  # a parameter SQLAlchemy could not bind
            return problem(
                422, "Invalid request", f"A value is out of range: {exc.orig}", "validation-error", []
            )
        raise exc

    @app.exception_handler(OperationalError)
    async def operational_error(_request: Request, exc: OperationalError) -> JSONResponse:
        if not_computable(exc):
            log.error("a figure cannot be computed: %s", exc.orig)
            return problem(
                500,
                "A figure cannot be computed",
                f"A figure this request asks for cannot be computed ({exc.orig}); the database is up and "
                "every record is kept.",
                "figure-not-computable",
            )
        log.warning("database unavailable: %s", exc.orig)
        return _unavailable(exc)

    @app.exception_handler(PoolTimeoutError)
    async def pool_timeout(_request: Request, exc: PoolTimeoutError) -> JSONResponse:
        log.warning("database pool exhausted: %s", exc)
        return _unavailable(exc)


# SQLite reports arithmetic it cannot do (a 64-bit overflow) and a failing SQL function of the app's own as
# an OperationalError, as it does a locked or missing database: those are one figure, not the database.
_NOT_COMPUTABLE = ("integer overflow", "user-defined function raised", "user-defined aggregate")


def not_computable(exc: DBAPIError) -> bool:
    """True when the database answered but could not compute what was asked."""
    message = str(exc.orig).lower()
    return any(marker in message for marker in _NOT_COMPUTABLE)


def _unavailable(exc: DBAPIError | PoolTimeoutError) -> JSONResponse:
    busy = "locked" in str(exc) or "busy" in str(exc)
    detail = "The database is busy; retry shortly." if busy else "The database is unreachable; retry shortly."
    return problem(503, "Service unavailable", detail, "service-unavailable", headers={"Retry-After": "2"})


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"

"""The FastAPI application: routers, error handlers, start-up. Nothing else."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from dashboards import pages as dashboards
from dashboards import period as period_report
from portfolio import __version__, health, migrate
from portfolio.agreements.router import agreements_router
from portfolio.agreements.router import router as obligations_router
from portfolio.audit.router import router as audit_router
from portfolio.config import Settings, get_settings
from portfolio.db import Database
from portfolio.documents.router import router as documents_router
from portfolio.documents.service import too_large
from portfolio.errors import document_problems, install_handlers, problem
from portfolio.funding.router import pledges_router, rates_router
from portfolio.idempotency.middleware import IdempotencyKeys
from portfolio.idempotency.middleware import document as document_idempotency
from portfolio.interests.router import flows_router as interest_flows_router
from portfolio.interests.router import router as interests_router
from portfolio.limits import BodyLimit, NoStore
from portfolio.logs import redact_access_log
from portfolio.norms.router import router as norms_router
from portfolio.processes.router import follow_ups_router
from portfolio.processes.router import router as processes_router
from portfolio.projects.facts import LiveFacts
from portfolio.projects.router import lifecycle_router, measures_router
from portfolio.projects.router import router as projects_router
from portfolio.projects.router import trail_router as project_trail_router
from portfolio.proxies import TrustedProxies
from portfolio.reminders.router import feed_router as calendar_feed_router
from portfolio.reminders.router import me_router as calendar_feed_me_router
from portfolio.security import password_hasher, resolve_secret_key
from portfolio.spending.router import budget_router, expenditures_router
from portfolio.states.router import router as states_router
from portfolio.transfer.router import UploadLimit, exports_router, imports_router
from portfolio.users.router import auth_router, me_router, users_router
from portfolio.web import site as staff_pages

DESCRIPTION = """
Records the OSCE's assistance projects on small arms and light weapons (SALW) and stockpiles of
conventional ammunition (SCA), the extra-budgetary pledges that participating States and Partners
for Co-operation make to fund them, and the national management structures and procedures the
projects leave behind (Ministerial declaration on SALW and SCA, 2018, paragraphs 11–13).

* Money is exact: every amount is a decimal **string** (e.g. `"250000.00"`); the portfolio counts in euros.
* Errors are `application/problem+json` (RFC 9457); a 422 lists every bad field in `errors`.
* Lists are paged with `limit` (≤ 500) and `offset` and return `{items, total, limit, offset}`.
* Every call but `/healthz`, `/readyz` and the token endpoint needs a bearer token: **Authorize** above
  with an account's e-mail and password. Roles: admin, staff (read and write), manager (read), donor (reads;
  pledges of its own State only).
* Single records carry an `ETag` (their `version`); send it back as `If-Match` on PATCH or DELETE and a
  change made meanwhile by someone else gets 412 instead of being overwritten.
"""

TAGS = [
    {"name": "Projects", "description": "Assistance projects, their lifecycle, milestones and indicators."},
    {"name": "Pledges", "description": "Extra-budgetary pledges and the receipts against them."},
    {"name": "Exchange rates", "description": "Monthly euro rates that convert pledges and receipts."},
    {
        "name": "National processes",
        "description": "National structures and procedures built by projects, and the sustainability "
        "follow-up checks they get once operational.",
    },
    {
        "name": "Import and export",
        "description": "Spreadsheet templates and imports (with a dry run), CSV/XLSX exports, IATI 2.03.",
    },
    {"name": "States", "description": "OSCE participating States and Partners for Co-operation."},
    {"name": "Accounts", "description": "Logging in, and accounts (admin)."},
    {"name": "Audit trail", "description": "Who changed what, when, and what it was before."},
    {"name": "Health", "description": "Liveness (`/healthz`); readiness, database and schema (`/readyz`)."},
    {
        "name": "Interests",
        "description": "Donors' expressions of interest in projects seeking funding, and their conversion "
        "into pledges.",
    },
    {"name": "Norms", "description": "The OSCE Documents and Best Practice Guides projects implement."},
    {
        "name": "Documents",
        "description": "Files attached to projects, agreements, obligations, national processes and "
        "indicators, kept in the database and checked against their SHA-256 on every download.",
    },
]


# The API, domain by domain, in the order the OpenAPI document lists it.
ROUTERS = (
    auth_router,
    me_router,
    users_router,
    projects_router,
    lifecycle_router,
    pledges_router,
    rates_router,
    processes_router,
    follow_ups_router,
    states_router,
    audit_router,
    project_trail_router,
    imports_router,
    exports_router,
    measures_router,
    interests_router,
    interest_flows_router,
    norms_router,
    documents_router,
    agreements_router,
    obligations_router,
    calendar_feed_me_router,
    calendar_feed_router,
    budget_router,
    expenditures_router,
)


def _limit_requests(app: FastAPI) -> None:
    """The middleware that bounds what a request may send before any route reads it."""
    # A calendar feed's token is in its URL: it never reaches the access log.
    redact_access_log()
    # Inside the body limits: a POST with an Idempotency-Key is read whole only once they let it through.
    app.add_middleware(IdempotencyKeys, state=lambda: app.state)
    # Every request's body is bounded before any route reads it; the uploads' own limits stand in front.
    app.add_middleware(BodyLimit, settings=lambda: app.state.settings)
    app.add_middleware(UploadLimit, limit=lambda: app.state.settings.import_max_bytes)
    app.add_middleware(
        UploadLimit,
        limit=lambda: app.state.settings.document_max_bytes,
        paths=("/api/v1/documents",),
        refusal=lambda _scope, limit: problem(413, "File too large", too_large(limit), "payload-too-large"),
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.migrate_on_start:
            migrate.upgrade(settings.database_url)
        yield
        app.state.db.dispose()

    # The API docs page serves Swagger UI from the package, not a CDN: OSCE networks are often closed.
    app = FastAPIOffline(
        title="OSCE SALW/SCA assistance portfolio",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
    )
    app.state.db = Database(settings.database_url, settings)
    app.state.settings = settings
    app.state.facts = LiveFacts  # what the rules are checked against (portfolio.facts)
    app.state.secret_key = resolve_secret_key(settings)
    app.state.hasher = password_hasher(settings)
    install_handlers(app)
    _limit_requests(app)
    health.install(app)
    for router in ROUTERS:
        app.include_router(router)
    dashboards.install(app)
    period_report.install(app)
    staff_pages.install(app)  # after every other handler: it wraps them with HTML pages
    # Outside every other middleware: what trusted proxies say of the original request is believed first.
    app.add_middleware(TrustedProxies, proxies=lambda: app.state.settings.trusted_proxies)
    app.add_middleware(NoStore)  # outermost: every answer to a signed-in request, even a 413

    generate_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document_problems(document_idempotency(generate_openapi()))
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]

    return app

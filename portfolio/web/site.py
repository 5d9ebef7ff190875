"""Puts the staff pages and their foundation into the application: the routers, the static files, and
the HTML error pages."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from portfolio.web import (
    account,
    accounts,
    agreements,
    core,
    documents,
    errors,
    funding,
    home,
    imports,
    interests,
    norms,
    processes,
    project_delete,
    project_forms,
    projects,
    spending,
)

HERE = Path(__file__).parent
# project_forms before projects: /projects/new is a form, not a project's page.
ROUTERS = (
    core.router,
    account.router,
    home.router,
    project_forms.router,
    project_delete.router,
    projects.router,
    funding.router,
    spending.router,
    processes.router,
    imports.router,
    accounts.router,
    interests.router,
    norms.router,
    agreements.router,
    documents.router,
)


def install(app: FastAPI) -> None:
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    errors.install(app)
    imports.install(app)

"""Liveness and readiness: what a load balancer and an orchestrator ask of each process."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from portfolio import migrate
from portfolio.db import Database
from portfolio.errors import PROBLEM_JSON, problem

router = APIRouter(tags=["Health"])


def install(app: FastAPI) -> None:
    """The two checks as the application's first routes, matched before any other router is consulted: a
    load balancer's check is answered without the application's routing being built or walked first."""
    app.router.routes[:0] = router.routes


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> JSONResponse:
    """Answered on the event loop, touching neither the database nor the thread pool, so that it answers
    at once however busy the requests are: what a load balancer's health check should call."""
    return JSONResponse({"status": "ok"})


@router.get(
    "/readyz",
    summary="Readiness: database reachable and schema revision",
    responses={503: {"description": "Database unreachable, or migrations pending"}},
)
def readyz(request: Request) -> JSONResponse:
    db: Database = request.app.state.db
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        revision = migrate.current_revision(db.engine)
    except Exception as exc:
        return problem(
            503,
            "Service unavailable",
            f"database unreachable: {type(exc).__name__}",
            "service-unavailable",
            headers={"Retry-After": "2"},
        )
    head = migrate.head_revision()
    body = {
        "status": "ok" if revision == head else "migrations pending",
        "database": db.dialect,
        "revision": revision,
        "head": head,
    }
    if revision != head:
        problem_body = {
            "type": "/problems/service-unavailable",
            "title": "Service unavailable",
            "status": 503,
            "detail": f"migrations pending: the database is at {revision}, the code at {head}",
            **{key: value for key, value in body.items() if key != "status"},
        }
        return JSONResponse(
            problem_body, status_code=503, media_type=PROBLEM_JSON, headers={"Retry-After": "2"}
        )
    return JSONResponse(body)

"""The floor under ``GET /api/v1/projects/{id}``: a bare FastAPI route that returns a constant body.

The body is the real project detail response, read from the file named by ``BENCH_BARE_BODY_FILE``, so
that both servers send the same bytes. The route is a plain ``def`` with an ``int`` path parameter, as
the app's is (FastAPI runs it in the same thread pool); there is no database, no authentication and no
response model. Served by the same uvicorn command line as the app (see :mod:`benchmarks.server`)."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI, Response

BODY_ENV = "BENCH_BARE_BODY_FILE"


def create_app() -> FastAPI:
    body = Path(os.environ[BODY_ENV]).read_bytes()
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/api/v1/projects/{project_id}")
    def project(project_id: int) -> Response:
        return Response(body, media_type="application/json", headers={"ETag": '"1"'})

    @app.get("/healthz")
    def healthz() -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    return app

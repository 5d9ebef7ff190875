"""Latency cases: a page through the real server against the same SQL through the bare driver.

Requests are sequential (one client, keep-alive), a warm-up first, then app request and bare SQL run
alternately so that both see the same background load; the medians are compared."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import tempfile
import time
from contextlib import closing
from functools import partial
from typing import Any

import httpx

from benchmarks import capture
from benchmarks.capture import Statement
from benchmarks.common import Config, Result, console, interleaved, median, repeated, spread
from benchmarks.databases import DatabaseHandle, Datasets
from benchmarks.server import APP, Server, bearer_token, dashboard_cookie, server_env

LIST_PATH = "/api/v1/projects?sort=-gap_eur&limit=50"
FUNDING_PATH = "/dashboards/funding"
REGISTER_PATH = "/projects"
REQUEST_TIMEOUT_S = 600.0
CURVE_POINTS = (1_000, 10_000, 100_000, 1_000_000)


def _getter(client: httpx.Client, path: str, headers: dict[str, str]) -> Any:
    def get() -> None:
        response = client.get(path, headers=headers, follow_redirects=False)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path}: {response.status_code} {response.text[:200]}")
        response.read()

    return get


def statement_breakdown(conn: Any, statements: list[Statement], runs: int = 5) -> list[dict[str, Any]]:
    """Each statement alone through the bare driver: its median time and how many rows it returns."""
    out = []
    for statement in statements:
        rows = capture.run(conn, [statement])
        samples = repeated(partial(capture.run, conn, [statement]), warmup=0, repeat=runs, budget_s=10)
        out.append({"sql": statement.short(160), "rows": rows, "median_s": median(samples)})
    return out


def list_case(cfg: Config, handle: DatabaseHandle, server: Server) -> Result:
    """``GET /api/v1/projects?sort=-gap_eur&limit=50`` against the one query that computes that page."""
    case = "GET /api/v1/projects?sort=-gap_eur&limit=50"
    statements, size = capture.request_sql(handle, LIST_PATH, dashboard=False)
    paged = [s for s in statements if " LIMIT " in s.sql.upper()]
    if len(paged) != 1:
        raise RuntimeError(f"expected one LIMIT query among the page's {len(statements)} queries")
    rows_query = paged[0]
    with (
        httpx.Client(base_url=server.base_url, timeout=REQUEST_TIMEOUT_S) as client,
        closing(handle.bare()) as conn,
    ):
        get = _getter(client, LIST_PATH, bearer_token(client))
        app, bare = interleaved(
            get,
            lambda: capture.run(conn, [rows_query]),
            warmup=cfg.warmup,
            repeat=cfg.repeat,
            budget_s=cfg.latency_budget_s,
        )
        breakdown = statement_breakdown(conn, statements)
    return Result(
        case,
        handle.dialect,
        "s",
        median(app),
        median(bare),
        "<=",
        2.0,
        note=f"{handle.projects:,} projects / {handle.pledges:,} pledges",
        details={
            "app": spread(app),
            "bare_sql": spread(bare),
            "baseline_sql": rows_query.sql,
            "response_bytes": size,
            "queries_per_request": len(statements),
            "each_query_bare": breakdown,
        },
    )


def funding_case(cfg: Config, handle: DatabaseHandle, server: Server) -> Result:
    """``/dashboards/funding`` against every query it sends, run through the bare driver."""
    statements, size = capture.request_sql(handle, FUNDING_PATH, dashboard=True)
    with (
        httpx.Client(base_url=server.base_url, timeout=REQUEST_TIMEOUT_S) as client,
        closing(handle.bare()) as conn,
    ):
        get = _getter(client, FUNDING_PATH, dashboard_cookie(client))
        app, bare = interleaved(
            get,
            lambda: capture.run(conn, statements),
            warmup=cfg.warmup,
            repeat=cfg.repeat,
            budget_s=cfg.latency_budget_s,
        )
        breakdown = statement_breakdown(conn, statements, runs=3)
    return Result(
        "GET /dashboards/funding",
        handle.dialect,
        "s",
        median(app),
        median(bare),
        "<=",
        3.0,
        note=f"{handle.projects:,} projects / {handle.pledges:,} pledges; {len(statements)} queries",
        details={
            "app": spread(app),
            "bare_sql": spread(bare),
            "response_bytes": size,
            "queries_per_request": len(statements),
            "each_query_bare": breakdown,
        },
    )


def register_case(cfg: Config, handle: DatabaseHandle, server: Server) -> Result:
    """The staff pages' project register (``GET /projects``: the first 50 projects by code, with their
    funding and progress, the count and the States of the filter form) against every query it sends,
    run through the bare driver."""
    statements, size = capture.request_sql(handle, REGISTER_PATH, dashboard=True)
    with (
        httpx.Client(base_url=server.base_url, timeout=REQUEST_TIMEOUT_S) as client,
        closing(handle.bare()) as conn,
    ):
        get = _getter(client, REGISTER_PATH, dashboard_cookie(client))
        app, bare = interleaved(
            get,
            lambda: capture.run(conn, statements),
            warmup=cfg.warmup,
            repeat=cfg.repeat,
            budget_s=cfg.latency_budget_s,
        )
        breakdown = statement_breakdown(conn, statements)
    return Result(
        f"GET /projects (register) at {handle.projects:,} projects",
        handle.dialect,
        "s",
        median(app),
        median(bare),
        "<=",
        2.0,
        note=f"{handle.projects:,} projects / {handle.pledges:,} pledges; {len(statements)} queries",
        details={
            "app": spread(app),
            "bare_sql": spread(bare),
            "response_bytes": size,
            "queries_per_request": len(statements),
            "each_query_bare": breakdown,
        },
    )


def curve_points(cfg: Config) -> list[int]:
    points = [p for p in CURVE_POINTS if p <= cfg.curve_max]
    return points or [min(CURVE_POINTS)]


def curve_case(cfg: Config, datasets: Datasets, log_dir: Any, keep: set[tuple[int, int]]) -> list[Result]:
    """The funding page at 1k, 10k, 100k, 1M pledges (projects = pledges / 10): median and time per pledge.

    Each point is compared with the one before it: from ×10 the pledges, linear growth is ×10 the time."""
    dialect = datasets.backend.name
    points: list[dict[str, Any]] = []
    results: list[Result] = []
    for pledges in curve_points(cfg):
        projects = max(pledges // 10, 1)
        handle = datasets.get(projects, pledges)
        try:
            statements, size = capture.request_sql(handle, FUNDING_PATH, dashboard=True)
            env = server_env(handle.url)
            with (
                Server(APP, env, log_dir / f"server-{dialect}-curve-{pledges}.log") as server,
                httpx.Client(base_url=server.base_url, timeout=REQUEST_TIMEOUT_S) as client,
                closing(handle.bare()) as conn,
            ):
                get = _getter(client, FUNDING_PATH, dashboard_cookie(client))
                started = time.perf_counter()
                app, bare = interleaved(
                    get,
                    partial(capture.run, conn, statements),
                    warmup=1 if pledges >= 1_000_000 else cfg.warmup,
                    repeat=cfg.repeat,
                    budget_s=cfg.latency_budget_s,
                )
                console.print(
                    f"  [{dialect}] funding page at {pledges:,} pledges: {median(app) * 1000:,.1f} ms "
                    f"(n={len(app)}, {time.perf_counter() - started:.0f} s)"
                )
        finally:
            if (projects, pledges) not in keep:
                datasets.release(handle)
        point: dict[str, Any] = {
            "pledges": pledges,
            "projects": projects,
            "median_s": median(app),
            "bare_sql_median_s": median(bare),
            "us_per_pledge": median(app) / pledges * 1e6,
            "response_bytes": size,
            "app": spread(app),
            "generated_s": handle.generated_s,
        }
        if points:
            before = points[-1]
            growth = point["median_s"] / before["median_s"]
            size_ratio = pledges / before["pledges"]
            point["exponent"] = math.log(growth) / math.log(size_ratio)
            point["bare_sql_growth"] = point["bare_sql_median_s"] / before["bare_sql_median_s"]
            results.append(
                Result(
                    f"funding page curve, {before['pledges']:,} → {pledges:,} pledges",
                    dialect,
                    "s",
                    point["median_s"],
                    before["median_s"],
                    "<=",
                    size_ratio,
                    note=f"{point['us_per_pledge']:.2f} µs/pledge; exponent {point['exponent']:.2f} "
                    f"(1 = linear); its SQL alone ×{point['bare_sql_growth']:.1f}",
                    details=point,
                )
            )
        else:
            results.append(
                Result(
                    f"funding page curve, {pledges:,} pledges",
                    dialect,
                    "s",
                    point["median_s"],
                    None,
                    None,
                    None,
                    note=f"{point['us_per_pledge']:.2f} µs/pledge (curve start)",
                    details=point,
                )
            )
        points.append(point)
    return results


# -- the period report and the donor's statement ------------------------------------------------------


def period_path(suffix: str = "") -> str:
    """The period report over the two years a biennial meeting looks back on (last 1 January to today)."""
    from dashboards.period import default_period

    start, end = default_period()
    return f"/reports/period{suffix}?from={start.isoformat()}&to={end.isoformat()}"


def largest_donor(handle: DatabaseHandle) -> str:
    """The State with the most euros pledged: the longest statement there is."""
    with closing(handle.bare()) as conn:
        row = conn.execute(
            "SELECT donor FROM pledge GROUP BY donor ORDER BY SUM(amount_eur) DESC, donor LIMIT 1"
        ).fetchone()
    if row is None:
        raise RuntimeError("the portfolio has no pledges")
    return str(row[0])


def statement_path(code: str, suffix: str = "") -> str:
    """The donor's statement over its default period (last 1 January to today)."""
    from dashboards.statement import default_period

    period = default_period()
    return f"/dashboards/donors/{code}{suffix}?from={period.start.isoformat()}&to={period.end.isoformat()}"


def pdf_pages(content: bytes) -> int:
    """A PDF's page count, as poppler's ``pdfinfo`` reads it (0 when poppler-utils is not installed): the
    page objects sit in compressed object streams, out of reach of a byte search."""
    pdfinfo = shutil.which("pdfinfo")
    if pdfinfo is None:
        return 0
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(content)
        f.flush()
        out = subprocess.run(  # noqa: S603 - poppler's own tool on our own file
            [pdfinfo, f.name], capture_output=True, text=True, check=False
        ).stdout
    found = re.search(r"^Pages:\s+(\d+)", out, re.MULTILINE)
    return int(found.group(1)) if found else 0


def _page_and_pdf(
    cfg: Config,
    handle: DatabaseHandle,
    server: Server,
    *,
    name: str,
    path: str,
    pdf_path: str,
    pdf_name: str,
) -> list[Result]:
    """A report's page against every query it sends, run through the bare driver (target ≤ 3×); and the
    time to render its A4 PDF (the same queries plus the charts and WeasyPrint's layout), with its size
    and page count."""
    statements, size = capture.request_sql(handle, path, dashboard=True)
    with (
        httpx.Client(base_url=server.base_url, timeout=REQUEST_TIMEOUT_S) as client,
        closing(handle.bare()) as conn,
    ):
        cookie = dashboard_cookie(client)
        app, bare = interleaved(
            _getter(client, path, cookie),
            lambda: capture.run(conn, statements),
            warmup=cfg.warmup,
            repeat=cfg.repeat,
            budget_s=cfg.latency_budget_s,
        )
        breakdown = statement_breakdown(conn, statements, runs=3)
        pdf: dict[str, Any] = {}

        def get_pdf() -> None:
            response = client.get(pdf_path, headers=cookie)
            if response.status_code != 200:
                raise RuntimeError(f"GET {pdf_path}: {response.status_code} {response.text[:200]}")
            pdf["bytes"] = len(response.content)
            pdf["pages"] = pdf_pages(response.content)

        pdf_samples = repeated(
            get_pdf, warmup=1, repeat=max(3, cfg.repeat // 4), budget_s=cfg.latency_budget_s
        )
    note = f"{handle.projects:,} projects / {handle.pledges:,} pledges; {len(statements)} queries"
    return [
        Result(
            name,
            handle.dialect,
            "s",
            median(app),
            median(bare),
            "<=",
            3.0,
            note=note,
            details={
                "path": path,
                "app": spread(app),
                "bare_sql": spread(bare),
                "response_bytes": size,
                "queries_per_request": len(statements),
                "each_query_bare": breakdown,
            },
        ),
        Result(
            pdf_name,
            handle.dialect,
            "s",
            median(pdf_samples),
            median(app),
            None,
            None,
            note=f"{note}; {pdf.get('pages', 0)} A4 pages, {pdf.get('bytes', 0) / 1e6:.1f} MB; "
            "baseline: the page; target < 10 s",
            details={"path": pdf_path, "pdf": spread(pdf_samples), **pdf},
        ),
    ]


def period_case(cfg: Config, handle: DatabaseHandle, server: Server) -> list[Result]:
    """``/reports/period`` over two years, and its French PDF (``/reports/period.pdf``)."""
    return _page_and_pdf(
        cfg,
        handle,
        server,
        name="GET /reports/period (two years)",
        path=period_path(),
        pdf_path=period_path(".pdf") + "&lang=fr",
        pdf_name="GET /reports/period.pdf (French, two years)",
    )


def statement_case(cfg: Config, handle: DatabaseHandle, server: Server) -> list[Result]:
    """The largest donor's statement (``/dashboards/donors/{code}``) over its default period, and its
    French PDF."""
    code = largest_donor(handle)
    return _page_and_pdf(
        cfg,
        handle,
        server,
        name=f"GET /dashboards/donors/{code} (largest donor)",
        path=statement_path(code),
        pdf_path=statement_path(code, ".pdf") + "&lang=fr",
        pdf_name=f"GET /dashboards/donors/{code}.pdf (French)",
    )

"""Throughput: ``GET /api/v1/projects/{id}``, authenticated, from 16 concurrent clients, against a bare
FastAPI route that returns the same bytes, both served by the same uvicorn command line, one worker.

The windows alternate (app, bare, app, bare …) so that both see the same background load. Besides
requests per second, the servers' own CPU time per request is reported: the client runs on the same
machine, and when the bare server is faster than the client can ask, req/s understates the gap while
CPU per request does not."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx

from benchmarks import capture
from benchmarks.common import Config, Result, console
from benchmarks.databases import DatabaseHandle
from benchmarks.latency import statement_breakdown
from benchmarks.server import BARE_APP, Server, bearer_token, server_env

ROUNDS = 2


def _run(coroutine: Coroutine[Any, Any, dict[str, Any]]) -> dict[str, Any]:
    """The client on uvloop, as the servers are (uvicorn[standard]): some 15 % more requests per CPU."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


async def _hammer(
    base_url: str, path: str, headers: dict[str, str], seconds: float, concurrency: int
) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    ok = errors = 0
    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60.0) as client:
        loop = asyncio.get_running_loop()
        stop_at = loop.time() + seconds

        async def worker() -> None:
            nonlocal ok, errors
            while loop.time() < stop_at:
                sent = loop.time()
                response = await client.get(path, headers=headers)
                latencies.append(loop.time() - sent)
                if response.status_code == 200:
                    ok += 1
                else:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "ok": ok,
        "errors": errors,
        "seconds": elapsed,
        "p50_s": latencies[len(latencies) // 2] if latencies else None,
        "p99_s": latencies[int(len(latencies) * 0.99)] if latencies else None,
    }


def _window(
    server: Server, path: str, headers: dict[str, str], seconds: float, concurrency: int
) -> dict[str, Any]:
    cpu = server.cpu_seconds()
    out = _run(_hammer(server.base_url, path, headers, seconds, concurrency))
    out["server_cpu_s"] = server.cpu_seconds() - cpu
    return out


def _total(windows: list[dict[str, Any]]) -> dict[str, Any]:
    ok = sum(w["ok"] for w in windows)
    seconds = sum(w["seconds"] for w in windows)
    cpu = sum(w["server_cpu_s"] for w in windows)
    return {
        "requests": ok,
        "errors": sum(w["errors"] for w in windows),
        "seconds": seconds,
        "req_per_s": ok / seconds if seconds else 0.0,
        "server_cpu_ms_per_request": cpu / ok * 1000 if ok else None,
        "server_cpu_share": cpu / seconds if seconds else None,
        "windows": windows,
    }


def throughput_case(cfg: Config, handle: DatabaseHandle, server: Server, work_dir: Path) -> Result:
    with httpx.Client(base_url=server.base_url, timeout=60.0) as client:
        headers = bearer_token(client)
        first = client.get("/api/v1/projects?sort=-gap_eur&limit=1", headers=headers).json()["items"][0]["id"]
        path = f"/api/v1/projects/{first}"
        real = client.get(path, headers=headers)
        real.raise_for_status()
    statements, _ = capture.request_sql(handle, path, dashboard=False)
    with closing(handle.bare()) as conn:
        own_sql = statement_breakdown(conn, statements)
    body_file = work_dir / f"bare-body-{handle.dialect}.json"
    body_file.write_bytes(real.content)
    env = server_env(handle.url, {"BENCH_BARE_BODY_FILE": str(body_file)})
    seconds = cfg.throughput_seconds / ROUNDS
    warm = min(2.0, seconds / 2)
    with Server(BARE_APP, env, work_dir / f"server-{handle.dialect}-bare.log") as bare:
        with httpx.Client(base_url=bare.base_url) as client:
            same = client.get(path).content
        if len(same) != len(real.content):
            raise RuntimeError(f"the bare body is {len(same)} bytes, the real one {len(real.content)}")
        _window(server, path, headers, warm, cfg.concurrency)
        _window(bare, path, headers, warm, cfg.concurrency)
        app_windows: list[dict[str, Any]] = []
        bare_windows: list[dict[str, Any]] = []
        for _ in range(ROUNDS):
            app_windows.append(_window(server, path, headers, seconds, cfg.concurrency))
            bare_windows.append(_window(bare, path, headers, seconds, cfg.concurrency))
    app, floor = _total(app_windows), _total(bare_windows)
    console.print(
        f"  [{handle.dialect}] {path}: app {app['req_per_s']:,.0f} req/s, "
        f"bare {floor['req_per_s']:,.0f} req/s"
    )
    cpu_app, cpu_bare = app["server_cpu_ms_per_request"], floor["server_cpu_ms_per_request"]
    cpu_note = f"; server CPU {cpu_app:.2f} vs {cpu_bare:.2f} ms/req" if cpu_app and cpu_bare else ""
    return Result(
        f"GET /api/v1/projects/{{id}} req/s, {cfg.concurrency} clients, 1 worker",
        handle.dialect,
        "req/s",
        app["req_per_s"],
        floor["req_per_s"],
        ">=",
        0.6,
        note=f"{len(real.content)} B body, {cfg.throughput_seconds:g} s each{cpu_note}",
        details={
            "path": path,
            "response_bytes": len(real.content),
            "app": app,
            "bare_route": floor,
            "queries_per_request": len(statements),
            "each_query_bare": own_sql,
        },
    )

"""Where a request's time goes: ``python -m benchmarks.profile DATABASE_URL PATH [--n 50]``.

The app (``create_app``) is driven in-process through ``httpx.ASGITransport`` with the thread pool
replaced by a direct call, so that the whole request — routing, dependencies, authentication, queries,
ORM, serialisation — runs in one thread and ``cProfile`` sees all of it. The database must hold the sample
accounts (``portfolio demo-data --synthetic …`` makes a portfolio with them). Prints the functions by
own time and by cumulative time; ``--out FILE`` keeps the raw stats for ``snakeviz``/``pstats``."""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import time
from pathlib import Path
from typing import Any

import anyio.to_thread
import httpx

from benchmarks.common import PASSWORD, STAFF, median
from benchmarks.databases import settings_for


async def _inline(func: Any, *args: Any, **_kwargs: Any) -> Any:
    return func(*args)


async def _drive(url: str, path: str, n: int, profiler: cProfile.Profile) -> list[float]:
    from portfolio.main import create_app

    app = create_app(settings_for(url))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        if path.startswith("/dashboards"):
            login = await client.post("/dashboards/login", data={"email": STAFF, "password": PASSWORD})
            headers = {"Cookie": f"portfolio_session={login.cookies['portfolio_session']}"}
        else:
            token = await client.post("/api/v1/auth/token", data={"username": STAFF, "password": PASSWORD})
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        for _ in range(3):
            (await client.get(path, headers=headers)).raise_for_status()
        samples = []
        for _ in range(n):
            started = time.perf_counter()
            profiler.enable()
            response = await client.get(path, headers=headers)
            profiler.disable()
            samples.append(time.perf_counter() - started)
            response.raise_for_status()
    app.state.db.dispose()
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile", description=__doc__)
    parser.add_argument("database_url")
    parser.add_argument("path", help="e.g. /api/v1/projects/1 or /dashboards/funding")
    parser.add_argument("--n", type=int, default=50, help="profiled requests (default 50)")
    parser.add_argument("--top", type=int, default=30, help="functions listed (default 30)")
    parser.add_argument("--out", type=Path, help="write the raw stats here")
    args = parser.parse_args(argv)
    anyio.to_thread.run_sync = _inline  # type: ignore[assignment]
    profiler = cProfile.Profile()
    samples = asyncio.run(_drive(args.database_url, args.path, args.n, profiler))
    print(f"{args.path}: median {median(samples) * 1000:.2f} ms under the profiler, n={len(samples)}")
    for order in ("tottime", "cumulative"):
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).strip_dirs().sort_stats(order).print_stats(args.top)
        print(text.getvalue())
    if args.out is not None:
        profiler.dump_stats(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

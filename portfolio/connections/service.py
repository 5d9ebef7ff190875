"""The sizing rule: hosts × workers × 2 × PORTFOLIO_DB_POOL_SIZE + reserve ≤ max_connections.

Each worker keeps a pool of ``db_pool_size`` connections and may open as many again under load (the
overflow), so a worker may hold twice the pool size. A host starting ``workers`` of them needs that many
times two times the pool size free on the server, beside what the other hosts (and anything else) hold
already and the connections the server keeps for superusers.
"""

from __future__ import annotations

from sqlalchemy import Engine

from portfolio.connections.repository import ServerConnections, server_connections


def share(workers: int, pool_size: int) -> int:
    """The most connections ``workers`` worker processes may open: each its pool and as many again."""
    return workers * 2 * pool_size


def shortfall(found: ServerConnections, workers: int, pool_size: int) -> str | None:
    """Why the workers' share cannot fit in what the server has left, or None when it can."""
    wanted = share(workers, pool_size)
    left = found.max_connections - found.reserved - found.in_use
    if wanted <= left:
        return None
    return (
        f"warning: {workers} worker(s) × 2 × PORTFOLIO_DB_POOL_SIZE={pool_size} may open {wanted} PostgreSQL "
        f"connections, but the server allows {found.max_connections} (max_connections), keeps "
        f"{found.reserved} for superusers and has {found.in_use} in use: only {max(left, 0)} are left. "
        "Under load, requests would fail to connect. Lower PORTFOLIO_DB_POOL_SIZE or --workers, or raise "
        "max_connections: hosts × workers × 2 × PORTFOLIO_DB_POOL_SIZE + reserve ≤ max_connections."
    )


def check(engine: Engine, workers: int, pool_size: int) -> str | None:
    """:func:`shortfall` on the server ``engine`` connects to (PostgreSQL only: None for other databases)."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:
        found = server_connections(conn)
    # This check's own connection is closed before the workers start.
    return shortfall(
        ServerConnections(found.max_connections, found.reserved, found.in_use - 1), workers, pool_size
    )

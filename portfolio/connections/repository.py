"""What the PostgreSQL server says of its connections."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text


@dataclass(frozen=True)
class ServerConnections:
    max_connections: int
    reserved: (
        int  # kept for superusers (and, from PostgreSQL 16, for roles granted pg_use_reserved_connections)
    )
    in_use: int  # client connections open now, on every database of the server, this one included


def server_connections(conn: Connection) -> ServerConnections:
    def setting(name: str) -> int:
        value = conn.execute(
            text("SELECT setting FROM pg_settings WHERE name = :name"), {"name": name}
        ).scalar_one_or_none()
        return int(value) if value is not None else 0

    in_use = conn.execute(
        text("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'")
    ).scalar_one()
    return ServerConnections(
        max_connections=setting("max_connections"),
        reserved=setting("superuser_reserved_connections") + setting("reserved_connections"),
        in_use=int(in_use),
    )

"""Optimistic concurrency: every mutable record has a ``version``, sent as its ETag; a write that
carries ``If-Match`` only goes through while the record is still at that version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Response

from portfolio.errors import PreconditionFailed


@dataclass(frozen=True)
class Precondition:
    """The versions a write expects (None: no If-Match, or ``*``: any)."""

    versions: frozenset[str] | None = None

    def check(self, version: int, what: str) -> None:
        if self.versions is not None and str(version) not in self.versions:
            raise PreconditionFailed(
                f"{what} is at version {version}, not the one in If-Match; "
                "reload it and apply your change again."
            )


ANY = Precondition()


def parse_if_match(header: str | None) -> Precondition:
    if header is None or header.strip() == "*":
        return ANY
    tags = set()
    for part in header.split(","):
        tag = part.strip().removeprefix("W/").strip('"')
        tags.add(tag)
    return Precondition(frozenset(tags))


def if_match(
    if_match: Annotated[
        str | None,
        Header(description='The ETag of the version you edited, e.g. "3"; a stale one gets 412.'),
    ] = None,
) -> Precondition:
    return parse_if_match(if_match)


IfMatch = Annotated[Precondition, Depends(if_match)]


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = f'"{version}"'

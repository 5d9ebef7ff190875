"""The calendar feeds: an account makes (or remakes) and revokes its own; the feed itself is read with its
token alone, since calendar clients cannot log in."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from sqlalchemy.exc import OperationalError

from portfolio.auth import CurrentActor, requires
from portfolio.db import Database, SessionDep
from portfolio.errors import problem_responses
from portfolio.reminders import service
from portfolio.reminders.schemas import CalendarFeedRead

me_router = APIRouter(prefix="/api/v1/users/me", tags=["Accounts"], dependencies=requires("calendar-feed"))
feed_router = APIRouter(prefix="/api/v1", tags=["Calendar"])
log = logging.getLogger("portfolio")


@me_router.post(
    "/calendar-feed",
    status_code=status.HTTP_201_CREATED,
    summary="Make a calendar feed URL for your account (revokes the one before)",
    description=(
        "The URL serves, as an iCalendar (RFC 5545) feed for Outlook, Thunderbird or any calendar client, "
        "every reporting obligation and every open milestone your account may see, as all-day events (a "
        "donor account: its own State's obligations and the milestones of projects it funds). The token "
        "in it is shown this once; making a new feed revokes the old URL."
    ),
    responses=problem_responses(401, 503),
)
def create_calendar_feed(request: Request, session: SessionDep, actor: CurrentActor) -> CalendarFeedRead:
    token = service.issue_feed(session, actor)
    url = str(request.url_for("calendar_feed").include_query_params(token=token))
    return CalendarFeedRead(url=url, token=token)


@me_router.delete(
    "/calendar-feed",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke your calendar feed URL (it answers 404 from now on)",
    responses=problem_responses(401, 503),
)
def revoke_calendar_feed(session: SessionDep, actor: CurrentActor) -> Response:
    service.revoke_feeds(session, actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@feed_router.get(
    "/calendar.ics",
    name="calendar_feed",
    summary="A calendar feed: reports, milestones and sustainability checks (by the feed's token, no login)",
    description=(
        "Answers text/calendar: one all-day event per reporting obligation (UID obligation-ID@portfolio), "
        "per open milestone with a due date (UID milestone-ID@portfolio) and per national process's "
        "follow-up check still due (UID follow-up-ID@portfolio), each titled with the project's code or "
        "the process's State and name, described (an obligation names its contribution agreement) and, "
        "when PORTFOLIO_PUBLIC_BASE_URL is set, with the URL of the page where it is recorded. The token "
        "comes from POST /api/v1/users/me/calendar-feed; an unknown or revoked one is a 404."
    ),
    response_class=Response,
    responses={
        200: {"content": {"text/calendar": {}}, "description": "The iCalendar feed"},
        **problem_responses(404, 422, 503),
    },
)
def calendar_feed(
    request: Request,
    session: SessionDep,
    token: Annotated[str, Query(description="The feed's token.", max_length=100)],
) -> Response:
    feed = service.calendar(session, token, request.app.state.settings.public_base_url)
    if feed.to_note:
        _note_read(request.app.state.db, feed.feed_id)
    return Response(
        feed.body,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Cache-Control": "private, no-store",
            "Content-Disposition": 'inline; filename="portfolio.ics"',
        },
    )


def _note_read(db: Database, feed_id: int) -> None:
    """Note the reading for the account page, in a write of its own; a calendar is answered all the same
    when the database is too busy to note it (it is noted at the next reading)."""
    try:
        with db.session(write=True) as session:
            service.note_read(session, feed_id)
    except OperationalError as exc:
        log.warning("calendar feed %s: its reading was not noted (%s)", feed_id, exc.orig)

"""The Interests section of a project's page (its include, ``project_interests.html``): the project's
expressions of interest with their euro estimates, and what the interest pages share with it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from sqlmodel import Session

from portfolio.interests import service as interests_service
from portfolio.interests.models import Interest
from portfolio.marking import mark as _
from portfolio.projects import service as projects_service
from portfolio.states import service as states_service
from portfolio.users.models import User
from portfolio.web.i18n import request_lang, translations
from portfolio.web.session import actor_of, may

NOTICES = {
    "interest-added": _("Your expression of interest was recorded. FSC staff will be in touch."),
    "interest-withdrawn": _("The expression of interest was withdrawn."),
    "interest-converted": _("The interest was turned into a pledge: it is now in the funding table above."),
}


@dataclass(frozen=True)
class InterestLine:
    """An interest as the pages show it: with its donor's name, its project and its euro estimate."""

    interest: Interest
    donor: str
    project: tuple[str, str]
    estimate: interests_service.Estimate | None


def state_names(session: Session, lang: str) -> dict[str, str]:
    return states_service.names(session, lang)


def lines_of(session: Session, interests: list[Interest], names: Mapping[str, str]) -> list[InterestLine]:
    """The interests with what the pages show beside them, in three statements whatever their number."""
    estimates = interests_service.estimates(session, interests)
    projects = projects_service.codes_and_titles(session, sorted({i.project_id for i in interests}))
    return [
        InterestLine(
            i,
            names.get(i.donor, i.donor),
            projects.get(i.project_id, ("", "")),
            estimates.get(i.id) if i.id is not None else None,
        )
        for i in interests
    ]


def hub_context(request: Request, session: Session, user: User, project_id: int) -> dict[str, Any]:
    """What the project page's Interests section shows: the project's interests (a donor: its own State's),
    whether this person may turn them into pledges, and the notice after doing so."""
    lang = request_lang(request)
    interests = interests_service.project_interests(session, actor_of(user), project_id)
    done = request.query_params.get("done", "")
    return {
        "interest_lines": lines_of(session, interests, state_names(session, lang)) if interests else [],
        "interest_converter": may(user, "pledges", "write"),
        "interest_notice": translations(lang).gettext(NOTICES[done]) if done in NOTICES else None,
    }

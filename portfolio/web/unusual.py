"""Amounts far outside the portfolio's range, confirmed before they are kept.

A trillion-euro budget is a typo more often than not, and it would swamp every figure. When a page saves
a budget or a pledge over ten times the largest other so far (:func:`portfolio.money.far_above`), the
save is undone and the form comes back with a message beside the amount and a box to tick: "Yes, this
amount is right". Ticked, the same save goes through. The API and imports take such amounts as they come
(programs do not mistype); the data-quality page lists every one stored."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from portfolio import money
from portfolio.funding import service as funding_service
from portfolio.funding.models import Pledge
from portfolio.projects import service as projects_service
from portfolio.projects.models import Project
from portfolio.web.forms import UnusualAmount
from portfolio.web.i18n import Formats

CONFIRM = "confirm_unusual"  # the box's name: ticked, the amount is what the person meant


def _confirmed(values: Mapping[str, Any]) -> bool:
    return bool(values.get(CONFIRM))


def _refuse(
    field: str, amount: Decimal, largest: Decimal, gettext: Callable[[str], str], fmt: Formats
) -> None:
    said = gettext(
        "%(amount)s is over ten times the largest so far (%(largest)s). Check it; if it is right, tick "
        "the box below and save again."
    )
    message = said % {"amount": fmt.money(amount), "largest": fmt.money(largest)}
    raise UnusualAmount.on(field, message)


def check_budget(
    session: Session, project: Project, values: Mapping[str, Any], gettext: Callable[[str], str], fmt: Formats
) -> None:
    """Refuse a just-saved budget far above every other project's, unless the person confirmed it."""
    if _confirmed(values) or project.budget_eur is None:
        return
    largest = projects_service.largest_other_budget(session, project.id)
    if largest is not None and money.far_above(project.budget_eur, largest):
        _refuse("budget_eur", project.budget_eur, largest, gettext, fmt)


def check_pledge(
    session: Session, pledge: Pledge, values: Mapping[str, Any], gettext: Callable[[str], str], fmt: Formats
) -> None:
    """Refuse a just-saved pledge whose euros are far above every other pledge's, unless confirmed."""
    if _confirmed(values):
        return
    largest = funding_service.largest_other_pledge_eur(session, pledge.id)
    if largest is not None and money.far_above(pledge.amount_eur, largest):
        _refuse("amount", pledge.amount_eur, largest, gettext, fmt)

"""The facts the services' rules are checked against, from one object.

A rule about a new project or pledge needs to know things stored elsewhere: who holds a project code,
a project and whether it was cancelled (and when), the States named, the month's exchange rate. The
rules read them only through a :class:`Facts`, which its caller hands them: on the API path a
:class:`portfolio.projects.facts.LiveFacts` (each fact looked up when asked, given to routes by the
:data:`FactsDep` dependency), on the import path a ``LoadedFacts`` filled once for the whole file. This
module defines the question, not the answers, so every domain may import it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Protocol

from fastapi import Depends, Request
from sqlmodel import Session

from portfolio.db import SessionDep
from portfolio.states.models import State


@dataclass(frozen=True)
class ProjectFact:
    """What another domain's rules may know of a project."""

    id: int
    code: str
    cancelled: bool
    requested: date | None = None  # when the State's request arrived: no pledge to it is made before


@dataclass(frozen=True)
class AgreementFact:
    """What the other domains ask of the contribution agreement recorded on a pledge."""

    reference: str
    signed_on: date | None


class Facts(Protocol):
    def project(self, project_id: int) -> ProjectFact | None:
        """The project with this id, if there is one."""
        ...

    def code_owner(self, code: str) -> int | None:
        """The id of the project holding this code, if one does."""
        ...

    def cancelled_on(self, project_id: int) -> date | None:
        """When a cancelled project was cancelled (the last change of its status history)."""
        ...

    def states(self, codes: Sequence[str]) -> Mapping[str, State]:
        """The States of these codes that exist, by code."""
        ...

    def rate(self, currency: str, month: str) -> Decimal | None:
        """Euros per unit of ``currency`` recorded for ``month`` (YYYY-MM), if any."""
        ...

    def norm_codes(self) -> frozenset[str]:
        """The codes of the norms catalogue (the norms a project may name)."""
        ...

    def agreement_of(self, pledge_id: int) -> AgreementFact | None:
        """The contribution agreement recorded on this pledge (its reference, when it was signed), if any."""
        ...

    def first_pledged_on(self, project_id: int) -> date | None:
        """The day of the project's earliest pledge (withdrawn ones too), if it has any."""
        ...


FactsFactory = Callable[[Session], Facts]


def live_facts(request: Request, session: SessionDep) -> Facts:
    """The request's facts, answered by the factory the application was built with (``app.state.facts``)."""
    factory: FactsFactory = request.app.state.facts
    return factory(session)


FactsDep = Annotated[Facts, Depends(live_facts)]

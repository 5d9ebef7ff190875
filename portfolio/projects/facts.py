"""The two ways of answering :class:`portfolio.facts.Facts`: :class:`LiveFacts` looks each fact up when
a rule asks (the API, one record at a time); :class:`LoadedFacts` is filled once for a whole spreadsheet
(the import, thousands of rows). They live with the projects, the highest domain whose data they read
(projects, pledges' exchange rates, States); the funding rules receive them, so that funding never
imports projects."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal

from sqlmodel import Session

from portfolio.agreements import repository as agreements_repository
from portfolio.facts import AgreementFact, ProjectFact
from portfolio.funding import repository as funding_repository
from portfolio.norms import repository as norms_repository
from portfolio.projects import repository as projects_repository
from portfolio.projects.models import Project
from portfolio.projects.schemas import ProjectStatus
from portfolio.states import repository as states_repository
from portfolio.states.models import State


def fact_of(project: Project | None) -> ProjectFact | None:
    if project is None or project.id is None:
        return None
    return ProjectFact(
        project.id,
        project.code,
        cancelled=project.status == ProjectStatus.cancelled,
        requested=project.request_date,
    )


class _PerRecord:
    """The questions both kinds of facts ask the database each time: about one pledge or one project,
    which a file rarely asks twice."""

    session: Session

    def agreement_of(self, pledge_id: int) -> AgreementFact | None:
        found = agreements_repository.agreement_of_pledge(self.session, pledge_id)
        if found is None:
            return None
        return AgreementFact(found.agreement.reference, found.agreement.signed_on)

    def first_pledged_on(self, project_id: int) -> date | None:
        return funding_repository.first_pledged_on(self.session, project_id)


class LiveFacts(_PerRecord):
    """Each fact looked up through the repositories when a rule asks for it."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def project(self, project_id: int) -> ProjectFact | None:
        return fact_of(projects_repository.get_project(self.session, project_id))

    def code_owner(self, code: str) -> int | None:
        owner = projects_repository.get_project_by_code(self.session, code)
        return owner.id if owner is not None else None

    def cancelled_on(self, project_id: int) -> date | None:
        last = projects_repository.last_status_change(self.session, project_id)
        return last.changed_on if last is not None else None

    def states(self, codes: Sequence[str]) -> Mapping[str, State]:
        return states_repository.get_states(self.session, codes)

    def rate(self, currency: str, month: str) -> Decimal | None:
        return funding_repository.rate_value(self.session, currency, month)

    def norm_codes(self) -> frozenset[str]:
        return frozenset(norms_repository.all_codes(self.session))


class LoadedFacts(_PerRecord):
    """Facts loaded once for a whole file: every State, the projects the file names (by code) and,
    for pledges, every exchange rate. A cancellation date is looked up once per project, when needed."""

    def __init__(self, session: Session, codes: Sequence[str], *, rates: bool) -> None:
        self.session = session
        self.all_states = {s.code: s for s in states_repository.list_states(session)}
        self.by_code = projects_repository.projects_by_codes(session, sorted(set(codes)))
        self.by_id = {p.id: p for p in self.by_code.values() if p.id is not None}
        self.rates = funding_repository.all_rates(session) if rates else {}
        self.cancelled: dict[int, date | None] = {}
        self.norms: frozenset[str] | None = None  # the norms catalogue, read when first asked

    def project(self, project_id: int) -> ProjectFact | None:
        return fact_of(self.by_id.get(project_id))

    def code_owner(self, code: str) -> int | None:
        owner = self.by_code.get(code)
        return owner.id if owner is not None else None

    def cancelled_on(self, project_id: int) -> date | None:
        if project_id not in self.cancelled:
            last = projects_repository.last_status_change(self.session, project_id)
            self.cancelled[project_id] = last.changed_on if last is not None else None
        return self.cancelled[project_id]

    def states(self, codes: Sequence[str]) -> Mapping[str, State]:
        return self.all_states

    def rate(self, currency: str, month: str) -> Decimal | None:
        return self.rates.get((currency, month))

    def norm_codes(self) -> frozenset[str]:
        if self.norms is None:
            self.norms = frozenset(norms_repository.all_codes(self.session))
        return self.norms

"""Changes in a person's words: what the project page's Audit trail and home's Recent changes say of each
write the audit trail keeps.

The trail keeps a write as the code made it — an entity and its id, field names, values as JSON — and the
API gives it so. The pages say it as the other pages do: a record by its code or its name (a project by its
code, linked to its page; a pledge as Germany's pledge to that project), a field by the label its form or
page gives it, a value as the pages write it (money in its currency, dates, the labels of statuses and
kinds, lists joined), and the bookkeeping (versions, timestamps, ids, the status a project resumes after a
hold) left out.

What an entry does not say of the record it names (the donor of a pledge whose amount changed) comes from
:class:`Lookups`: the entries' own values first, then the records a page has loaded anyway (the project
page: :meth:`Lookups.know`, no statement of its own), or the services (home: :func:`look_up`, a few
statements for each of the few records it lists)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from babel import Locale
from markupsafe import Markup, escape
from sqlmodel import Session, SQLModel

from portfolio.agreements import service as agreements_service
from portfolio.agreements.schemas import Earmarking, ObligationKind, ObligationState
from portfolio.audit import service as audit_service
from portfolio.audit.models import AuditEntry
from portfolio.choices import Choice
from portfolio.documents import service as documents_service
from portfolio.documents.schemas import document_categories
from portfolio.errors import AppError
from portfolio.funding import service as funding_service
from portfolio.funding.schemas import PledgeKind, PledgeStatus
from portfolio.interests import service as interests_service
from portfolio.interests.schemas import InterestStatus
from portfolio.languages import language_names
from portfolio.marking import mark as _
from portfolio.norms.schemas import NormKind
from portfolio.norms.titles import language_name, translated_languages
from portfolio.processes import service as processes_service
from portfolio.processes.schemas import FollowUpOutcome, FollowUpState, ProcessKind, Stage
from portfolio.projects import service as projects_service
from portfolio.projects.models import Indicator, Milestone
from portfolio.projects.schemas import ActivityType, Area, ProjectStatus
from portfolio.security import Actor
from portfolio.users.schemas import Role
from portfolio.web.documents import size_text
from portfolio.web.i18n import Formats, label, options, translations

T = TypeVar("T")
Labels = Callable[[str], Mapping[str, str]]
"""The labels of a field's values, translated into a language."""


def _marked(vocabulary: type[Choice]) -> Labels:
    """A vocabulary's labels (:mod:`portfolio.choices`), translated when asked for."""

    def translated(lang: str) -> Mapping[str, str]:
        return dict(options(vocabulary, lang))

    return translated


# How a value is written.
TEXT = "text"
MONEY = "money"  # in the record's currency (a receipt: its pledge's)
EUR = "eur"
NUMBER = "number"
YEAR = "year"
DATE = "date"
DATETIME = "datetime"
ENUM = "enum"
ENUMS = "enums"
STATE = "state"
STATES = "states"
PROJECT = "project"
PROJECTS = "projects"
USER = "user"
PLEDGE = "pledge"
DOCUMENT = "document"
YES_NO = "yes_no"
ACTIVE = "active"
MEASURE = "measure"
GENDER = "gender"
NORMS = "norms"
LIST = "list"
SCHEDULE = "schedule"
CATEGORY = "category"
LANGUAGE = "language"
SIZE = "size"


@dataclass(frozen=True)
class Spec:
    """One field as the pages show it: the label they give it (a msgid they already use) and how its value
    is written."""

    label: str
    kind: str = TEXT
    labels: Labels | None = None
    edits_only: bool = False  # what the record's name says already: shown when it changes, not on creation
    language: str | None = None  # the code of the language a label names ("Title in %(language)s")


HIDE = None
"""A field the pages do not show: bookkeeping, or what the record's name already says."""

BOOKKEEPING = frozenset(
    {
        "id",
        "version",
        "created_at",
        "updated_at",
        "recorded_at",
        "password",
        "password_hash",
        "token_hash",
        "token_version",
        "last_read_at",
    }
)

FIELDS: dict[str, dict[str, Spec | None]] = {
    "project": {
        "code": Spec(_("Code"), edits_only=True),
        "title": Spec(_("Title")),
        "description": Spec(_("Description")),
        "implementing_partner": Spec(_("Implementing partner")),
        "request_date": Spec(_("Request date"), DATE),
        "start_date": Spec(_("Start date"), DATE),
        "end_date": Spec(_("End date"), DATE),
        "budget_eur": Spec(_("Budget"), EUR),
        "gender_marker": Spec(_("Gender marker"), GENDER),
        "sdg_targets": Spec(_("SDG targets"), LIST),
        "status": Spec(_("Status"), ENUM, _marked(ProjectStatus)),
        "status_before_hold": HIDE,
        "areas": Spec(_("Areas"), ENUMS, _marked(Area)),
        "activity_types": Spec(_("Activity types"), ENUMS, _marked(ActivityType)),
        "beneficiaries": Spec(_("Beneficiary States"), STATES),
        "norms": Spec(_("OSCE norms"), NORMS),
        "on": Spec(_("Date"), DATE),  # of a move in the lifecycle
        "note": Spec(_("Note")),
    },
    "pledge": {
        "project_id": Spec(_("Project"), PROJECT, edits_only=True),
        "donor": Spec(_("Donor"), STATE, edits_only=True),
        "kind": Spec(_("Kind"), ENUM, _marked(PledgeKind)),
        "amount": Spec(_("Amount"), MONEY),
        "currency": Spec(_("Currency")),
        "pledged_on": Spec(_("Pledged on"), DATE),
        "status": Spec(_("Status"), ENUM, _marked(PledgeStatus)),
        "eur_per_unit": Spec(_("Rate (€ per unit)"), NUMBER),
        "amount_eur": Spec(_("In euros"), EUR),
        "note": Spec(_("Note")),
    },
    "receipt": {
        "pledge_id": HIDE,
        "amount": Spec(_("Amount"), MONEY),
        "received_on": Spec(_("Received on"), DATE),
        "eur_per_unit": Spec(_("Rate (€ per unit)"), NUMBER),
        "amount_eur": Spec(_("In euros"), EUR),
    },
    "milestone": {
        "project_id": HIDE,
        "title": Spec(_("Title")),
        "due_on": Spec(_("Due on"), DATE),
        "done_on": Spec(_("Done on"), DATE),
        "weight": Spec(_("Weight"), NUMBER),
    },
    "indicator": {
        "project_id": HIDE,
        "name": Spec(_("Name")),
        "measure": Spec(_("Standard measure"), MEASURE),
        "unit": Spec(_("Unit")),
        "baseline": Spec(_("Baseline"), NUMBER),
        "target": Spec(_("Target"), NUMBER),
        "actual": Spec(_("Actual"), NUMBER),
        "target_women": Spec(_("Women to reach"), NUMBER),
        "target_men": Spec(_("Men to reach"), NUMBER),
        "actual_women": Spec(_("Women reached"), NUMBER),
        "actual_men": Spec(_("Men reached"), NUMBER),
    },
    "interest": {
        "project_id": HIDE,
        "donor": Spec(_("Donor"), STATE, edits_only=True),
        "amount": Spec(_("Amount"), MONEY),
        "currency": Spec(_("Currency")),
        "note": Spec(_("Note")),
        "status": Spec(_("Status"), ENUM, _marked(InterestStatus)),
        "pledge_id": Spec(_("Pledge"), PLEDGE),
    },
    "agreement": {
        "pledge_id": HIDE,
        "reference": Spec(_("Reference")),
        "signed_on": Spec(_("Signed on"), DATE),
        "valid_until": Spec(_("Valid until"), DATE),
        "earmarking": Spec(_("Earmarking"), ENUM, _marked(Earmarking)),
        "conditions": Spec(_("Conditions")),
        "schedule": Spec(_("Reporting schedule"), SCHEDULE),
        "contact_name": Spec(_("Donor contact name")),
        "contact_email": Spec(_("Donor contact e-mail")),
    },
    "obligation": {
        "agreement_id": HIDE,
        "kind": Spec(_("Report"), ENUM, _marked(ObligationKind)),
        "due_on": Spec(_("Due on"), DATE),
        "status": Spec(_("Status"), ENUM, _marked(ObligationState)),
        "submitted_on": Spec(_("Submitted on"), DATE),
        "accepted_on": Spec(_("Accepted on"), DATE),
        "owner_id": Spec(_("Responsible"), USER),
        "document_id": Spec(_("The report"), DOCUMENT),
        "note": Spec(_("Note")),
        "generated": HIDE,
    },
    "document": {
        "owner_type": HIDE,
        "owner_id": HIDE,
        "title": Spec(_("Title")),
        "category": Spec(_("Category"), CATEGORY),
        "language": Spec(_("Language"), LANGUAGE),
        "filename": Spec(_("File")),
        "size": Spec(_("Size"), SIZE),
        "media_type": HIDE,
        "sha256": HIDE,
        "shared_with_donor": Spec(_("Shared with donors"), YES_NO),
        "public": Spec(_("May be published"), YES_NO),
        "uploaded_by": HIDE,
        "deleted_at": HIDE,
        "deleted_by": HIDE,
    },
    "national_process": {
        "state": Spec(_("State"), STATE),
        "name": Spec(_("Name")),
        "kind": Spec(_("Kind"), ENUM, _marked(ProcessKind)),
        "areas": Spec(_("Areas"), ENUMS, _marked(Area)),
        "stage": Spec(_("Stage"), ENUM, _marked(Stage)),
        "established_on": Spec(_("Established on"), DATE),
        "stage_changed_on": Spec(_("Stage changed on"), DATE),
        "stage_note": Spec(_("Stage note")),
        "description": Spec(_("Description")),
        "project_ids": Spec(_("Projects that helped build it"), PROJECTS),
    },
    "follow_up_check": {
        "process_id": HIDE,
        "operational_on": HIDE,
        "months_after": HIDE,
        "due_on": Spec(_("Due on"), DATE),
        "status": Spec(_("Status"), ENUM, _marked(FollowUpState)),
        "checked_on": Spec(_("Checked on"), DATE),
        "outcome": Spec(_("Outcome"), ENUM, _marked(FollowUpOutcome)),
        "note": Spec(_("Note")),
        "evidence_document_id": Spec(_("Evidence"), DOCUMENT),
        "owner_id": Spec(_("Responsible"), USER),
        "recorded_by": HIDE,
    },
    "user": {
        "email": Spec(_("E-mail")),
        "full_name": Spec(_("Full name")),
        "role": Spec(_("Role"), ENUM, _marked(Role)),
        "state": Spec(_("State"), STATE),
        "active": Spec(_("Active"), ACTIVE),
        # a language by its own name, as the language switch offers it
        "language": Spec(
            _("Language of reminders and the calendar feed"), ENUM, lambda lang: dict(language_names())
        ),
        "feeds_valid_from": HIDE,
    },
    "norm": {
        "code": Spec(_("Code")),
        "title": Spec(_("Title in English")),
        # its title in each other language, as the norm form labels it: "Title in French", "Title in Russian"
        **{
            f"title_{code}": Spec(_("Title in %(language)s"), language=code)
            for code in translated_languages()
        },
        "kind": Spec(_("Kind"), ENUM, _marked(NormKind)),
        "adopted": Spec(_("Year adopted"), YEAR),
        "builtin": HIDE,
    },
    "exchange_rate": {
        "currency": Spec(_("Currency")),
        "month": Spec(_("Month")),
        "eur_per_unit": Spec(_("EUR per unit"), NUMBER),
    },
    "calendar_feed": {"user_id": HIDE, "revoked_at": Spec(_("Revoked on"), DATETIME)},
}

ACTIONS = {
    "create": _("Added"),
    "update": _("Edited"),
    "delete": _("Deleted"),
    "transition": _("Status transition"),
    "reopen": _("Reopened"),
    "stage_change": _("Stage changed"),
    "outcome": _("Check recorded"),
    "download": _("Downloaded"),
    "logout": _("Signed out everywhere"),
}

EMPTY = "–"


@dataclass(frozen=True)
class ChangeLine:
    """One write as the pages show it: when, who, what was done, to which record, and each field."""

    entry: AuditEntry
    who: str
    action: str
    record: Markup
    changes: list[Markup]


@dataclass
class Lookups:
    """What the pages know of the records the entries name, in the page's language: the States' names and
    the accounts' e-mails, the codes of the projects that exist (they get a link), the norms' titles (English,
    French), and what is known of each record by (entity, id)."""

    lang: str
    states: Mapping[str, str]
    emails: Mapping[int, str]
    projects: dict[int, str] = field(default_factory=dict)
    norms: dict[str, str] = field(default_factory=dict)  # a norm's title in the page's language, by code
    facts: dict[tuple[str, Any], dict[str, Any]] = field(default_factory=dict)
    existing: set[tuple[str, Any]] = field(default_factory=set)
    deleted: set[tuple[str, Any]] = field(default_factory=set)

    @classmethod
    def of(
        cls, entries: list[AuditEntry], lang: str, states: Mapping[str, str], emails: Mapping[int, str]
    ) -> Lookups:
        """What the entries say of their records: each field's latest value (a deletion: its last one)."""
        lookups = cls(lang, states, emails)
        for e in reversed(entries):  # oldest first, so that the latest value stays
            known = lookups.facts.setdefault(_key(e), {})
            if e.action == "delete":
                lookups.deleted.add(_key(e))
            for name, pair in (e.changes or {}).items():
                old, new = _pair(pair)
                value = old if e.action == "delete" else new
                if value is not None:
                    known[name] = value
        return lookups

    def know(self, entity: str, records: Iterable[SQLModel]) -> None:
        """Records a page has loaded: what they are now outweighs what the entries said."""
        for record in records:
            values = audit_service.snapshot(record)
            key = (entity, values.get("code") if entity == "norm" else values.get("id"))
            self.facts.setdefault(key, {}).update(values)
            self.existing.add(key)

    def fact(self, entity: str, key: Any, name: str) -> Any:
        return self.facts.get((entity, key), {}).get(name)

    def missing(self, entries: Iterable[AuditEntry], entity: str, *names: str) -> list[Any]:
        """The records of ``entity`` the entries name of which one of ``names`` is not known."""
        keys = {_key(e)[1] for e in entries if e.entity == entity}
        return sorted(
            (k for k in keys if k is not None and any(self.fact(entity, k, n) is None for n in names)),
            key=str,
        )


def _key(entry: AuditEntry) -> tuple[str, Any]:
    """The record an entry is about: its entity and id (a norm: its code, which the entry carries)."""
    if entry.entity == "norm" and entry.entity_id is None:
        old, new = _pair((entry.changes or {}).get("code"))
        return ("norm", new if new is not None else old)
    return (entry.entity, entry.entity_id)


def _pair(values: Any) -> tuple[Any, Any]:
    return (values[0], values[1]) if isinstance(values, list) and len(values) == 2 else (None, values)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


class _Teller:
    """Says the entries of one page in its language."""

    def __init__(self, lookups: Lookups) -> None:
        self.lookups = lookups
        self.lang = lookups.lang
        self.gettext = translations(lookups.lang).gettext
        self.fmt = Formats(lookups.lang)
        self.labels: dict[int, Mapping[str, str]] = {}

    # -- words ------------------------------------------------------------------------------------

    def say(self, msgid: str, **values: Any) -> Markup:
        """A message of the catalogue with its values put in, each escaped unless it is markup already."""
        return escape(self.gettext(msgid)) % {
            k: v if isinstance(v, Markup) else escape(v) for k, v in values.items()
        }

    def state(self, code: Any) -> str:
        return self.lookups.states.get(str(code), str(code))

    def email(self, user_id: Any) -> str:
        try:
            return self.lookups.emails[int(user_id)]
        except (KeyError, TypeError, ValueError):
            return self.gettext("Unknown account")

    def who(self, entry: AuditEntry) -> str:
        return self.gettext("System") if entry.user_id is None else self.email(entry.user_id)

    # -- records ----------------------------------------------------------------------------------

    def known_project(self, project_id: Any) -> Markup | None:
        """A project by its code, linked to its page while it exists; None when its code is unknown."""
        try:
            pid = int(project_id)
        except (TypeError, ValueError):
            return None
        code = self.lookups.projects.get(pid)
        if code is not None:
            return Markup('<a href="/projects/{}">{}</a>').format(pid, code)
        code = self.lookups.fact("project", pid, "code")
        return escape(code) if code else None

    def project(self, project_id: Any) -> Markup:
        return self.known_project(project_id) or escape(self.gettext("a deleted project"))

    def pledge(self, pledge_id: Any, project_id: Any = None) -> Markup:
        """A pledge as its donor's pledge to its project."""
        donor = self.lookups.fact("pledge", pledge_id, "donor")
        project_id = project_id or self.lookups.fact("pledge", pledge_id, "project_id")
        if donor and project_id:
            return self.say(
                _("Pledge by %(donor)s to %(project)s"),
                donor=self.state(donor),
                project=self.project(project_id),
            )
        if project_id:
            return self.say(_("Pledge to %(code)s"), code=self.project(project_id))
        return escape(self.gettext("Pledge"))

    def _pledge_of(self, entity: str, key: Any) -> Any:
        return self.lookups.fact(entity, key, "pledge_id")

    def record(self, e: AuditEntry) -> Markup:
        """The record an entry is about, in words, its project's code linked."""
        entity, key = _key(e)
        fact = self.lookups.facts.get((entity, key), {})
        project_id = e.project_id or fact.get("project_id")
        if entity == "project":
            return self.known_project(key) or escape(self.gettext("A deleted project"))
        if entity == "pledge":
            return self.pledge(key, e.project_id)
        if entity == "receipt":
            pledge_id = fact.get("pledge_id")
            donor = self.lookups.fact("pledge", pledge_id, "donor")
            project_id = project_id or self.lookups.fact("pledge", pledge_id, "project_id")
            if donor and project_id:
                return self.say(
                    _("Receipt from %(donor)s for %(project)s"),
                    donor=self.state(donor),
                    project=self.project(project_id),
                )
            return escape(self.gettext("Receipts"))
        if entity == "agreement":
            donor = self.lookups.fact("pledge", fact.get("pledge_id"), "donor")
            if donor and project_id:
                return self.say(
                    _("Agreement with %(donor)s on %(project)s"),
                    donor=self.state(donor),
                    project=self.project(project_id),
                )
            return escape(self.gettext("Agreement"))
        if entity == "obligation":
            kind = fact.get("kind")
            report = label(kind, ObligationKind, self.lang) if kind in ObligationKind.labels() else None
            if report and project_id:
                return self.say(
                    _("%(report)s for %(project)s"), report=report, project=self.project(project_id)
                )
            return escape(report or self.gettext("Reporting obligations"))
        if entity in ("milestone", "indicator", "interest", "document"):
            return self._part(entity, fact, project_id)
        if entity == "national_process":
            return self._process(key)
        if entity == "follow_up_check":
            process = self._process(fact.get("process_id"))
            months = fact.get("months_after")
            if months:
                return self.say(
                    _("%(months)s-month follow-up check of %(process)s"), months=months, process=process
                )
            return self.say(_("Follow-up check of %(process)s"), process=process)
        if entity == "user":
            if e.entity_id is None:
                return escape(self.gettext("Account"))
            email = self.lookups.emails.get(e.entity_id) or fact.get("email")
            if email is None:
                return escape(self.gettext("Unknown account"))
            return Markup('<a href="/accounts/{}">{}</a>').format(e.entity_id, email)
        if entity == "norm":
            title = self.lookups.norms.get(str(key)) or fact.get("title") or key
            return self.say(_("Norm “%(title)s”"), title=title)
        if entity == "exchange_rate":
            currency, month = fact.get("currency"), fact.get("month")
            if currency and month:
                return Markup('<a href="/exchange-rates/month?month={}">{}</a>').format(
                    month, self.say(_("Rate of %(currency)s for %(month)s"), currency=currency, month=month)
                )
            return Markup('<a href="/exchange-rates">{}</a>').format(self.gettext("Exchange rates"))
        if entity == "calendar_feed":
            owner = fact.get("user_id") or e.user_id
            if owner is not None:
                return self.say(_("Calendar feed of %(email)s"), email=self.email(owner))
            return escape(self.gettext("Calendar feed"))
        return escape(entity.replace("_", " ").capitalize())

    def _part(self, entity: str, fact: Mapping[str, Any], project_id: Any) -> Markup:
        """A milestone, an indicator, an expression of interest or a document: by its title or its donor,
        and its project."""
        project = self.project(project_id) if project_id else None
        if entity == "interest":
            donor = fact.get("donor")
            if donor and project is not None:
                return self.say(
                    _("Expression of interest by %(donor)s in %(project)s"),
                    donor=self.state(donor),
                    project=project,
                )
            if project is not None:
                return self.say(_("Expression of interest in %(project)s"), project=project)
            return escape(self.gettext("Interests"))
        title = fact.get("name" if entity == "indicator" else "title")
        words = {
            "milestone": (_("Milestone “%(title)s” of %(project)s"), _("Milestone")),
            "indicator": (_("Indicator “%(title)s” of %(project)s"), _("Indicator")),
            "document": (_("Document “%(title)s” of %(project)s"), _("Document")),
        }[entity]
        if title and project is not None:
            return self.say(words[0], title=title, project=project)
        if title:
            return self.say(_("%(kind)s “%(title)s”"), kind=self.gettext(words[1]), title=title)
        return escape(self.gettext(words[1]))

    def _process(self, process_id: Any) -> Markup:
        """A national process by its name and its State, linked to its page while it exists."""
        name = self.lookups.fact("national_process", process_id, "name")
        if not name:
            return escape(self.gettext("National processes"))
        state = self.lookups.fact("national_process", process_id, "state")
        text = f"{name} ({self.state(state)})" if state else str(name)
        key = ("national_process", process_id)
        if key in self.lookups.existing or key not in self.lookups.deleted:
            return Markup('<a href="/processes/{}">{}</a>').format(process_id, text)
        return escape(text)

    # -- values -----------------------------------------------------------------------------------

    def labels_of(self, spec: Spec) -> Mapping[str, str]:
        if spec.labels is None:
            return {}
        found = self.labels.get(id(spec))
        if found is None:
            found = self.labels[id(spec)] = spec.labels(self.lang)
        return found

    def currency(self, e: AuditEntry, side: int) -> str:
        """The currency of an amount in an entry: the entry's own, else its record's (a receipt: its
        pledge's)."""
        own = _pair((e.changes or {}).get("currency"))
        if own[side] is not None or own[1 - side] is not None:
            return str(own[side] if own[side] is not None else own[1 - side])
        entity, key = _key(e)
        if entity == "receipt":
            entity, key = "pledge", self.lookups.fact("receipt", key, "pledge_id")
        return str(self.lookups.fact(entity, key, "currency") or "EUR")

    def value(self, e: AuditEntry, spec: Spec, raw: Any, side: int) -> Markup:
        """One value as the pages write it."""
        if _empty(raw):
            if spec.kind == GENDER and raw is None:
                return escape(self.gettext("Not screened"))
            if spec.kind == MEASURE and raw is None:
                return escape(self.gettext("Free indicator"))
            return escape(EMPTY)
        try:
            return self._value(e, spec, raw, side)
        except (ArithmeticError, InvalidOperation, TypeError, ValueError):
            return escape(str(raw))

    def _value(self, e: AuditEntry, spec: Spec, raw: Any, side: int) -> Markup:
        fmt, kind = self.fmt, spec.kind
        if kind == MONEY:
            return escape(fmt.money(Decimal(str(raw)), self.currency(e, side)))
        if kind == EUR:
            return escape(fmt.money(Decimal(str(raw))))
        if kind == NUMBER:
            return escape(fmt.number(Decimal(str(raw)).normalize()))
        if kind == DATE:
            return escape(fmt.date(date.fromisoformat(str(raw)[:10])))
        if kind == DATETIME:
            return escape(fmt.datetime(datetime.fromisoformat(str(raw))))
        if kind == ENUM:
            return escape(self.labels_of(spec).get(str(raw), str(raw)))
        if kind == ENUMS:
            labels = self.labels_of(spec)
            return escape(", ".join(labels.get(str(v), str(v)) for v in _items(raw)))
        if kind == STATE:
            return escape(self.state(raw))
        if kind == STATES:
            return escape(", ".join(sorted(self.state(v) for v in _items(raw))))
        if kind == PROJECT:
            return self.project(raw)
        if kind == PROJECTS:
            return Markup(", ").join(self.project(v) for v in _items(raw))
        if kind == USER:
            return escape(self.email(raw))
        if kind == PLEDGE:
            return self.pledge(raw)
        if kind == DOCUMENT:
            return escape(self.lookups.fact("document", raw, "title") or self.gettext("Document"))
        if kind == YES_NO:
            return escape(self.gettext("Yes") if raw else self.gettext("No"))
        if kind == ACTIVE:
            return escape(self.gettext("Yes") if raw else self.gettext("No (deactivated)"))
        if kind == MEASURE:
            measure = next((m for m in projects_service.measures() if m.code == raw), None)
            return escape(self.gettext(measure.label) if measure else str(raw))
        if kind == GENDER:
            return escape(str(raw))
        if kind == NORMS:
            return escape("; ".join(self._norm_title(str(code)) for code in _items(raw)))
        if kind == LIST:
            return escape(", ".join(str(v) for v in _items(raw)))
        if kind == SCHEDULE:
            return escape(self._schedule(raw))
        if kind == CATEGORY:
            return escape(document_categories().get(str(raw), str(raw)))
        if kind == LANGUAGE:
            return escape(Locale.parse(self.lang).languages.get(str(raw), str(raw)))
        if kind == SIZE:
            return escape(size_text(int(raw), self.lang))
        return escape(str(raw))

    def _norm_title(self, code: str) -> str:
        return self.lookups.norms.get(code) or code

    def _schedule(self, schedule: Any) -> str:
        """An agreement's reporting schedule, in the words of the agreement's page."""
        if not isinstance(schedule, dict):
            return str(schedule)
        gettext = self.gettext
        interim = schedule.get("interim_every_months")
        words = [
            gettext("An interim narrative report every %(months)s months from signature.")
            % {"months": interim}
            if interim
            else gettext("No interim reports."),
            gettext(
                "Final narrative report and financial statement %(months)s months after the project's end."
            )
            % {"months": schedule.get("final_after_months", 3)},
        ]
        if schedule.get("audit_certificate"):
            words.append(gettext("An audit certificate with the final reports."))
        return " ".join(words)

    # -- lines ------------------------------------------------------------------------------------

    def changes(self, e: AuditEntry) -> list[Markup]:
        """Each field of an entry a person would read, by its label: "Label: old → new" for an edit, "Label:
        value" for what a new record holds, a deleted one held, or a move says (its date, its note)."""
        specs = FIELDS.get(e.entity, {})
        lines = []
        for name, pair in (e.changes or {}).items():
            if name in BOOKKEEPING:
                continue
            spec = specs[name] if name in specs else _unknown(name)
            if spec is None or (spec.edits_only and e.action != "update"):
                continue
            old, new = _pair(pair)
            label = self.gettext(spec.label)
            if spec.language is not None:
                label %= {"language": language_name(spec.language, self.lang)}
            if e.action == "delete" or (e.action != "update" and new is None):
                if _empty(old) or old is False:
                    continue
                lines.append(
                    self.say(_("%(field)s: %(value)s"), field=label, value=self.value(e, spec, old, 0))
                )
            elif e.action != "update" and _empty(old):
                if _empty(new) or new is False:
                    continue
                lines.append(
                    self.say(_("%(field)s: %(value)s"), field=label, value=self.value(e, spec, new, 1))
                )
            else:
                before, after = self.value(e, spec, old, 0), self.value(e, spec, new, 1)
                if before == after:
                    continue
                lines.append(
                    self.say(_("%(field)s: %(before)s → %(after)s"), field=label, before=before, after=after)
                )
        return lines

    def line(self, e: AuditEntry) -> ChangeLine:
        action = ACTIONS.get(e.action)
        return ChangeLine(
            entry=e,
            who=self.who(e),
            action=self.gettext(action) if action else e.action.replace("_", " "),
            record=self.record(e),
            changes=self.changes(e),
        )


def _unknown(name: str) -> Spec:
    """A field this module has no label for (one added since): shown rather than hidden, named as
    plainly as its name allows."""
    return Spec(name.replace("_", " ").capitalize())


def _items(raw: Any) -> list[Any]:
    return list(raw) if isinstance(raw, list | tuple | set) else [raw]


def describe(entries: list[AuditEntry], lookups: Lookups) -> list[ChangeLine]:
    """The entries as the page shows them, newest first as given."""
    teller = _Teller(lookups)
    return [teller.line(e) for e in entries]


# -- what home looks up -------------------------------------------------------------------------------


def _found(find: Callable[..., T], *args: Any) -> T | None:
    """What a service finds, or None for a record gone since (a deleted pledge, document or process): the
    entries' own words stay."""
    try:
        return find(*args)
    except AppError:
        return None


def look_up(session: Session, viewer: Actor, entries: list[AuditEntry], lookups: Lookups) -> None:
    """What the entries do not say of the records they name, asked of the services: the projects' codes and
    the norms' titles in one statement each, and for each other record named whose name the entries lack
    (a pledge whose amount changed, a report whose status did), its own — a few for the few entries home
    lists. A record that no longer exists keeps what the entries said of it."""
    for project_id in sorted({e.project_id for e in entries if e.entity == "agreement" and e.project_id}):
        if lookups.missing([e for e in entries if e.project_id == project_id], "agreement", "pledge_id"):
            lookups.know("agreement", agreements_service.project_agreements(session, project_id))
    for obligation_id in lookups.missing(entries, "obligation", "kind"):
        row = _found(agreements_service.get_obligation, session, viewer, obligation_id)
        if row is not None:
            lookups.know("obligation", [row.obligation])
    for interest_id in lookups.missing(entries, "interest", "donor"):
        interest = _found(interests_service.get_interest, session, viewer, interest_id)
        if interest is not None:
            lookups.know("interest", [interest])
    for project_id in _parts_projects(entries, lookups, "milestone", "title"):
        lookups.know("milestone", projects_service.list_parts(session, Milestone, project_id))
    for project_id in _parts_projects(entries, lookups, "indicator", "name"):
        lookups.know("indicator", projects_service.list_parts(session, Indicator, project_id))
    for check_id in lookups.missing(entries, "follow_up_check", "process_id", "months_after"):
        check = _found(processes_service.get_follow_up, session, check_id)
        if check is not None:
            lookups.know("follow_up_check", [check.check])
    processes = set(lookups.missing(entries, "national_process", "name", "state"))
    for e in entries:
        if e.entity == "follow_up_check":
            processes.add(lookups.fact("follow_up_check", e.entity_id, "process_id"))
    for process_id in sorted(p for p in processes if isinstance(p, int)):
        process = _found(processes_service.get_process, session, process_id)
        if process is not None:
            lookups.know("national_process", [process])
    documents = set(lookups.missing(entries, "document", "title"))
    for e in entries:
        for name in ("document_id", "evidence_document_id"):
            documents.update(_pair((e.changes or {}).get(name)))
    for document_id in sorted(d for d in documents if isinstance(d, int)):
        if lookups.fact("document", document_id, "title") is None:
            document = _found(documents_service.get_document, session, viewer, document_id)
            if document is not None:
                lookups.know("document", [document])
    pledges = set(lookups.missing(entries, "pledge", "donor", "project_id", "currency"))
    for e in entries:
        if e.entity in ("receipt", "agreement", "interest"):
            pledges.add(lookups.fact(e.entity, e.entity_id, "pledge_id"))
        if e.entity == "interest":
            pledges.update(_pair((e.changes or {}).get("pledge_id")))
    for pledge_id in sorted(p for p in pledges if isinstance(p, int)):
        if any(lookups.fact("pledge", pledge_id, n) is None for n in ("donor", "project_id", "currency")):
            found = _found(funding_service.get_pledge_row, session, viewer, pledge_id)
            if found is not None:
                lookups.know("pledge", [found.pledge])
    codes = projects_service.codes_and_titles(session, _project_ids(entries, lookups))
    lookups.projects.update((pid, code) for pid, (code, _title) in codes.items())
    norms = {str(_key(e)[1]) for e in entries if e.entity == "norm"}
    for e in entries:
        if e.entity == "project":
            for side in _pair((e.changes or {}).get("norms")):
                norms.update(str(code) for code in side or [])
    if norms:
        lookups.norms.update(projects_service.norm_titles(session, sorted(norms), lookups.lang))


def _parts_projects(entries: list[AuditEntry], lookups: Lookups, entity: str, name: str) -> list[int]:
    """The projects whose milestones (or indicators) to list: those of the parts named without a title."""
    wanted = set(lookups.missing(entries, entity, name))
    return sorted(
        {e.project_id for e in entries if e.entity == entity and e.entity_id in wanted and e.project_id}
    )


def _project_ids(entries: list[AuditEntry], lookups: Lookups) -> list[int]:
    """Every project the entries name: theirs, those of the pledges they name, those they link or move."""
    ids: set[Any] = {e.project_id for e in entries}
    for e in entries:
        changes = e.changes or {}
        if e.entity == "project":
            ids.add(e.entity_id)
        ids.update(_pair(changes.get("project_id")))
        for side in _pair(changes.get("project_ids")):
            ids.update(side or [])
        for entity in ("receipt", "agreement", "interest"):
            if e.entity == entity:
                ids.add(lookups.fact("pledge", lookups.fact(entity, e.entity_id, "pledge_id"), "project_id"))
        if e.entity == "pledge":
            ids.add(lookups.fact("pledge", e.entity_id, "project_id"))
    return sorted(i for i in ids if isinstance(i, int))

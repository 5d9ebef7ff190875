"""Wire format of contribution agreements and the reporting obligations they create."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import EmailStr, Field, StringConstraints

from portfolio.choices import Choice
from portfolio.marking import mark as _
from portfolio.pagination import Page
from portfolio.schemas import Input, Note, Output, Patch, example


class Earmarking(Choice):
    """How tightly the money is tied (the idea of IATI's EarmarkingCategory): to this project, to an area
    of work, or not at all."""

    project = "project", _("To this project")
    area = "area", _("To an area of work (SALW or SCA), not to one project")
    unearmarked = "unearmarked", _("Not earmarked")


class ObligationKind(Choice):
    interim_narrative = "interim_narrative", _("Interim narrative report")
    final_narrative = "final_narrative", _("Final narrative report")
    financial_statement = "financial_statement", _("Financial statement")
    audit_certificate = "audit_certificate", _("Audit certificate")
    other = "other", _("Other report")


class ObligationState(Choice):
    """The status as a person reads it: ``overdue`` is a due obligation whose date has passed."""

    due = "due", _("Due")
    overdue = "overdue", _("Overdue")
    submitted = "submitted", _("Submitted")
    accepted = "accepted", _("Accepted")


class ObligationStatus(Choice):
    """What is stored: due, submitted or accepted. Overdue is read from the date, never stored."""

    due = "due", ObligationState.due.label
    submitted = "submitted", ObligationState.submitted.label
    accepted = "accepted", ObligationState.accepted.label


Reference = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
ContactName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Months = Annotated[int, Field(ge=1, le=120)]


class Schedule(Input):
    """Which reports the agreement asks for, and when; the obligations are generated from it."""

    interim_every_months: Months | None = Field(
        default=None,
        description=(
            "An interim narrative report every so many months from signature, while that date falls before "
            "the project's end date; null: no interim reports."
        ),
    )
    final_after_months: Annotated[int, Field(ge=0, le=120)] = Field(
        default=3,
        description=(
            "The final narrative report and the financial statement fall due this many months after the "
            "project's end date."
        ),
    )
    audit_certificate: bool = Field(
        default=False, description="An audit certificate is due with the final reports."
    )


class AgreementCreate(Input):
    model_config = example(
        reference="SAMPLE-CA-2025-014",
        signed_on="2025-04-02",
        valid_until="2027-06-30",
        earmarking="project",
        conditions="Sample data: funds to be spent on the depot upgrade only.",
        schedule={"interim_every_months": 6, "final_after_months": 3, "audit_certificate": False},
        contact_name="Sample contact, Federal Foreign Office",
        contact_email="contact@example.org",
    )

    reference: Reference = Field(description="The agreement's reference, as both parties quote it.")
    signed_on: date | None = Field(
        default=None,
        description=(
            "When it was signed (not in the future). A signed agreement commits its pledge, and its "
            "reporting obligations are generated from the schedule; leave it out for one not yet signed."
        ),
    )
    valid_until: date | None = Field(
        default=None, description="Its last day of validity (not before signed_on)."
    )
    earmarking: Earmarking = Field(default=Earmarking.project, description="project, area or unearmarked.")
    conditions: Note = Field(default="", description="Conditions the donor attached, as text.")
    schedule: Schedule | None = Field(
        default=None,
        description=(
            "The reporting schedule; left out: only the final narrative report and the financial statement, "
            "3 months after the project's end date."
        ),
    )
    contact_name: ContactName = Field(default="", description="The donor's contact for this agreement.")
    contact_email: EmailStr | None = Field(default=None, description="That contact's e-mail address.")


class AgreementUpdate(Patch):
    model_config = example(valid_until="2027-12-31", conditions="Sample data: extended by six months.")
    not_null = frozenset({"reference", "earmarking", "conditions", "schedule", "contact_name"})

    reference: Reference | None = None
    signed_on: date | None = Field(
        default=None, description="Setting it commits a pledge still pledged and generates the obligations."
    )
    valid_until: date | None = None
    earmarking: Earmarking | None = None
    conditions: Note | None = None
    schedule: Schedule | None = Field(
        default=None,
        description="A new schedule regenerates the generated obligations not yet submitted.",
    )
    contact_name: ContactName | None = None
    contact_email: EmailStr | None = None


class ScheduleRead(Output):
    interim_every_months: int | None
    final_after_months: int
    audit_certificate: bool


class AgreementRead(Output):
    id: int
    pledge_id: int
    project_id: int
    donor: str = Field(description="The State whose pledge the agreement commits.")
    reference: str
    signed_on: date | None
    valid_until: date | None
    earmarking: Earmarking
    conditions: str
    schedule: ScheduleRead
    contact_name: str
    contact_email: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class ObligationCreate(Input):
    model_config = example(
        agreement_id=1, kind="other", due_on="2026-03-31", note="Sample data: a mid-term briefing note."
    )

    agreement_id: int = Field(description="The agreement that asks for the report.")
    kind: ObligationKind = Field(
        description="interim_narrative, final_narrative, financial_statement, audit_certificate or other."
    )
    due_on: date
    owner_id: int | None = Field(default=None, description="The staff member responsible (an account id).")
    note: Note = ""


class ObligationUpdate(Patch):
    model_config = example(status="submitted", submitted_on="2026-01-15")
    not_null = frozenset({"kind", "due_on", "status", "note"})

    kind: ObligationKind | None = None
    due_on: date | None = None
    status: ObligationStatus | None = Field(
        default=None,
        description=(
            "due → submitted → accepted (overdue follows from due_on and cannot be set). Submitted takes "
            "submitted_on (today if left out); accepted takes accepted_on (today if left out) after a "
            "submission; back to due clears both dates."
        ),
    )
    submitted_on: date | None = Field(default=None, description="When it was submitted (not in the future).")
    accepted_on: date | None = Field(
        default=None, description="When the donor accepted it (not in the future, not before submitted_on)."
    )
    owner_id: int | None = Field(default=None, description="The staff member responsible (an account id).")
    document_id: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = Field(
        default=None, description="The document that fulfilled it."
    )
    note: Note | None = None


class ObligationRead(Output):
    id: int
    agreement_id: int
    pledge_id: int
    project_id: int
    donor: str
    kind: ObligationKind
    due_on: date
    status: ObligationState = Field(
        description="due, overdue (due and due_on has passed without a submission), submitted or accepted."
    )
    overdue: bool = Field(description="True when status is overdue.")
    submitted_on: date | None
    accepted_on: date | None
    owner_id: int | None
    document_id: int | None
    note: str
    generated: bool = Field(
        description="Generated from the agreement's schedule (moved with it) rather than added by hand."
    )
    version: int
    created_at: datetime
    updated_at: datetime


ObligationPage = Page[ObligationRead]

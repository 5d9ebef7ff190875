"""Wire format of national management processes (structures and procedures)."""

from datetime import date, datetime
from typing import Annotated

from pydantic import Field, field_validator

from portfolio.choices import Choice
from portfolio.marking import mark as _
from portfolio.pagination import Page
from portfolio.projects.schemas import Area
from portfolio.schemas import Input, Name, Note, Output, Patch, StateCode, example


class ProcessKind(Choice):
    structure = "structure", _("Structure")
    procedure = "procedure", _("Procedure")


class Stage(Choice):
    planned = "planned", _("Planned")
    established = "established", _("Established")
    operational = "operational", _("Operational")
    sustained = "sustained", _("Sustained")


class _ProcessFields(Input):
    @field_validator("areas", check_fields=False)
    @classmethod
    def _areas_as_a_set(cls, values: list[Area] | None) -> list[Area] | None:
        return None if values is None else sorted(set(values))

    @field_validator("project_ids", check_fields=False)
    @classmethod
    def _dedupe(cls, values: list[int] | None) -> list[int] | None:
        return None if values is None else list(dict.fromkeys(values))


class NationalProcessCreate(_ProcessFields):
    model_config = example(
        state="MDA",
        name="Ammunition stockpile-management SOPs",
        kind="procedure",
        areas=["SCA"],
        stage="established",
        project_ids=[1],
        description="Standard operating procedures for the central ammunition depots.",
        stage_changed_on="2026-05-20",
    )

    state: StateCode = Field(description="The participating State whose process it is.")
    name: Name = Field(examples=["National SALW Commission"])
    kind: ProcessKind = Field(
        description="structure (commission, registry, inspection body) or procedure (SOP)."
    )
    areas: list[Area] = Field(default_factory=list)
    stage: Stage = Stage.planned
    established_on: date | None = None
    project_ids: list[int] = Field(default_factory=list, description="Projects that helped build it.")
    description: Note = ""
    stage_changed_on: date | None = Field(
        default=None, description="When the current stage was reached; today if left out."
    )


class NationalProcessUpdate(_ProcessFields, Patch):
    model_config = example(stage="operational", stage_note="First annual inspection carried out")
    not_null = frozenset({"state", "name", "kind", "areas", "stage", "project_ids", "description"})

    state: StateCode | None = None
    name: Name | None = None
    kind: ProcessKind | None = None
    areas: list[Area] | None = None
    stage: Stage | None = None
    established_on: date | None = None
    project_ids: list[int] | None = None
    description: Note | None = None
    stage_changed_on: date | None = Field(
        default=None, description="With a new stage: when it was reached; today if left out."
    )
    stage_note: Note | None = Field(default=None, description="With a new stage: why it changed.")


class FollowUpState(Choice):
    """The status as a person reads it: ``overdue`` is a check still due whose date has passed."""

    due = "due", _("To be checked")
    overdue = "overdue", _("Overdue")
    done = "done", _("Done")


class FollowUpStatus(Choice):
    """What is stored: due or done. Overdue is read from the date, never stored."""

    due = "due", FollowUpState.due.label
    done = "done", FollowUpState.done.label


class FollowUpOutcome(Choice):
    sustained = "sustained", Stage.sustained.label
    regressed = "regressed", _("Regressed")


class FollowUpSummary(Output):
    """A follow-up check as the process read lists it; ``GET /api/v1/follow-ups/{id}`` has the rest."""

    id: int
    months_after: int
    due_on: date
    status: FollowUpState = Field(
        validation_alias="status_now", description="due, overdue (still due and due_on has passed) or done."
    )
    checked_on: date | None
    outcome: FollowUpOutcome | None


class NationalProcessRead(Output):
    id: int
    state: str
    name: str
    kind: ProcessKind
    areas: list[Area]
    stage: Stage
    established_on: date | None
    project_ids: list[int]
    description: str
    follow_ups: list[FollowUpSummary] = Field(
        default_factory=list,
        description=(
            "Its sustainability follow-up checks, soonest due first; `GET /api/v1/follow-ups?process=ID` "
            "has each in full."
        ),
    )
    version: int
    created_at: datetime
    updated_at: datetime


NationalProcessPage = Page[NationalProcessRead]


class StageChangeRead(Output):
    from_stage: Stage | None = Field(serialization_alias="from")
    to_stage: Stage = Field(serialization_alias="to")
    on: date = Field(validation_alias="changed_on")
    note: str
    recorded_at: datetime


class FollowUpUpdate(Patch):
    model_config = example(
        outcome="sustained", note="Sample data: the commission met four times on the national budget."
    )
    not_null = frozenset({"outcome", "due_on", "note"})

    outcome: FollowUpOutcome | None = Field(
        default=None,
        description=(
            "Record the check's result, once: `sustained` (still running on national resources) moves the "
            "process to stage sustained; `regressed` moves it back one stage (operational → established, "
            "sustained → operational). A check already done: 409."
        ),
    )
    checked_on: date | None = Field(
        default=None,
        description="With an outcome: when the check was made (today if left out; not in the future).",
    )
    note: Note | None = Field(default=None, description="What the check found.")
    evidence_document_id: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = Field(
        default=None,
        description="A document of this national process (`owner_type` national_process) that shows it.",
    )
    due_on: date | None = Field(default=None, description="Move a check still due to another day.")
    owner_id: int | None = Field(default=None, description="The staff member responsible (an account id).")


class FollowUpRead(Output):
    id: int
    process_id: int
    state: str = Field(description="The process's participating State.")
    process_name: str
    operational_on: date = Field(description="When the process became operational: the checks count from it.")
    months_after: int
    due_on: date
    status: FollowUpState = Field(description="due, overdue (still due and due_on has passed) or done.")
    overdue: bool = Field(description="True when status is overdue.")
    checked_on: date | None
    outcome: FollowUpOutcome | None
    note: str
    evidence_document_id: int | None
    owner_id: int | None
    recorded_by: int | None = Field(description="The account that recorded the outcome.")
    version: int
    created_at: datetime
    updated_at: datetime


FollowUpPage = Page[FollowUpRead]

"""Wire format of national management processes (structures and procedures)."""

from datetime import date, datetime
from enum import StrEnum

from pydantic import Field, field_validator

from portfolio.pagination import Page
from portfolio.projects.schemas import Area
from portfolio.schemas import Input, Name, Note, Output, Patch, StateCode, example


class ProcessKind(StrEnum):
    structure = "structure"
    procedure = "procedure"


class Stage(StrEnum):
    planned = "planned"
    established = "established"
    operational = "operational"
    sustained = "sustained"


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

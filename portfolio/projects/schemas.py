"""Wire format of projects, their lifecycle, milestones and indicators."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    Field,
    PlainSerializer,
    StringConstraints,
    field_validator,
    model_validator,
)

from portfolio.choices import Choice
from portfolio.errors import Said
from portfolio.marking import mark as _
from portfolio.money import MAX_AMOUNT, MoneyOut, NonNegativeAmount, Quantity, QuantityOut, plain
from portfolio.pagination import Page
from portfolio.projects.measures import BY_CODE
from portfolio.schemas import (
    Input,
    Name,
    Note,
    Output,
    Patch,
    SdgTarget,
    StateCode,
    check_sdg_targets,
    example,
)


class Area(Choice):
    SALW = "SALW", _("SALW")
    SCA = "SCA", _("SCA")


class ActivityType(Choice):
    stockpile_security = "stockpile_security", _("Stockpile security and management")
    surplus_destruction_salw = "surplus_destruction_salw", _("Destruction of surplus SALW")
    surplus_destruction_ammunition = "surplus_destruction_ammunition", _("Destruction of surplus ammunition")
    hazardous_propellant_disposal = "hazardous_propellant_disposal", _("Disposal of hazardous propellant")
    marking_and_tracing = "marking_and_tracing", _("Marking and tracing")
    record_keeping = "record_keeping", _("Record-keeping")
    deactivation = "deactivation", _("Deactivation of weapons")
    border_and_export_controls = "border_and_export_controls", _("Border and export controls")
    collection_and_awareness = "collection_and_awareness", _("Collection and awareness-raising")
    training_and_capacity = "training_and_capacity", _("Training and capacity-building")
    legislation_and_policy = "legislation_and_policy", _("Legislation and policy")
    other = "other", _("Other")


class ProjectStatus(Choice):
    requested = "requested", _("Requested")
    assessment = "assessment", _("Assessment")
    planning = "planning", _("Planning")
    seeking_funding = "seeking_funding", _("Seeking funding")
    implementation = "implementation", _("Implementation")
    completed = "completed", _("Completed")
    cancelled = "cancelled", _("Cancelled")
    on_hold = "on_hold", _("On hold")


class FundingFilter(Choice):
    underfunded = "underfunded", _("Underfunded (pledged below budget)")
    funded = "funded", _("Fully pledged")


class ProjectSort(Choice):
    code_asc = "code", _("Code (A–Z)")
    code_desc = "-code", _("Code (Z–A)")
    title_asc = "title", _("Title (A–Z)")
    title_desc = "-title", _("Title (Z–A)")
    request_date_asc = "request_date", _("Request date (oldest first)")
    request_date_desc = "-request_date", _("Request date (newest first)")
    budget_eur_asc = "budget_eur", _("Budget (smallest first)")
    budget_eur_desc = "-budget_eur", _("Budget (largest first)")
    gap_eur_asc = "gap_eur", _("Funding gap (smallest first)")
    gap_eur_desc = "-gap_eur", _("Funding gap (largest first)")
    start_date_asc = "start_date", _("Start date (earliest first)")
    start_date_desc = "-start_date", _("Start date (latest first)")


Weight = Annotated[
    Decimal,
    Field(gt=0, le=1_000_000, description="Relative weight of a milestone in the progress percent (> 0)."),
    AfterValidator(lambda v: _quantize_checked(v, 2)),
]


def _quantize_checked(value: Decimal, places: int) -> Decimal:
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -places:
        raise ValueError(Said("at most %(places)s decimal places", places=places))
    return value.quantize(Decimal(1).scaleb(-places))


ProjectCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=3, max_length=40, pattern=r"^[A-Za-z0-9./-]+$"),
    Field(
        description="Unique project number: 3–40 letters, digits, '-', '/' or '.'.",
        examples=["MDA-SCA-2026-01"],
    ),
]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
NormCode = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=40)
]
GenderMarker = Annotated[
    Literal[0, 1, 2],
    Field(
        description="OECD DAC gender-equality marker: 0 examined and not targeted, 1 significant objective, "
        "2 principal objective; null when the project has not been screened (no marker is published)."
    ),
]


class _ProjectFields(Input):
    @field_validator("areas", "activity_types", "beneficiaries", check_fields=False)
    @classmethod
    def _dedupe(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else list(dict.fromkeys(values))

    @field_validator("sdg_targets", check_fields=False)
    @classmethod
    def _sdg(cls, values: list[str] | None) -> list[str] | None:
        return check_sdg_targets(values)

    @field_validator("norms", check_fields=False)
    @classmethod
    def _norm_codes(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else list(dict.fromkeys(v.strip().lower() for v in values if v.strip()))


class ProjectCreate(_ProjectFields):
    model_config = example(
        code="MDA-SCA-2026-01",
        title="Destruction of surplus artillery ammunition in the Republic of Moldova",
        description="Safe destruction of 430 tonnes of surplus ammunition at two depots.",
        areas=["SCA"],
        activity_types=["surplus_destruction_ammunition", "stockpile_security"],
        beneficiaries=["MDA"],
        implementing_partner="OSCE Mission to Moldova",
        request_date="2026-03-02",
        start_date="2026-09-01",
        end_date="2028-06-30",
        budget_eur="1850000.00",
        sdg_targets=["16.4"],
        norms=["doc-sca", "bpg-sca-destruction"],
    )

    code: ProjectCode
    title: Title
    description: Note = ""
    areas: list[Area] = Field(min_length=1, description="SALW, SCA or both.")
    activity_types: list[ActivityType] = Field(default_factory=list)
    beneficiaries: list[StateCode] = Field(
        min_length=1, description="Participating States that receive help.", examples=[["MDA"]]
    )
    implementing_partner: Name | None = Field(default=None, examples=["OSCE Mission to Serbia"])
    request_date: date = Field(description="When the State's request for assistance arrived.")
    start_date: date | None = None
    end_date: date | None = Field(default=None, description="On or after start_date.")
    budget_eur: NonNegativeAmount | None = Field(
        default=None,
        description="The project's budget in euros. A request may have none yet; it is required from "
        "planning on (a move to planning or further is refused without one).",
    )
    gender_marker: GenderMarker | None = None
    sdg_targets: list[SdgTarget] = Field(default_factory=list, examples=[["16.4"]])
    norms: list[NormCode] = Field(
        default_factory=list,
        description="Codes of the OSCE norms the project implements (GET /api/v1/norms).",
        examples=[["doc-sca", "bpg-sca-destruction"]],
    )


class ProjectUpdate(_ProjectFields, Patch):
    model_config = example(budget_eur="1950000.00", end_date="2028-12-31")
    not_null = frozenset(
        {
            "code",
            "title",
            "description",
            "areas",
            "activity_types",
            "beneficiaries",
            "request_date",
            "sdg_targets",
            "norms",
        }
    )

    code: ProjectCode | None = None
    title: Title | None = None
    description: Note | None = None
    areas: list[Area] | None = Field(default=None, min_length=1)
    activity_types: list[ActivityType] | None = None
    beneficiaries: list[StateCode] | None = Field(default=None, min_length=1)
    implementing_partner: Name | None = None
    request_date: date | None = None
    start_date: date | None = None
    end_date: date | None = None
    budget_eur: NonNegativeAmount | None = None
    gender_marker: GenderMarker | None = None
    sdg_targets: list[SdgTarget] | None = None
    norms: list[NormCode] | None = None


class FundingSummary(Output):
    budget_eur: MoneyOut | None = Field(description="Null while the project has no budget yet (a request).")
    pledged_eur: MoneyOut = Field(description="Sum of pledges that are not withdrawn, in euros.")
    received_eur: MoneyOut = Field(description="Sum of receipts, in euros.")
    gap_eur: MoneyOut | None = Field(description="max(budget − pledged, 0); null while there is no budget.")
    coverage: (
        Annotated[
            Decimal,
            Field(description="pledged ÷ budget (4 decimals); null when the budget is 0 or not set yet."),
        ]
        | None
    )


class Progress(Output):
    milestones_total: int
    milestones_done: int
    percent: (
        Annotated[
            Decimal,
            Field(
                description="Done weight ÷ total weight × 100 (1 decimal); null when there are no milestones."
            ),
        ]
        | None
    )


class ProjectRead(Output):
    id: int
    code: str
    title: str
    description: str
    areas: list[Area]
    activity_types: list[ActivityType]
    beneficiaries: list[str]
    implementing_partner: str | None
    request_date: date
    start_date: date | None
    end_date: date | None
    budget_eur: MoneyOut | None = Field(description="Null while the project has no budget yet (a request).")
    gender_marker: int | None = Field(description="0, 1 or 2; null when not screened.")
    sdg_targets: list[str]
    norms: list[str] = Field(description="Codes of the OSCE norms the project implements.")
    status: ProjectStatus
    version: int
    created_at: datetime
    updated_at: datetime
    funding: FundingSummary
    progress: Progress


ProjectPage = Page[ProjectRead]


class TransitionCreate(Input):
    model_config = example(to="assessment", note="Needs-assessment visit agreed with the Ministry of Defence")
    to: ProjectStatus = Field(description="The status to move to.")
    note: Note = ""
    on: date | None = Field(default=None, description="When the change happened; today if left out.")


class StatusChangeRead(Output):
    from_status: ProjectStatus | None = Field(serialization_alias="from")
    to_status: ProjectStatus = Field(serialization_alias="to")
    on: date = Field(validation_alias="changed_on")
    note: str
    recorded_at: datetime


class MilestoneCreate(Input):
    model_config = example(title="Depot perimeter fence installed", due_on="2026-12-15", weight="2")
    title: Title
    due_on: date | None = None
    done_on: date | None = None
    weight: Weight = Decimal("1.00")


class MilestoneUpdate(Patch):
    model_config = example(done_on="2026-11-20")
    not_null = frozenset({"title", "weight"})

    title: Title | None = None
    due_on: date | None = None
    done_on: date | None = None
    weight: Weight | None = None


class MilestoneRead(Output):
    id: int
    project_id: int
    title: str
    due_on: date | None
    done_on: date | None
    weight: QuantityOut
    version: int


def unknown_measure(code: str) -> Said:
    """Why ``code`` is no measure: the codes of the catalogue to choose from."""
    return Said(
        "unknown measure '%(code)s'; use one of: %(codes)s (or null)", code=code, codes=", ".join(BY_CODE)
    )


def _known_measure(code: str | None) -> str | None:
    if code is None or code == "":
        return None
    if code not in BY_CODE:
        raise ValueError(unknown_measure(code))
    return code


MeasureCode = Annotated[
    str | None,
    AfterValidator(_known_measure),
    Field(
        description="A standard measure of the catalogue (GET /api/v1/measures), which makes the indicator "
        "add up across projects; null for a free indicator, counted only in its own project.",
        json_schema_extra={"enum": [*BY_CODE, None]},
        examples=["people_trained"],
    ),
]


def _whole(value: Decimal) -> Decimal:
    if value != value.to_integral_value():
        raise ValueError(Said("a whole number of people"))
    return value.quantize(Decimal(1))


Headcount = Annotated[
    Decimal,
    Field(ge=0, le=MAX_AMOUNT, description="A whole number of people ≥ 0."),
    AfterValidator(_whole),
    PlainSerializer(plain, return_type=str, when_used="json"),
]
Unit = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
UNIT_DESCRIPTION = (
    "Unit of measure. Required for a free indicator; with a standard measure it is the measure's unit "
    "(filled in when left out; another unit is refused)."
)
BREAKDOWN_DESCRIPTION = (
    "Only for a measure that counts people (disaggregated_by_sex): {part} of the {total}, a whole number. "
    "Women + men may be less than the {total}, which may hold people whose sex was not recorded, never more."
)


class IndicatorCreate(Input):
    model_config = example(
        name="Border police officers trained",
        measure="people_trained",
        baseline="0",
        target="120",
        target_women="40",
        target_men="70",
    )
    name: Name = Field(examples=["Ammunition destroyed"])
    measure: MeasureCode = None
    unit: Unit | None = Field(default=None, description=UNIT_DESCRIPTION, examples=["tonnes"])
    baseline: Quantity = Decimal(0)
    target: Quantity
    actual: Quantity | None = None
    target_women: Headcount | None = Field(
        default=None, description=BREAKDOWN_DESCRIPTION.format(part="women", total="target")
    )
    target_men: Headcount | None = Field(
        default=None, description=BREAKDOWN_DESCRIPTION.format(part="men", total="target")
    )
    actual_women: Headcount | None = Field(
        default=None, description=BREAKDOWN_DESCRIPTION.format(part="women", total="actual")
    )
    actual_men: Headcount | None = Field(
        default=None, description=BREAKDOWN_DESCRIPTION.format(part="men", total="actual")
    )


class IndicatorUpdate(Patch):
    """The rules of :class:`IndicatorCreate` hold for the record as it would be after the change."""

    model_config = example(actual="212.0")
    not_null = frozenset({"name", "unit", "baseline", "target"})

    name: Name | None = None
    measure: MeasureCode = None
    unit: Unit | None = Field(default=None, description=UNIT_DESCRIPTION)
    baseline: Quantity | None = None
    target: Quantity | None = None
    actual: Quantity | None = None
    target_women: Headcount | None = None
    target_men: Headcount | None = None
    actual_women: Headcount | None = None
    actual_men: Headcount | None = None


class IndicatorRead(Output):
    id: int
    project_id: int
    name: str
    measure: str | None = Field(description="The standard measure's code; null for a free indicator.")
    measure_label: str | None = Field(description="The standard measure's name, in English.")
    unit: str
    baseline: QuantityOut
    target: QuantityOut
    actual: QuantityOut | None
    target_women: QuantityOut | None
    target_men: QuantityOut | None
    actual_women: QuantityOut | None
    actual_men: QuantityOut | None
    version: int

    @model_validator(mode="before")
    @classmethod
    def _label(cls, data: Any) -> Any:
        if isinstance(data, dict):
            code = data.get("measure")
            return {**data, "measure_label": BY_CODE[code].label if code in BY_CODE else None}
        code = getattr(data, "measure", None)
        fields = {name: getattr(data, name) for name in cls.model_fields if name != "measure_label"}
        return {**fields, "measure_label": BY_CODE[code].label if code in BY_CODE else None}


class MeasureRead(Output):
    code: str = Field(examples=["people_trained"])
    label: str = Field(examples=["People trained"])
    unit: str = Field(examples=["people"])
    disaggregated_by_sex: bool = Field(
        description="Counts people: its indicators may carry women and men of the target and the actual."
    )

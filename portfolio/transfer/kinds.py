"""What each kind of spreadsheet holds: its columns, in order, with an example and a line of help.

Column names are the API's field names. A record that belongs to another one names it by its natural
key rather than by a database id, so that a file can move between databases: a project by its
``project_code``, a pledge by its project code, donor, date, currency and amount. The one exception is an
expenditure's budget line, named by its id as the budget-lines export gives it (a line has no natural key):
an expenditures file that names lines belongs to the database it was exported from.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

ColumnType = Literal["text", "list", "date", "decimal", "int", "month"]

# The code lists a coded column takes its values from (see ``exporter.code_lists``).
CodeList = Literal[
    "areas",
    "activity_types",
    "participating_states",
    "states",
    "currencies",
    "sdg_targets",
    "gender_markers",
    "project_statuses",
    "pledge_kinds",
    "pledge_statuses",
    "process_kinds",
    "stages",
    "measures",
    "earmarkings",
    "obligation_kinds",
    "obligation_states",
    "yes_no",
    "budget_categories",
]


class Kind(StrEnum):
    projects = "projects"
    pledges = "pledges"
    receipts = "receipts"
    milestones = "milestones"
    indicators = "indicators"
    national_processes = "national-processes"
    exchange_rates = "exchange-rates"
    agreements = "agreements"
    obligations = "obligations"
    expenditures = "expenditures"
    budget_lines = "budget-lines"


# Kinds that are exported but never imported: a reporting obligation follows from its agreement's schedule
# (or is added by hand through the API), and its status is recorded one report at a time; a budget line's
# every revision is dated and says why, through the API.
EXPORT_ONLY = frozenset({Kind.obligations, Kind.budget_lines})
IMPORTABLE = tuple(k for k in Kind if k not in EXPORT_ONLY)


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    required: bool
    example: str
    help: str
    codes: CodeList | None = None  # the allowed values, for a coded column
    read_only: bool = False  # exported for reading; the import neither checks nor takes it

    @property
    def states(self) -> bool:
        """Whether the column holds State codes."""
        return self.codes in ("states", "participating_states")


def _c(
    name: str,
    type_: ColumnType,
    example: str,
    help_: str,
    *,
    required: bool = False,
    codes: CodeList | None = None,
    read_only: bool = False,
) -> Column:
    return Column(name, type_, required, example, help_, codes, read_only)


_PEOPLE = (
    "{part} of the {total}, for people_trained and people_reached only: a whole number; women + men at most "
    "the {total} (which may hold people whose sex was not recorded)."
)
_PROJECT_CODE = _c("project_code", "text", "SAMPLE-SCA-2024-03", "Code of the project.", required=True)
_DONOR_NAME = _c("donor_name", "text", "Germany", "The donor's name, for reading; the import ignores it.")

COLUMNS: dict[Kind, tuple[Column, ...]] = {
    Kind.projects: (
        _c("code", "text", "SAMPLE-SCA-2024-03", "Unique project number (key).", required=True),
        _c("title", "text", "Destruction of surplus ammunition", "Title.", required=True),
        _c("description", "text", "Safe destruction of 300 t of surplus artillery rounds.", "Free text."),
        _c("areas", "list", "SCA", "SALW, SCA or SALW;SCA.", required=True, codes="areas"),
        _c(
            "activity_types",
            "list",
            "surplus_destruction_ammunition;training_and_capacity",
            "Activity types, separated by ';'.",
            codes="activity_types",
        ),
        _c(
            "beneficiaries",
            "list",
            "SRB",
            "ISO alpha-3 codes of participating States, ';'.",
            required=True,
            codes="participating_states",
        ),
        _c("implementing_partner", "text", "OSCE Mission to Serbia", "Who implements the project."),
        _c("request_date", "date", "2024-03-15", "When the request arrived (YYYY-MM-DD).", required=True),
        _c("start_date", "date", "2024-09-01", "Planned or actual start."),
        _c("end_date", "date", "2026-08-31", "Planned or actual end."),
        _c(
            "budget_eur",
            "decimal",
            "1250000.00",
            "Budget in euros, '.' as decimal mark; may be empty for a request or an assessment, required "
            "from planning on.",
        ),
        _c("gender_marker", "int", "1", "OECD DAC gender marker: 0, 1 or 2.", codes="gender_markers"),
        _c("sdg_targets", "list", "16.4", "UN SDG targets, ';'.", codes="sdg_targets"),
        _c(
            "status",
            "text",
            "implementation",
            "Lifecycle status; requested when left empty.",
            codes="project_statuses",
        ),
        _c(
            "status_on",
            "date",
            "2024-09-01",
            "When the project reached its status (a new project, or one the file moves); when empty: "
            "end_date for completed, start_date for implementation, else the day of the import.",
        ),
        _c(
            "norms",
            "list",
            "doc-sca;bpg-sca-destruction",
            "Codes of the OSCE norms the project implements, ';' (see GET /api/v1/norms).",
        ),
    ),
    Kind.pledges: (
        _PROJECT_CODE,
        _c(
            "donor",
            "text",
            "DEU",
            "ISO alpha-3 code of the pledging State or Partner (key).",
            required=True,
            codes="states",
        ),
        _c("kind", "text", "cash", "cash or in_kind.", codes="pledge_kinds"),
        _c("amount", "decimal", "250000.00", "In the pledge's currency (key).", required=True),
        _c("currency", "text", "EUR", "ISO 4217 code (key).", required=True, codes="currencies"),
        _c("pledged_on", "date", "2024-10-01", "When the pledge was made (key).", required=True),
        _c(
            "status",
            "text",
            "committed",
            "pledged, committed or withdrawn; paid follows from receipts.",
            codes="pledge_statuses",
        ),
        _c("note", "text", "", "Free text."),
    ),
    Kind.receipts: (
        _PROJECT_CODE,
        _c("donor", "text", "DEU", "The pledge's donor.", required=True, codes="states"),
        _c("pledged_on", "date", "2024-10-01", "The pledge's date.", required=True),
        _c("currency", "text", "EUR", "The pledge's currency.", required=True, codes="currencies"),
        _c("pledge_amount", "decimal", "250000.00", "The pledge's amount.", required=True),
        _c("received_on", "date", "2024-11-20", "When the money arrived (key).", required=True),
        _c("amount", "decimal", "100000.00", "In the pledge's currency (key).", required=True),
    ),
    Kind.milestones: (
        _PROJECT_CODE,
        _c("title", "text", "Ammunition destroyed", "Title (key within the project).", required=True),
        _c("due_on", "date", "2025-06-30", "When it is due."),
        _c("done_on", "date", "", "When it was reached; empty while open."),
        _c("weight", "decimal", "1.00", "Relative weight in the progress percent; 1 when empty."),
    ),
    Kind.indicators: (
        _PROJECT_CODE,
        _c("name", "text", "Ammunition destroyed", "Name (key within the project).", required=True),
        _c(
            "measure",
            "text",
            "ammunition_destroyed",
            "A standard measure, which adds up across projects; empty for a free indicator.",
            codes="measures",
        ),
        _c("unit", "text", "tonnes", "Unit of measure; with a measure, its unit (or empty).", required=True),
        _c("baseline", "decimal", "0", "Value at the start; 0 when empty."),
        _c("target", "decimal", "300", "Value to reach.", required=True),
        _c("actual", "decimal", "120", "Value reached so far; empty when not measured."),
        _c("target_women", "decimal", "", _PEOPLE.format(part="Women", total="target")),
        _c("target_men", "decimal", "", _PEOPLE.format(part="Men", total="target")),
        _c("actual_women", "decimal", "", _PEOPLE.format(part="Women", total="actual")),
        _c("actual_men", "decimal", "", _PEOPLE.format(part="Men", total="actual")),
    ),
    Kind.national_processes: (
        _c(
            "state",
            "text",
            "SRB",
            "ISO alpha-3 code of the participating State (key).",
            required=True,
            codes="participating_states",
        ),
        _c("name", "text", "National SALW Commission", "Name (key within the State).", required=True),
        _c("kind", "text", "structure", "structure or procedure.", required=True, codes="process_kinds"),
        _c("areas", "list", "SALW", "SALW, SCA or SALW;SCA.", codes="areas"),
        _c("stage", "text", "established", "planned, established, operational or sustained.", codes="stages"),
        _c("established_on", "date", "2023-05-10", "When it was established."),
        _c(
            "stage_changed_on",
            "date",
            "2024-02-01",
            "When it reached its stage (a new process is dated by it; today when empty).",
        ),
        _c("project_codes", "list", "SAMPLE-SCA-2024-03", "Codes of the projects that helped build it, ';'."),
        _c("description", "text", "", "Free text."),
    ),
    Kind.exchange_rates: (
        _c("currency", "text", "USD", "ISO 4217 code (key).", required=True, codes="currencies"),
        _c("month", "month", "2024-10", "YYYY-MM (key).", required=True),
        _c("eur_per_unit", "decimal", "0.91720000", "Euros per unit of the currency.", required=True),
    ),
    Kind.agreements: (
        _PROJECT_CODE,
        _c("donor", "text", "DEU", "The pledge's donor (key).", required=True, codes="states"),
        _DONOR_NAME,
        _c("pledged_on", "date", "2024-10-01", "The pledge's date (key).", required=True),
        _c(
            "pledge_amount",
            "decimal",
            "",
            "Only when the project has several pledges from the donor on that day: the pledge's amount, "
            "in its currency, to tell them apart (the export fills it in only then).",
        ),
        _c("reference", "text", "SAMPLE-CA-2024-017", "The agreement's reference.", required=True),
        _c(
            "signed_on",
            "date",
            "2024-11-15",
            "When it was signed (not in the future); a signed agreement commits its pledge and generates "
            "its reporting obligations. Empty: not yet signed.",
        ),
        _c("valid_until", "date", "2026-12-31", "Its last day of validity (not before signed_on)."),
        _c(
            "earmarking",
            "text",
            "project",
            "project, area or unearmarked; project when empty.",
            codes="earmarkings",
        ),
        _c("conditions", "text", "", "Conditions the donor attached, as text."),
        _c(
            "interim_every_months",
            "int",
            "6",
            "An interim narrative report every so many months from signature (1-120); empty: none.",
        ),
        _c(
            "final_after_months",
            "int",
            "3",
            "The final report and the financial statement fall due so many months after the project's "
            "end date (0-120); 3 when empty.",
        ),
        _c(
            "audit_certificate",
            "text",
            "no",
            "yes: an audit certificate is due with the final reports; no when empty.",
            codes="yes_no",
        ),
        _c("contact_name", "text", "Sample contact, Federal Foreign Office", "The donor's contact."),
        _c("contact_email", "text", "contact@example.org", "That contact's e-mail address."),
    ),
    Kind.obligations: (
        _PROJECT_CODE,
        _c("donor", "text", "DEU", "The donor the report is owed to.", required=True, codes="states"),
        _DONOR_NAME,
        _c(
            "pledged_on", "date", "2024-10-01", "The date of the pledge the agreement commits.", required=True
        ),
        _c("reference", "text", "SAMPLE-CA-2024-017", "The agreement's reference.", required=True),
        _c(
            "kind",
            "text",
            "interim_narrative",
            "interim_narrative, final_narrative, financial_statement, audit_certificate or other.",
            required=True,
            codes="obligation_kinds",
        ),
        _c("due_on", "date", "2025-05-15", "When the report is due.", required=True),
        _c(
            "status",
            "text",
            "submitted",
            "due, overdue (still due and its date has passed), submitted or accepted.",
            required=True,
            codes="obligation_states",
        ),
        _c("submitted_on", "date", "2025-05-10", "When it was submitted."),
        _c("accepted_on", "date", "", "When the donor accepted it."),
        _c("owner_email", "text", "staff@example.org", "The staff member responsible."),
        _c("note", "text", "", "Free text."),
        _c(
            "generated",
            "text",
            "yes",
            "yes: generated from the agreement's schedule; no: added by hand.",
            codes="yes_no",
        ),
    ),
    Kind.expenditures: (
        _PROJECT_CODE,
        _c(
            "spent_on",
            "date",
            "2024-12-05",
            "When the money was spent (not in the future); converted to euros at the rate of its month.",
            required=True,
        ),
        _c("amount", "decimal", "18250.00", "In the currency spent, more than 0.", required=True),
        _c("currency", "text", "EUR", "ISO 4217 code.", required=True, codes="currencies"),
        _c(
            "line_id",
            "int",
            "",
            "The id of the project's budget line it is booked on (see the budget-lines export); empty: "
            "the unallocated budget.",
        ),
        _c("description", "text", "Hydraulic shears, lot 2", "Free text."),
        _c(
            "reference",
            "text",
            "FIN-2024-004211",
            "The finance system's reference of the entry (key): a row whose reference is already "
            "recorded is skipped, so a file imported twice adds nothing.",
            required=True,
        ),
        _c(
            "amount_eur",
            "decimal",
            "",
            "In euros at the rate of its month, as recorded; exported for reading, the import ignores it "
            "(it converts the amount itself).",
            read_only=True,
        ),
        _c(
            "reverses",
            "text",
            "",
            "For a reversal (a negative entry), the reference of the expenditure it cancels; exported for "
            "reading. Reversals are recorded through the API: an import skips one already recorded and "
            "refuses any other.",
            read_only=True,
        ),
    ),
    Kind.budget_lines: (
        _PROJECT_CODE,
        _c("line_id", "int", "12", "The line's id (what an expenditure row names).", required=True),
        _c(
            "category",
            "text",
            "equipment",
            "The budget category.",
            required=True,
            codes="budget_categories",
        ),
        _c("label", "text", "Destruction equipment", "Free text."),
        _c("year", "int", "2025", "The budget year; empty for the whole project."),
        _c("original_eur", "decimal", "250000.00", "What the line was first given, in euros.", required=True),
        _c("amount_eur", "decimal", "280000.00", "What it holds after its revisions.", required=True),
    ),
}


def column_names(kind: Kind) -> list[str]:
    return [c.name for c in COLUMNS[kind]]

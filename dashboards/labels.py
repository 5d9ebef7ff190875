"""Every word the dashboards show, and how numbers and money are written, in the page's language.

The texts are English message ids, marked with ``_`` so that the extractor finds them; their French is in
``portfolio/locale/fr/LC_MESSAGES/dashboards.po``, read through the same gettext catalogues as the staff
pages. Numbers and money are written by Babel in the page's locale."""

from __future__ import annotations

from decimal import Decimal

from portfolio.choices import Choice
from portfolio.funding.schemas import PledgeKind, PledgeStatus
from portfolio.marking import mark as _
from portfolio.processes.schemas import ProcessKind, Stage
from portfolio.projects.schemas import ActivityType, Area, ProjectStatus
from portfolio.web.i18n import Formats, translations, word

CATALOGUE: dict[str, str] = {
    # navigation and layout
    "app": _("OSCE SALW/SCA assistance portfolio"),
    "funding": _("Funding overview"),
    "gaps": _("Funding gaps"),
    "progress": _("Progress"),
    "national-processes": _("National processes"),
    "donor": _("Donor view"),
    "data-quality": _("Data quality"),
    "filters": _("Filters"),
    "year_from": _("From year"),
    "year_to": _("To year"),
    "area": _("Area"),
    "beneficiary": _("Beneficiary State"),
    "status": _("Status"),
    "any": _("any"),
    "apply": _("Apply"),
    "download_csv": _("Download CSV"),
    "process_scope_note": _(
        "National processes belong to States, not to projects: this page filters by State and area only."
    ),
    "nothing": _("Nothing to show for these filters."),
    "scope_note": _(
        "Counts the projects requested in the chosen years and area, for the chosen State and status."
    ),
    # figures
    "budget": _("Budget"),
    "pledged": _("Pledged"),
    "received": _("Received"),
    "outstanding": _("Outstanding"),
    "gap": _("Gap"),
    "coverage": _("Coverage"),
    "projects": _("Projects"),
    "seeking_funding_count": _("Projects seeking funding"),
    "eur": _("EUR"),
    "by_donor": _("Pledged and received by donor"),
    "by_beneficiary": _("Funding by beneficiary State"),
    "map": _("Pledged per beneficiary State (map)"),
    "over_time": _("Pledges and receipts over time (cumulative)"),
    "by_area": _("Funding by area"),
    "by_activity": _("Funding by activity type"),
    "by_kind": _("Cash and in-kind"),
    "quarter": _("Quarter"),
    "donor_col": _("Donor"),
    "state_col": _("State"),
    "others": _("Others"),
    "multi_count": _("A project in several States (or areas, activities) counts in full for each."),
    "gaps_chart": _("Projects with an open gap, largest first"),
    "code": _("Code"),
    "title": _("Title"),
    "by_status": _("Projects and budget by status"),
    "timeline": _("Timeline and percent complete"),
    "percent_complete": _("Percent complete"),
    "overdue": _("Overdue milestones"),
    "indicators": _("Indicators: target and actual"),
    "indicator": _("Indicator"),
    "unit": _("Unit"),
    "target": _("Target"),
    "actual": _("Actual"),
    "start": _("Start"),
    "end": _("End"),
    "matrix": _("Maturity of national structures and procedures"),
    "stage_changes": _("Stage changes per year"),
    "process": _("Structure or procedure"),
    "stage": _("Stage"),
    "year": _("Year"),
    "changes": _("Changes"),
    "established_on": _("Established"),
    "donor_pledges": _("Pledges by project and status"),
    "donor_received": _("Received and outstanding"),
    "donor_processes": _("National processes its projects helped build"),
    "currency": _("Currency"),
    "amount": _("Amount"),
    "kind": _("Kind"),
    "activity": _("Activity type"),
    "stale_projects": _("Projects without a change in 90 days"),
    "overdue_milestones": _("Overdue milestones"),
    "unpaid_commitments": _("Committed pledges with nothing received after 12 months"),
    "pledges_without_agreement": _("Committed pledges without a contribution agreement"),
    "overdue_obligations": _("Overdue reporting obligations"),
    "missing_rates": _("Non-euro pledges or receipts without an exchange rate"),
    "who_amount": _("%(who)s: %(amount)s"),
    "spent_over_received": _("Projects that spent more than they received"),
    "overspent_detail": _("spent %(spent)s, received %(received)s"),
    "money_idle": _("Projects holding money with nothing spent for six months"),
    "money_idle_note": _(
        "Since: the later of the first money's arrival and the last expenditure. Projects in implementation"
        " that still hold money received."
    ),
    "spending_after_end": _("Spending dated after the project's end"),
    "after_end_detail": _("%(count)s expenditures, %(amount)s"),
    "delivery_behind": _("Spending behind time"),
    "behind_detail": _("%(used)s of the budget spent in %(gone)s of its time"),
    "delivery_behind_note": _(
        "Projects in implementation whose budget used trails the share of their time gone by more than 25"
        " percentage points. Since: the start."
    ),
    # a quarter as a table writes it, and as a chart's axis ticks it (Plotly's date format)
    "year_quarter": _("{year}-Q{number}"),
    "quarter_ticks": _("%Y-Q%q"),
    "unusual_amounts": _("Amounts over ten times the largest other of their kind"),
    "unusual_note": _(
        "A budget over ten times every other project's, or a pledge worth over ten times every other pledge"
        " in euros: a typo more often than not, and one that swamps every figure. The pages ask to confirm"
        " such an amount when it is typed; if it is wrong, correct it on its project's page."
    ),
    "missing_rates_note": _(
        "Would list each pledge or receipt in another currency than the euro whose month has no exchange"
        " rate, and whose euros therefore cannot be counted. The API, the staff pages and the import refuse"
        " such an amount, so the list stays empty unless rows were written straight into the database."
    ),
    "stale_note": _(
        "Since: the project's last change, the latest of the days its records carry (its request, status"
        " changes, pledges, receipts, milestones done) and of the last time anyone edited it or any of its"
        " records. Loading the sample data is not a change: a sample project changes on its own dates."
    ),
    "record": _("Record"),
    "detail": _("Detail"),
    "since": _("Since"),
    # headline figures and their definitions
    "open_gap": _("Open gap"),
    "open_gap_projects": _("Projects with an open gap"),
    "def_pledged": _("Σ pledges not withdrawn, in euros at each pledge's own rate."),
    "def_received": _("Σ receipts, in euros at the rate of the month each arrived."),
    "def_open_gap": _("Σ max(budget − pledged, 0) over the projects neither completed nor cancelled."),
    "def_open_gap_projects": _(
        "Projects neither completed nor cancelled whose budget exceeds what is pledged."
    ),
    # the funding overview's headline figures, each saying which projects it counts
    "open_budget": _("Budget of open projects"),
    "open_coverage": _("Coverage of open projects"),
    "pledged_any": _("Pledged (projects of any status)"),
    "received_any": _("Received (projects of any status)"),
    "def_open_budget": _(
        "Σ budget of the projects selected that are neither completed nor cancelled: the projects the open "
        "gap counts."
    ),
    "def_open_coverage": _(
        "Pledged to the projects neither completed nor cancelled ÷ their budget: the projects the open gap "
        "counts."
    ),
    "def_pledged_any": _(
        "Σ pledges not withdrawn to every project selected, completed and cancelled ones included, in euros "
        "at each pledge's own rate."
    ),
    "def_received_any": _(
        "Σ receipts for every project selected, completed and cancelled ones included, in euros at the rate "
        "of the month each arrived."
    ),
    "def_seeking_funding": _("Projects in the status “seeking funding”."),
    # money out: what was spent of what arrived, and how firm the pledged money is
    "spent": _("Spent"),
    "delivery_rate": _("Delivery rate"),
    "spent_any": _("Spent (projects of any status)"),
    "def_spent_any": _(
        "Σ expenditures on every project selected, completed and cancelled ones included, reversals "
        "deducted, in euros at the rate of the month each was spent."
    ),
    "def_delivery_rate": _(
        "Spent ÷ received over every project selected, as the UN MPTF Office reports delivery: how much of "
        "the money that arrived has been spent."
    ),
    "committed_any": _("Committed (projects of any status)"),
    "def_committed_any": _(
        "Σ pledges committed or paid (an agreement signed) to every project selected, in euros at each "
        "pledge's own rate."
    ),
    "pledged_only": _("Pledged, not yet committed"),
    "def_pledged_only": _(
        "Σ pledges announced but not yet committed (no agreement signed) to every project selected, in "
        "euros at each pledge's own rate. With the committed ones, the pledged total; a withdrawn pledge is "
        "in neither."
    ),
    "delivery_by_area": _("Delivery by area"),
    "delivery_by_beneficiary": _("Delivery by beneficiary State"),
    "delivery_by_donor": _("Delivery by donor"),
    "delivery_note": _(
        "Received and spent (reversals deducted) on the projects selected; delivery rate = spent ÷ "
        "received. A project in several States (or areas) counts in full for each."
    ),
    "delivery_donor_note": _(
        "What each donor's pledges brought in, and what the projects' expenditures charged to them "
        "(reversals deducted); delivery rate = charged ÷ received. Spending no pledge paid for (spent "
        "before money arrived) is in no donor's line."
    ),
    "def_outstanding": _("Σ over pledges not withdrawn of max(pledged − received, 0)."),
    "def_share": _("This donor's pledges ÷ all pledges to the projects selected."),
    "fx_difference": _("Rate effect"),
    "def_fx_difference": _(
        "Received in euros at the receipts' months' rates, minus the same amounts at each pledge's own rate."
    ),
    "fx_explained": _(
        "Rate effect: a pledge in another currency is valued at its rate when pledged, each receipt at the"
        " rate of the month it arrived; when the euro weakens meanwhile, the same money is worth more euros."
    ),
    "fx_above": _("{donor} received {excess} more than it pledged; {fx} of it is the rate effect."),
    "gaps_note": _(
        "Every project neither completed nor cancelled whose budget exceeds what is pledged, at any stage."
    ),
    # the line that says what a page shows
    "shows": _("Shows"),
    "all_projects": _("all projects"),
    "years": _("Years {first}–{last}"),
    "years_from": _("Years from {first}"),
    "years_to": _("Years up to {last}"),
    "api_docs": _("API documentation"),
    "filter_problems": _("Some filters were not applied: see the messages beside them."),
    "no_state": _("No OSCE participating State or Partner has the code {code}."),
    "no_table": _("This page has no table “{table}”."),
    "sample_notice": _("Records whose code starts with SAMPLE- are fictitious sample data."),
}

# The vocabularies whose values the dashboards write mid-sentence, in charts and in tables: each value is
# said with its vocabulary's label (:mod:`portfolio.choices`), first letter lowered. No value is in two of
# them, so a value alone names its word.
VOCABULARIES: tuple[type[Choice], ...] = (
    PledgeStatus,
    ProjectStatus,
    Stage,
    ProcessKind,
    PledgeKind,
    Area,
    ActivityType,
)
BY_VALUE: dict[str, type[Choice]] = {}
for _vocabulary in VOCABULARIES:
    for _member in _vocabulary:
        if _member.value in BY_VALUE:
            raise RuntimeError(f"{_member.value!r} is in two of the dashboards' vocabularies")
        BY_VALUE[_member.value] = _vocabulary


class Labels:
    """``labels["pledged"]`` in the page's language; ``labels.word(status)`` for a vocabulary term."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.gettext = translations(lang).gettext
        self.pgettext = translations(lang).pgettext
        self.formats = Formats(lang)

    def __getitem__(self, key: str) -> str:
        return self.gettext(CATALOGUE[key])

    def word(self, value: str) -> str:
        """A status, stage, kind, area or activity type as a chart or a sentence writes it: "seeking
        funding", "stockpile security and management" (:func:`portfolio.web.i18n.word`)."""
        vocabulary = BY_VALUE.get(value)
        return word(value, vocabulary, self.lang) if vocabulary else value

    def words(self, values: list[str] | tuple[str, ...]) -> dict[str, str]:
        return {v: self.word(v) for v in values}

    def money(self, amount: Decimal) -> str:
        """Exact, to the cent, as the locale writes euros: €1,234,567.89 (en) or 1 234 567,89 € (fr)."""
        return self.formats.money(amount, "EUR")

    def number(self, value: Decimal | int) -> str:
        return self.formats.number(value if isinstance(value, int) else value.normalize())

    def percent(self, ratio: Decimal | None) -> str:
        """To a tenth of a percent: 45.0% (en) or 45,0 % (fr); a dash when there is no ratio."""
        return self.formats.percent(ratio)

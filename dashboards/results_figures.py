"""The Results page's panels: pure builders, rows from :mod:`dashboards.results_queries` in, panels out.

Every project in a table links to its page, every State to the projects that help it; each panel says
under its title how its numbers are counted."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go
from markupsafe import Markup

from dashboards.figures import COLOURS, MONEY, NUMBER, PERCENT, TEXT, Panel, Table, _layout, esc, table
from dashboards.labels import CATALOGUE, Labels
from dashboards.results_queries import CostSpread, MeasureSplit, MeasureTotal, NormLine, UnitCost
from portfolio.marking import mark as _
from portfolio.norms.schemas import NormKind
from portfolio.projects.measures import BY_CODE, MEASURES
from portfolio.web.i18n import label

CATALOGUE["results"] = _("Results")  # the page's name in the dashboards' navigation

MEASURE_NAMES = {
    "weapons_destroyed": _("Weapons destroyed"),
    "weapons_marked": _("Weapons marked and registered"),
    "weapons_deactivated": _("Weapons deactivated"),
    "ammunition_destroyed": _("Ammunition destroyed"),
    "propellant_disposed": _("Propellant and melange disposed"),
    "depots_upgraded": _("Storage sites upgraded"),
    "people_trained": _("People trained"),
    "people_reached": _("People reached by awareness campaigns"),
    "procedures_adopted": _("Laws, regulations and procedures adopted"),
}
UNIT_NAMES = {
    "weapons": _("weapons"),
    "tonnes": _("tonnes"),
    "sites": _("sites"),
    "people": _("people"),
    "procedures": _("procedures"),
}
PER_UNIT = {
    "weapons": _("per weapon"),
    "tonnes": _("per tonne"),
    "sites": _("per site"),
    "people": _("per person"),
    "procedures": _("per procedure"),
}
TEXTS = {
    "scope": _(
        "Outputs counted in standard measures, which add up across projects: the projects requested in the "
        "chosen years and area, for the chosen State and status. An indicator counts with what it has "
        "achieved so far (its actual); one not yet measured counts nothing."
    ),
    "measures": _("Outputs by standard measure"),
    "measures_def": _(
        "Achieved: the sum of the indicators' actuals, in the measure's own unit; target: the sum of their "
        "targets; % of target: achieved ÷ target. Projects: how many have an indicator of the measure."
    ),
    "people": _("People: women, men and not recorded"),
    "people_def": _(
        "Of the people counted (achieved), those recorded as women, as men, and those whose sex was not "
        "recorded (the total less women and men)."
    ),
    "by_area": _("Outputs by area"),
    "by_beneficiary": _("Outputs by beneficiary State"),
    "by_year": _("Outputs by year"),
    "split_def": _(
        "Achieved, in each measure's unit. A project in several States or areas counts in full for each."
    ),
    "year_def": _(
        "Achieved, in each measure's unit, by the year the indicator's actual was last recorded: results "
        "carry no dates of their own yet, so an output counts in the year someone last entered or changed "
        "its actual (the audit trail's latest such write; for an indicator written without one, its last "
        "change), which may be later than the year the work was done."
    ),
    "cost": _("Cost per unit of output, by project"),
    "cost_spread": _("Cost per unit: the portfolio's median and range"),
    "caveat": _(
        "Projects do more than one thing: the whole budget is divided by one output; compare like with like."
    ),
    "cost_def": _(
        "Budget per unit: the project's whole budget (EUR) ÷ what it achieved of the measure; received per "
        "unit: every euro received for it ÷ the same output. Only outputs above zero are counted."
    ),
    "spread_def": _(
        "Median, lowest and highest cost per unit over the projects of each measure (the table above)."
    ),
    "norms": _("Projects by norm"),
    "norms_def": _(
        "For each OSCE norm: the projects that name it, their budget and pledges (EUR, pledges not "
        "withdrawn), and their outputs by measure. A project under several norms counts in full under each."
    ),
    "measure": _("Measure"),
    "unit": _("Unit"),
    "projects": _("Projects"),
    "target": _("Target"),
    "achieved": _("Achieved"),
    "pct_target": _("% of target"),
    "women": _("Women"),
    "men": _("Men"),
    "not_recorded": _("Not recorded"),
    "total": _("Total"),
    "project": _("Project"),
    "budget": _("Budget"),
    "received": _("Received"),
    "pledged": _("Pledged"),
    "budget_per_unit": _("Budget per unit"),
    "received_per_unit": _("Received per unit"),
    "median": _("Median"),
    "lowest": _("Lowest"),
    "highest": _("Highest"),
    "norm": _("Norm"),
    "kind": _("Kind"),
    "year": _("Year"),
    "state": _("State"),
    "area": _("Area"),
}
BLUE, GREEN, GREY = COLOURS["pledged"], COLOURS["received"], COLOURS["budget"]
# Above the plot, in the order of the bars: a tall chart's legend below it is far from the bars it names.
LEGEND_ON_TOP = {"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0, "traceorder": "normal"}


class Words:
    """The page's texts in its language."""

    def __init__(self, labels: Labels) -> None:
        self.labels = labels
        self.lang = labels.lang

    def __getitem__(self, key: str) -> str:
        return self.labels.gettext(TEXTS[key])

    def measure(self, code: str) -> str:
        return self.labels.gettext(MEASURE_NAMES[code])

    def unit(self, code: str) -> str:
        return self.labels.gettext(UNIT_NAMES[BY_CODE[code].unit])

    def per_unit(self, code: str) -> str:
        return self.labels.gettext(PER_UNIT[BY_CODE[code].unit])

    def measure_with_unit(self, code: str) -> str:
        return f"{self.measure(code)} ({self.unit(code)})"


def wrapped(text: str, width: int = 46) -> str:
    """A long name as a chart's axis label: escaped, on lines of about ``width`` characters."""
    return "<br>".join(esc(line) for line in textwrap.wrap(text, width)[:3])


def _link(href: str, text: str) -> Markup:
    return Markup('<a href="{}">{}</a>').format(href, text)


def _linked(numbers: Table, column: int, hrefs: Sequence[str | None]) -> Table:
    """The table with the cells of one column made links (the CSV keeps the plain text)."""
    for row, href in zip(numbers.rows, hrefs, strict=True):
        if href:
            row[column] = _link(href, row[column])
    return numbers


def project_href(project_id: int) -> str:
    return f"/projects/{project_id}"


def state_href(code: str) -> str:
    return f"/projects?beneficiary={code}"


def measures(totals: list[MeasureTotal], words: Words) -> Panel:
    labels = words.labels
    names = [wrapped(words.measure(t.measure), 30) for t in totals]
    shares = [float(t.achieved * 100) if t.achieved is not None else 0.0 for t in totals]
    fig = go.Figure(
        go.Bar(
            y=names,
            x=shares,
            orientation="h",
            marker_color=BLUE,
            text=[f"{labels.number(t.actual)} {esc(words.unit(t.measure))}" for t in totals],
            hovertemplate="%{y}: %{x:.1f}%<extra></extra>",
        )
    )
    _layout(fig, words["pct_target"], None, height=max(320, 40 * len(totals) + 160))
    fig.update_yaxes(autorange="reversed", automargin=True)
    numbers = table(
        [
            (words["measure"], TEXT),
            (words["unit"], TEXT),
            (words["projects"], NUMBER),
            (words["target"], NUMBER),
            (words["achieved"], NUMBER),
            (words["pct_target"], PERCENT),
        ],
        [
            [words.measure(t.measure), words.unit(t.measure), t.projects, t.target, t.actual, t.achieved]
            for t in totals
        ],
        labels,
    )
    return Panel(
        "results-measures", words["measures"], fig if totals else None, numbers, words["measures_def"]
    )


def people(totals: list[MeasureTotal], words: Words) -> Panel:
    labels = words.labels
    rows = [t for t in totals if BY_CODE[t.measure].people]
    names = [wrapped(words.measure(t.measure), 30) for t in rows]
    parts = [
        (words["women"], BLUE, [t.women for t in rows]),
        (words["men"], GREEN, [t.men for t in rows]),
        (words["not_recorded"], GREY, [t.not_recorded for t in rows]),
    ]
    fig = go.Figure(
        [
            go.Bar(
                y=names, x=[float(v) for v in values], name=esc(name), orientation="h", marker_color=colour
            )
            for name, colour, values in parts
        ]
    )
    fig.update_layout(barmode="stack")
    _layout(fig, labels.gettext(UNIT_NAMES["people"]), None, 340)
    fig.update_layout(legend=LEGEND_ON_TOP, margin_t=96)
    fig.update_yaxes(autorange="reversed", automargin=True)
    numbers = table(
        [
            (words["measure"], TEXT),
            (words["women"], NUMBER),
            (words["men"], NUMBER),
            (words["not_recorded"], NUMBER),
            (words["total"], NUMBER),
        ],
        [[words.measure(t.measure), t.women, t.men, t.not_recorded, t.actual] for t in rows],
        labels,
    )
    return Panel("results-people", words["people"], fig if rows else None, numbers, words["people_def"])


def split(
    panel_id: str,
    title: str,
    first: str,
    splits: list[MeasureSplit],
    words: Words,
    name: Callable[[Any], str],
    href: Callable[[Any], str | None] = lambda _key: None,
    note: str = "",
) -> Panel:
    """One row per key (an area, a State, a year), one column per measure found."""
    codes = [m.code for m in MEASURES if any(s.measure == m.code for s in splits)]
    # Years in order; areas and States by the name shown.
    keys = sorted(
        {s.key for s in splits}, key=lambda k: (k is None, f"{k:06d}" if isinstance(k, int) else name(k))
    )
    got = {(s.key, s.measure): s.actual for s in splits}
    numbers = table(
        [(first, TEXT), *((words.measure_with_unit(c), NUMBER) for c in codes)],
        [[name(k), *(got.get((k, c), Decimal(0)) for c in codes)] for k in keys],
        words.labels,
    )
    return Panel(
        panel_id, title, None, _linked(numbers, 0, [href(k) for k in keys]), note or words["split_def"]
    )


def unit_costs(costs: list[UnitCost], words: Words) -> Panel:
    labels = words.labels
    fig = go.Figure()
    present = {c.measure for c in costs}
    for code in [m.code for m in MEASURES if m.code in present]:
        mine = [c for c in costs if c.measure == code]
        fig.add_trace(
            go.Scatter(
                x=[float(c.budget_per_unit) for c in mine],
                y=[wrapped(words.measure(code), 30)] * len(mine),
                mode="markers",
                marker={"size": 11, "color": BLUE, "opacity": 0.75},
                text=[esc(f"{c.code} — {c.title}") for c in mine],
                customdata=[str(c.budget_per_unit) for c in mine],
                hovertemplate=f"%{{text}}<br>€ %{{customdata}} {esc(words.per_unit(code))}<extra></extra>",
                showlegend=False,
            )
        )
    title = words["cost"]
    _layout(fig, f"{words['budget_per_unit']} (EUR)", None, height=max(320, 50 * len(fig.data) + 180))
    fig.update_xaxes(type="log")
    fig.update_yaxes(automargin=True, autorange="reversed")
    numbers = table(
        [
            (words["measure"], TEXT),
            (words["project"], TEXT),
            (words["achieved"], NUMBER),
            (words["unit"], TEXT),
            (words["budget"], MONEY),
            (words["received"], MONEY),
            (words["budget_per_unit"], MONEY),
            (words["received_per_unit"], MONEY),
        ],
        [
            [
                words.measure(c.measure),
                f"{c.code} — {c.title}",
                c.actual,
                words.unit(c.measure),
                c.budget_eur,
                c.received_eur,
                c.budget_per_unit,
                c.received_per_unit,
            ]
            for c in costs
        ],
        labels,
    )
    numbers = _linked(numbers, 1, [project_href(c.project_id) for c in costs])
    note = f"{words['caveat']} {words['cost_def']}"
    return Panel("results-cost", title, fig if costs else None, numbers, note)


def cost_spread(spreads: list[CostSpread], words: Words) -> Panel:
    numbers = table(
        [
            (words["measure"], TEXT),
            (words["unit"], TEXT),
            (words["projects"], NUMBER),
            (f"{words['budget_per_unit']}: {words['median']}", MONEY),
            (f"{words['budget_per_unit']}: {words['lowest']}", MONEY),
            (f"{words['budget_per_unit']}: {words['highest']}", MONEY),
            (f"{words['received_per_unit']}: {words['median']}", MONEY),
            (f"{words['received_per_unit']}: {words['lowest']}", MONEY),
            (f"{words['received_per_unit']}: {words['highest']}", MONEY),
        ],
        [
            [
                words.measure(s.measure),
                words.per_unit(s.measure),
                s.projects,
                s.median_budget,
                s.min_budget,
                s.max_budget,
                s.median_received,
                s.min_received,
                s.max_received,
            ]
            for s in spreads
        ],
        words.labels,
    )
    return Panel(
        "results-cost-spread", words["cost_spread"], None, numbers, f"{words['caveat']} {words['spread_def']}"
    )


def norms(lines: list[NormLine], words: Words) -> Panel:
    labels = words.labels
    shown = [n for n in lines if n.projects]
    names = [wrapped(n.label(words.lang)) for n in shown]
    fig = go.Figure(
        [
            go.Bar(
                y=names,
                x=[float(n.budget_eur) for n in shown],
                name=esc(words["budget"]),
                orientation="h",
                marker_color=GREY,
                customdata=[str(n.projects) for n in shown],
                hovertemplate=f"%{{y}}<br>{esc(words['budget'])}: € %{{x:,.2f}}<extra></extra>",
            ),
            go.Bar(
                y=names,
                x=[float(n.pledged_eur) for n in shown],
                name=esc(words["pledged"]),
                orientation="h",
                marker_color=BLUE,
                hovertemplate=f"%{{y}}<br>{esc(words['pledged'])}: € %{{x:,.2f}}<extra></extra>",
            ),
        ]
    )
    _layout(fig, f"{words['budget']} (EUR)", None, height=max(340, 64 * len(shown) + 180))
    fig.update_layout(legend=LEGEND_ON_TOP, margin_t=96)
    fig.update_yaxes(autorange="reversed", automargin=True)
    codes = [m.code for m in MEASURES if any(m.code in n.outputs for n in lines)]
    numbers = table(
        [
            (words["norm"], TEXT),
            (words["kind"], TEXT),
            (words["projects"], NUMBER),
            (words["budget"], MONEY),
            (words["pledged"], MONEY),
            *((words.measure_with_unit(c), NUMBER) for c in codes),
        ],
        [
            [
                n.label(words.lang),
                label(n.kind, NormKind, words.lang),
                n.projects,
                n.budget_eur,
                n.pledged_eur,
                *(n.outputs.get(c, Decimal(0)) for c in codes),
            ]
            for n in lines
        ],
        labels,
    )
    for row, line in zip(numbers.values or [], lines, strict=True):
        row[0] = f"{line.code}: {row[0]}"  # the CSV names the norm by its code too
    return Panel("results-norms", words["norms"], fig if shown else None, numbers, words["norms_def"])

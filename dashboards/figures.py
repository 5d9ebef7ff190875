"""Pure figure builders: typed rows in, a Panel (a Plotly figure and the same numbers as a table) out.

No database here. Every amount a trace carries is also in its ``customdata`` as the exact decimal
string the SQL computed; the bar heights are floats for drawing only. A point's ``customdata`` is
``[exact amount, the amount as the page's language writes it, the address of its page]``: the hover
text shows the second (written by Babel, in whole euros), a click on the point follows the third
(``dashboards.js``), and the tables beside the charts carry the same links for keyboards and readers.
Charts carry no title of their own (the page's heading above each is the one title); their legends sit to
the right of the plot, clear of the axis labels; count axes tick in whole numbers; money axes start at 0.
Text typed by users (titles, names) is HTML-escaped before Plotly sees it, so it shows as text.
"""

from __future__ import annotations

import html
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any
from urllib.parse import quote

import plotly.graph_objects as go
from babel import Locale
from babel.numbers import format_currency

from dashboards.labels import Labels
from dashboards.queries import (
    Attention,
    Delivery,
    DonorPledge,
    ProcessCell,
    ProjectIndicator,
    ProjectLine,
    Quarter,
    Split,
    StageCount,
    StatusLine,
)
from portfolio.marking import mark as _
from portfolio.money import plain

COLOURS = {"pledged": "#1f5f99", "received": "#4aa35a", "budget": "#b9c4cf", "gap": "#d0623b"}
STAGE_COLOURS = ["#d9d9d9", "#9ecae1", "#4292c6", "#08519c"]
STAGES = ["planned", "established", "operational", "sustained"]


# The charts' own words, beside the dashboards' catalogue in ``dashboards.labels``.
TEXTS: dict[str, str] = {
    "donors": _("Donors"),
    "donors_table": _("Pledged and received by donor State"),
    "donors_note": _(
        "Every donor State with what it pledged (not withdrawn, in euros at each pledge's own rate) and what"
        " it has paid (in euros at the rate of the month each receipt arrived). Open a donor for its view."
    ),
    "quarter_start": _("Quarter (first day)"),
    "pledged_cumulative": _("Pledged, running total"),
    "received_cumulative": _("Received, running total"),
    "in_quarter": _("in the quarter"),
    "indicators": _("Indicators per project against their own targets"),
    "indicators_note": _(
        "One bar per project and indicator: how far it has come from its baseline towards its own target,"
        " (actual − baseline) ÷ (target − baseline), so that a project that has done nothing since its"
        " baseline is at 0 %; the mark at 100 % is that target. Actual and target in the indicator's own"
        " unit are written beside it, with the baseline when there is one."
    ),
    "share_of_target": _("% of its own target"),
    "own_target": _("Its own target (100 %)"),
    "of_target": _("{actual} of {target} {unit}"),
    "of_target_from": _("{actual} of {target} {unit}, from {baseline}"),
    "baseline": _("Baseline"),
    "project": _("Project"),
    "today": _("Today"),
    "late_start": _("Not started a year after its planned start, still"),
    "late_start_days": _("Days since its planned start, not started"),
    "timeline_note": _(
        "Each project from its planned start to its planned end; the dotted line is today. Orange: it has"
        " overdue milestones (⚠ how many). Hatched and outlined, ⚑: its planned start passed over a year"
        " ago and it is still requested, in assessment, in planning or seeking funding."
    ),
    "map_one": _("One State only: its colour carries no comparison."),
    "map_key": _(
        "Blue: the euros pledged to a State (darker, more); amber: a State the projects help with nothing"
        " pledged yet (€0); grey: a country no project selected helps; pale blue: sea."
    ),
    "click_hint": _("Select a bar, point or State to open its page; the table below has the same links."),
}
# Where the beneficiary map looks: the OSCE's Europe, Caucasus and Central Asia to Mongolia (every State
# that receives assistance); North America joins the frame only when a State there is on the map.
# (Mercator fills the frame there and keeps the Balkans about 100 px wide at the page's width.)
EURASIA: dict[str, Any] = {
    "projection_type": "mercator",
    "lonaxis_range": [-12, 122],
    "lataxis_range": [33, 70],
}
NORTH_AMERICA = {"USA", "CAN"}
WITH_NORTH_AMERICA: dict[str, Any] = {
    "projection_type": "natural earth",
    "lonaxis_range": [-168, 122],
    "lataxis_range": [20, 75],
}


def text(labels: Labels, key: str) -> str:
    return labels.gettext(TEXTS[key])


@cache
def _whole_pattern(lang: str) -> str:
    """The locale's currency pattern without its cents: ``¤#,##0`` (en), ``#,##0 ¤`` (fr)."""
    pattern = Locale.parse(lang).currency_formats["standard"].pattern
    return str(pattern).replace("0.00", "0")


def whole_money(amount: Decimal, labels: Labels) -> str:
    """A hover's amount to the euro, half up, as the page's locale writes it: €5,492,943 or 5 492 943 €."""
    euros = amount.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return format_currency(
        euros, "EUR", format=_whole_pattern(labels.lang), locale=labels.lang, currency_digits=False
    )


def quarter_label(q: Quarter, labels: Labels) -> str:
    return labels["year_quarter"].format(year=q.start.year, number=(q.start.month + 2) // 3)


def project_url(project_id: int) -> str:
    return f"/projects/{project_id}"


def donor_url(code: str, query: str = "") -> str:
    """A donor's view, with the page's filters (``?area=SCA``); none for the "others" bar."""
    return "" if code.startswith("_") else f"/dashboards/donors/{quote(code)}{query}"


def state_url(code: str) -> str:
    """The register of projects filtered on a beneficiary State."""
    return f"/projects?beneficiary={quote(code)}"


@dataclass
class Table:
    """A chart's numbers: ``rows`` as the page shows them (in its language: € 1,234.50, 45.0%), and
    ``values`` as its CSV download holds them (plain numbers such as 1234.50, percentages as 45.0,
    ISO dates), under ``csv_columns`` that name the unit (EUR, %). ``links``: for each row, the address
    its first cell links to ("" for none)."""

    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    values: list[list[str]] | None = None
    csv_columns: list[str] | None = None
    links: list[str] | None = None


# How a column's cells are written: on the page (in the page's language) and in the CSV (plain).
TEXT, MONEY, PERCENT, NUMBER, INTEGER, DATE = "text", "money", "percent", "number", "integer", "date"


def _shown(kind: str, value: object, labels: Labels) -> str:
    if kind == MONEY:
        assert isinstance(value, Decimal)
        return labels.money(value)
    if kind == PERCENT:
        assert value is None or isinstance(value, Decimal)
        return labels.percent(value)
    if kind == NUMBER:
        assert value is None or isinstance(value, Decimal | int)
        return "–" if value is None else labels.number(value)
    return "" if value is None else str(value)


def _plain(kind: str, value: object) -> str:
    if value is None:
        return ""
    if kind == MONEY:
        assert isinstance(value, Decimal)
        return f"{value:.2f}"
    if kind == PERCENT:
        assert isinstance(value, Decimal)
        return str((value * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
    if kind == NUMBER and isinstance(value, Decimal):
        return plain(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def table(
    columns: list[tuple[str, str]],
    records: Sequence[Sequence[object]],
    labels: Labels,
    links: Sequence[str] | None = None,
) -> Table:
    """A table from (heading, kind) columns and rows of values (Decimal, date, int or text); ``links``,
    one address per row (or ""), makes each row's first cell a link."""
    kinds = [kind for _, kind in columns]
    units = {MONEY: " (EUR)", PERCENT: " (%)"}
    return Table(
        [name for name, _ in columns],
        [[_shown(k, v, labels) for k, v in zip(kinds, r, strict=True)] for r in records],
        [[_plain(k, v) for k, v in zip(kinds, r, strict=True)] for r in records],
        [name + units.get(kind, "") for name, kind in columns],
        list(links) if links is not None and any(links) else None,
    )


@dataclass
class Panel:
    id: str
    title: str
    figure: go.Figure | None
    table: Table
    note: str = ""


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def _layout(fig: go.Figure, x: str | None = None, y: str | None = None, height: int = 420) -> go.Figure:
    """Axes, height and style; no title of the figure's own: the panel's heading above it is the chart's one
    title (and names it to screen readers), so the chart never repeats it."""
    fig.update_layout(
        xaxis_title=x,
        yaxis_title=y,
        height=height,
        margin={"l": 60, "r": 20, "t": 30, "b": 60},
        legend={"orientation": "h", "y": -0.2},
        template="plotly_white",
        hoverlabel={"align": "left"},
    )
    return fig


def _money_bar(
    name: str, colour: str, xs: list[str], amounts: list[Decimal], labels: Labels, horizontal: bool = False
) -> go.Bar:
    values = [float(a) for a in amounts]
    common = {
        "name": name,
        "marker_color": colour,
        "customdata": [str(a) for a in amounts],
    }
    if horizontal:
        return go.Bar(
            y=xs,
            x=values,
            orientation="h",
            hovertemplate=f"%{{y}}<br>{name}: € %{{customdata}}<extra></extra>",
            **common,
        )
    return go.Bar(
        x=xs, y=values, hovertemplate=f"%{{x}}<br>{name}: € %{{customdata}}<extra></extra>", **common
    )


# -- the frame every chart of the portfolio pages shares ------------------------------------------


def money_axis(labels: Labels) -> dict[str, Any]:
    """An axis in euros from zero, ticked as the locale writes money: €2M (en), 2 M€ → "2M €" (fr)."""
    prefix, suffix = labels.formats.money_affixes()
    return {
        "title": {"text": f"{labels['amount']} (EUR)"},
        "tickformat": "~s",
        "tickprefix": prefix,
        "ticksuffix": suffix,
        "rangemode": "tozero",
        "automargin": True,
    }


def count_axis(title: str, largest: int) -> dict[str, Any]:
    """An axis of counts: whole-number ticks (never 2.5 changes), a step of at least 1, from zero."""
    rough = max(1.0, largest / 6)
    power = 10 ** math.floor(math.log10(rough))
    step = next(k * power for k in (1, 2, 5, 10) if k * power >= rough)
    return {
        "title": {"text": title},
        "tickformat": ",d",
        "tick0": 0,
        "dtick": step,
        "rangemode": "tozero",
        "automargin": True,
    }


def _frame(
    fig: go.Figure,
    labels: Labels,
    x: dict[str, Any] | str | None = None,
    y: dict[str, Any] | str | None = None,
    height: int = 420,
) -> go.Figure:
    """No title of the figure's own (the page's heading is the chart's one title); the legend to the right
    of the plot, where it cannot cover an axis label; the locale's decimal and group separators."""
    fig.update_layout(
        height=height,
        margin={"l": 70, "r": 20, "t": 30, "b": 60},
        legend={"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1, "yanchor": "top"},
        template="plotly_white",
        hoverlabel={"align": "left"},
        separators=labels.formats.separators(),
    )
    for axis, spec in (("xaxis", x), ("yaxis", y)):
        if isinstance(spec, str):
            fig.update_layout({axis: {"title": {"text": spec}, "automargin": True}})
        elif spec is not None:
            fig.update_layout({axis: spec})
    return fig


def points(amounts: Sequence[Decimal], labels: Labels, urls: Sequence[str] | None = None) -> list[list[str]]:
    """Each point's customdata: [exact amount, the amount in the page's language, its page or ""]."""
    links = list(urls) if urls is not None else [""] * len(amounts)
    return [[str(a), whole_money(a, labels), u] for a, u in zip(amounts, links, strict=True)]


def _bar(
    name: str,
    colour: str,
    categories: list[str],
    amounts: list[Decimal],
    labels: Labels,
    urls: Sequence[str] | None = None,
    horizontal: bool = False,
) -> go.Bar:
    """Bars of euros: heights as floats for drawing, the exact amount, its words and its link per point."""
    values = [float(a) for a in amounts]
    where = "%{y}" if horizontal else "%{x}"
    common: dict[str, Any] = {
        "name": name,
        "marker_color": colour,
        "customdata": points(amounts, labels, urls),
        "hovertemplate": f"{where}<br>{esc(name)}: %{{customdata[1]}}<extra></extra>",
    }
    if horizontal:
        return go.Bar(y=categories, x=values, orientation="h", **common)
    return go.Bar(x=categories, y=values, **common)


def _split_table(
    first: str,
    splits: list[Split],
    labels: Labels,
    with_budget: bool = False,
    with_fx: bool = False,
    links: Sequence[str] | None = None,
) -> Table:
    columns = (
        [(first, TEXT)]
        + ([(labels["budget"], MONEY)] if with_budget else [])
        + [(labels["pledged"], MONEY), (labels["received"], MONEY)]
        + ([(labels["gap"], MONEY)] if with_budget else [])
        + ([(labels["fx_difference"], MONEY)] if with_fx else [])
    )
    records: list[list[Any]] = [
        [s.label]
        + ([s.budget_eur] if with_budget else [])
        + [s.pledged_eur, s.received_eur]
        + ([s.gap_eur] if with_budget else [])
        + ([s.fx_difference_eur] if with_fx else [])
        for s in splits
    ]
    return table(columns, records, labels, links)


def rate_effect_note(splits: list[Split], labels: Labels) -> str:
    """Why a donor can have received more euros than it pledged: said for each donor where it happens."""
    above = [
        labels["fx_above"].format(
            donor=s.label,
            excess=labels.money(s.received_eur - s.pledged_eur),
            fx=labels.money(s.fx_difference_eur),
        )
        for s in splits
        if s.received_eur > s.pledged_eur
    ]
    return " ".join([labels["fx_explained"], *above]) if above else labels["fx_explained"]


def top_with_others(splits: list[Split], labels: Labels, top: int) -> list[Split]:
    if len(splits) <= top:
        return splits
    rest = splits[top:]
    others = Split(
        "_others",
        f"{labels['others']} ({len(rest)})",
        sum((s.pledged_eur for s in rest), Decimal("0.00")),
        sum((s.received_eur for s in rest), Decimal("0.00")),
        Decimal("0.00"),
        sum((s.fx_difference_eur for s in rest), Decimal("0.00")),
    )
    return [*splits[:top], others]


def pledged_received(
    panel_id: str,
    title: str,
    axis: str,
    splits: list[Split],
    labels: Labels,
    horizontal: bool = False,
    note: str = "",
    with_fx: bool = False,
    urls: Sequence[str] | None = None,
    with_budget: bool = False,
) -> Panel:
    """Pledged and received per label; ``with_budget`` adds the budget before them and the open gap after
    (areas, activity types); ``urls``, one page per label, makes bars and table rows links."""
    names = [esc(s.label) for s in splits]
    series = [("pledged", [s.pledged_eur for s in splits]), ("received", [s.received_eur for s in splits])]
    if with_budget:
        series = [
            ("budget", [s.budget_eur for s in splits]),
            *series,
            ("gap", [s.gap_eur for s in splits]),
        ]
    fig = go.Figure(
        [_bar(labels[key], COLOURS[key], names, amounts, labels, urls, horizontal) for key, amounts in series]
    )
    fig.update_layout(barmode="group")
    if horizontal:
        bars = len(series) * len(splits)
        _frame(fig, labels, money_axis(labels), axis, height=max(360, 12 * bars + 24 * len(splits) + 80))
        fig.update_yaxes(autorange="reversed")
    else:
        _frame(fig, labels, axis, money_axis(labels))
    numbers = _split_table(axis, splits, labels, with_budget=with_budget, with_fx=with_fx, links=urls)
    return Panel(panel_id, title, fig, numbers, note)


def delivery(
    panel_id: str,
    title: str,
    first: str,
    lines: Sequence[Delivery],
    labels: Labels,
    note: str = "",
    urls: Sequence[str] | None = None,
) -> Panel:
    """Received, spent and the delivery rate (spent ÷ received) per label: a table, and its CSV."""
    columns = [
        (first, TEXT),
        (labels["received"], MONEY),
        (labels["spent"], MONEY),
        (labels["delivery_rate"], PERCENT),
    ]
    records = [[d.label, d.received_eur, d.spent_eur, d.rate] for d in lines]
    return Panel(panel_id, title, None, table(columns, records, labels, urls), note)


def by_beneficiary(splits: list[Split], labels: Labels) -> Panel:
    names = [esc(s.label) for s in splits]
    urls = [state_url(s.key) for s in splits]
    fig = go.Figure(
        [
            _bar(labels[key], COLOURS[key], names, [getattr(s, f"{key}_eur") for s in splits], labels, urls)
            for key in ("budget", "pledged", "received")
        ]
    )
    fig.update_layout(barmode="group")
    _frame(fig, labels, labels["state_col"], money_axis(labels))
    fig.update_xaxes(tickangle=-30)
    numbers = table(
        [
            (labels["state_col"], TEXT),
            (labels["budget"], MONEY),
            (labels["pledged"], MONEY),
            (labels["received"], MONEY),
        ],
        [[s.label, s.budget_eur, s.pledged_eur, s.received_eur] for s in splits],
        labels,
        urls,
    )
    return Panel("by-beneficiary", labels["by_beneficiary"], fig, numbers, labels["multi_count"])


def map_frame(codes: Sequence[str]) -> dict[str, Any]:
    """The longitudes and latitudes the map shows: the Eurasian OSCE area, North America when needed."""
    return WITH_NORTH_AMERICA if NORTH_AMERICA & set(codes) else EURASIA


ZERO_COLOUR = "#f6d58e"  # a beneficiary State with nothing pledged
NO_DATA_COLOUR = "#e3e3e3"  # a country no project helps: left unpainted, the land's own grey
SEA_COLOUR = "#eef5fb"  # seas, oceans and lakes


def map_colours(largest: Decimal) -> list[list[Any]]:
    """The map's colour scale: €0 in its own pale amber, any amount above it in blues that start well clear
    of white (so that neither is taken for the sea, pale blue, or for a country with no project, grey)."""
    # The amber covers €0 alone: the first blue starts a tenth of a cent above it.
    step = 0.001 / float(largest) if largest > 0 else 0.001
    return [[0.0, ZERO_COLOUR], [step, "#c6dbef"], [0.5, "#4292c6"], [1.0, "#08306b"]]


def beneficiary_map(splits: list[Split], labels: Labels) -> Panel:
    """Pledged per beneficiary State on the OSCE area, from zero: the colour bar runs from €0 to the
    largest State's amount (hidden when one State alone would make its colour mean nothing). A State
    helped with nothing pledged yet (€0) has a colour of its own; countries no project helps are left in
    the land's grey, and the seas are pale blue, so that none of the three looks like another."""
    urls = [state_url(s.key) for s in splits]
    largest = max((s.pledged_eur for s in splits), default=Decimal(0))
    prefix, suffix = labels.formats.money_affixes()
    fig = go.Figure(
        go.Choropleth(
            locations=[s.key for s in splits],
            z=[float(s.pledged_eur) for s in splits],
            zmin=0,
            zmax=float(largest) or 1.0,
            text=[esc(s.label) for s in splits],
            customdata=points([s.pledged_eur for s in splits], labels, urls),
            hovertemplate=f"%{{text}}<br>{esc(labels['pledged'])}: %{{customdata[1]}}<extra></extra>",
            colorscale=map_colours(largest),
            showscale=len(splits) > 1,
            colorbar={
                "title": {"text": labels["pledged"]},
                "tickformat": "~s",
                "tickprefix": prefix,
                "ticksuffix": suffix,
            },
            marker_line_color="#777",
        )
    )
    frame = map_frame([s.key for s in splits])
    fig.update_geos(
        **frame,
        showcountries=True,
        countrycolor="#bbb",
        showland=True,
        landcolor=NO_DATA_COLOUR,
        showocean=True,
        oceancolor=SEA_COLOUR,
        showlakes=True,
        lakecolor=SEA_COLOUR,
        showcoastlines=True,
        coastlinecolor="#9aa9b8",
        showframe=False,
    )
    _frame(fig, labels, height=520)
    fig.update_layout(margin={"l": 10, "r": 10, "t": 10, "b": 10})
    numbers = table(
        [(labels["state_col"], TEXT), (labels["pledged"], MONEY)],
        [[s.label, s.pledged_eur] for s in splits],
        labels,
        urls,
    )
    note = " ".join(
        [labels["multi_count"], text(labels, "map_key")]
        + ([text(labels, "map_one")] if len(splits) == 1 else [])
    )
    return Panel("map", labels["map"], fig, numbers, note)


def every_quarter(quarters: list[Quarter]) -> list[Quarter]:
    """The quarters from the first to the last, a quarter without pledge or receipt included (adding zero
    to the running totals), so that the date axis never jumps over one unseen."""
    if not quarters:
        return []
    seen = {q.start: q for q in quarters}
    out, day = [], quarters[0].start
    running_p, running_r = Decimal("0.00"), Decimal("0.00")
    while day <= quarters[-1].start:
        q = seen.get(day)
        if q is None:
            q = Quarter(
                f"{day.year}-Q{(day.month + 2) // 3}", Decimal("0.00"), Decimal("0.00"), running_p, running_r
            )
        running_p, running_r = q.pledged_cumulative, q.received_cumulative
        out.append(q)
        day = date(day.year + (day.month + 3 > 12), (day.month + 2) % 12 + 1, 1)
    return out


def over_time(quarters: list[Quarter], labels: Labels) -> Panel:
    """Running totals of pledges and receipts on a date axis: each quarter at its first day, every quarter
    between the first and the last drawn (one without money adds zero), ticks named by quarter."""
    quarters = every_quarter(quarters)
    xs = [q.start.isoformat() for q in quarters]
    fig = go.Figure()
    for key, values, added in (
        ("pledged", [q.pledged_cumulative for q in quarters], [q.pledged_eur for q in quarters]),
        ("received", [q.received_cumulative for q in quarters], [q.received_eur for q in quarters]),
    ):
        custom = [
            [*point, quarter_label(q, labels), whole_money(a, labels)]
            for point, q, a in zip(points(values, labels), quarters, added, strict=True)
        ]
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=[float(v) for v in values],
                customdata=custom,
                mode="lines+markers",
                name=text(labels, f"{key}_cumulative"),
                line={"color": COLOURS[key]},
                hovertemplate=f"%{{customdata[3]}}<br>{esc(text(labels, f'{key}_cumulative'))}: "
                f"%{{customdata[1]}}<br>{esc(labels[key])} {esc(text(labels, 'in_quarter'))}: "
                "%{customdata[4]}<extra></extra>",
            )
        )
    ticks = labels["quarter_ticks"]
    x_axis = {
        "type": "date",
        "title": {"text": labels["quarter"]},
        "tickformat": ticks,
        "dtick": "M3" if len(quarters) <= 16 else "M12",
        "tick0": xs[0] if xs else None,
        "automargin": True,
    }
    _frame(fig, labels, x_axis, money_axis(labels))
    numbers = table(
        [
            (labels["quarter"], TEXT),
            (labels["pledged"], MONEY),
            (labels["received"], MONEY),
            (f"{labels['pledged']} Σ", MONEY),
            (f"{labels['received']} Σ", MONEY),
        ],
        [
            [
                quarter_label(q, labels),
                q.pledged_eur,
                q.received_eur,
                q.pledged_cumulative,
                q.received_cumulative,
            ]
            for q in quarters
        ],
        labels,
    )
    return Panel("over-time", labels["over_time"], fig, numbers)


def gaps(lines: list[ProjectLine], labels: Labels) -> Panel:
    names = [esc(f"{p.code} — {p.title}") for p in lines]
    urls = [project_url(p.id) for p in lines]
    fig = go.Figure(
        [
            _bar(
                labels["pledged"],
                COLOURS["pledged"],
                names,
                [p.pledged_eur for p in lines],
                labels,
                urls,
                True,
            ),
            _bar(
                labels["gap"],
                COLOURS["gap"],
                names,
                [p.gap_eur or Decimal("0.00") for p in lines],
                labels,
                urls,
                True,
            ),
        ]
    )
    fig.update_layout(barmode="stack")
    _frame(fig, labels, money_axis(labels), None, height=max(380, 30 * len(lines) + 120))
    fig.update_yaxes(autorange="reversed", automargin=True)
    numbers = table(
        [
            (labels["code"], TEXT),
            (labels["title"], TEXT),
            (labels["status"], TEXT),
            (labels["area"], TEXT),
            (labels["beneficiary"], TEXT),
            (labels["budget"], MONEY),
            (labels["pledged"], MONEY),
            (labels["gap"], MONEY),
            (labels["coverage"], PERCENT),
        ],
        [
            [
                p.code,
                p.title,
                labels.word(p.status),
                p.areas,
                p.beneficiaries,
                p.budget_eur,
                p.pledged_eur,
                p.gap_eur,
                p.coverage,
            ]
            for p in lines
        ],
        labels,
        urls,
    )
    return Panel("gaps", labels["gaps_chart"], fig, numbers, labels["gaps_note"])


STATUS_ORDER = [
    "requested",
    "assessment",
    "planning",
    "seeking_funding",
    "implementation",
    "on_hold",
    "completed",
    "cancelled",
]


def by_status(lines: list[StatusLine], labels: Labels) -> Panel:
    lines = sorted(lines, key=lambda s: STATUS_ORDER.index(s.status) if s.status in STATUS_ORDER else 99)
    names = [labels.word(s.status) for s in lines]
    urls = [f"/projects?status={quote(s.status)}" for s in lines]
    # [exact budget, its words, the number of projects, the register filtered on the status]
    custom = [
        [str(s.budget_eur), whole_money(s.budget_eur, labels), str(s.projects), u]
        for s, u in zip(lines, urls, strict=True)
    ]
    fig = go.Figure(
        [
            go.Bar(
                x=names,
                y=[float(s.budget_eur) for s in lines],
                customdata=custom,
                text=[str(s.projects) for s in lines],
                textposition="outside",
                name=labels["budget"],
                marker_color=COLOURS["budget"],
                hovertemplate=f"%{{x}}<br>{esc(labels['projects'])}: %{{customdata[2]}}"
                f"<br>{esc(labels['budget'])}: %{{customdata[1]}}<extra></extra>",
            ),
        ]
    )
    y_axis = {**money_axis(labels), "title": {"text": f"{labels['budget']} (EUR)"}}
    _frame(fig, labels, labels["status"], y_axis)
    numbers = table(
        [(labels["status"], TEXT), (labels["projects"], INTEGER), (labels["budget"], MONEY)],
        [[labels.word(s.status), s.projects, s.budget_eur] for s in lines],
        labels,
        urls,
    )
    return Panel("by-status", labels["by_status"], fig, numbers)


# Statuses before a project starts: one still in them more than a year after its planned start is flagged.
NOT_STARTED = ("requested", "assessment", "planning", "seeking_funding")
LATE_START = timedelta(days=365)


def shortened(title: str, width: int = 40) -> str:
    """A long title cut to about ``width`` characters at a word, with an ellipsis; a short one whole."""
    if len(title) <= width:
        return title
    cut = title[: width - 1].rsplit(" ", 1)[0] if " " in title[: width - 1] else title[: width - 1]
    return cut.rstrip(" ,;:—-") + "…"


def late_start(p: ProjectLine, today: date) -> int | None:
    """Days since its planned start, for a project that should have started over a year ago and is still
    requested, in assessment, in planning or seeking funding; None for any other."""
    if p.start_date is None or p.status not in NOT_STARTED or today - p.start_date <= LATE_START:
        return None
    return (today - p.start_date).days


def timeline(lines: list[ProjectLine], labels: Labels, today: date | None = None) -> Panel:
    """Each dated project from its planned start to its end, named by code and (shortened) title, with its
    percent complete and overdue milestones; a dotted line at today; a project still to start over a year
    after its planned start is hatched and marked ⚑."""
    today = today or date.today()
    dated = [p for p in lines if p.start_date and p.end_date]
    dated.sort(key=lambda p: p.start_date or date.min)
    late = [late_start(p, today) for p in dated]
    fig = go.Figure(_timeline_bar(dated, late, labels))
    _frame(
        fig,
        labels,
        {"type": "date", "title": {"text": labels["year"]}, "tickformat": "%Y", "automargin": True},
        None,
        height=max(380, 26 * len(dated) + 140),
    )
    fig.update_yaxes(autorange="reversed", automargin=True)
    _mark_today(fig, today, labels)
    numbers = _timeline_table(dated, late, labels)
    return Panel("timeline", labels["timeline"], fig, numbers, text(labels, "timeline_note"))


def _timeline_bar(dated: list[ProjectLine], late: list[int | None], labels: Labels) -> go.Bar:
    """One bar per project from its start to its end: red with overdue milestones, hatched when late."""
    late_words = text(labels, "late_start")
    return go.Bar(
        y=[esc(f"{p.code} — {shortened(p.title)}") for p in dated],
        base=[p.start_date.isoformat() for p in dated if p.start_date],
        x=[
            ((p.end_date - p.start_date) / timedelta(milliseconds=1)) if p.start_date and p.end_date else 0
            for p in dated
        ],
        orientation="h",
        marker={
            "color": ["#d0623b" if p.overdue_milestones else "#1f5f99" for p in dated],
            "pattern": {
                "shape": ["/" if days is not None else "" for days in late],
                "fgcolor": "#ffffff",
                "solidity": 0.35,
            },
            "line": {
                "color": ["#7a2e00" if days is not None else "rgba(0,0,0,0)" for days in late],
                "width": 2,
            },
        },
        text=[
            ("⚑ " if days is not None else "")
            + f"{labels.percent(p.percent / 100) if p.percent is not None else '–'}"
            + (f" ⚠ {p.overdue_milestones}" if p.overdue_milestones else "")
            for p, days in zip(dated, late, strict=True)
        ],
        textposition="inside",
        customdata=[
            [
                esc(f"{p.code} — {p.title}"),
                labels.formats.date(p.start_date),
                labels.formats.date(p.end_date),
                p.overdue_milestones,
                f"<br>⚑ {esc(late_words)}: {esc(labels.word(p.status))}" if days is not None else "",
                project_url(p.id),
            ]
            for p, days in zip(dated, late, strict=True)
        ],
        hovertemplate="%{customdata[0]}<br>%{customdata[1]} → %{customdata[2]}<br>"
        f"{esc(labels['percent_complete'])}: %{{text}}<br>"
        f"{esc(labels['overdue'])}: %{{customdata[3]}}%{{customdata[4]}}<extra></extra>",
        name=labels["timeline"],
        showlegend=False,
    )


def _mark_today(fig: go.Figure, today: date, labels: Labels) -> None:
    """Today, as a dotted line across the bars, named at its top."""
    fig.add_shape(
        type="line",
        xref="x",
        yref="paper",
        x0=today.isoformat(),
        x1=today.isoformat(),
        y0=0,
        y1=1,
        line={"color": "#333333", "width": 1.5, "dash": "dot"},
        name="today",
    )
    fig.add_annotation(
        x=today.isoformat(),
        xref="x",
        y=1,
        yref="paper",
        yanchor="bottom",
        text=esc(text(labels, "today")),
        showarrow=False,
        font={"size": 11, "color": "#333333"},
    )


def _timeline_table(dated: list[ProjectLine], late: list[int | None], labels: Labels) -> Table:
    return table(
        [
            (labels["code"], TEXT),
            (labels["title"], TEXT),
            (labels["status"], TEXT),
            (labels["start"], DATE),
            (labels["end"], DATE),
            (labels["percent_complete"], PERCENT),
            (labels["overdue"], INTEGER),
            (text(labels, "late_start_days"), INTEGER),
        ],
        [
            [
                p.code,
                p.title,
                labels.word(p.status),
                p.start_date,
                p.end_date,
                p.percent / 100 if p.percent is not None else None,
                p.overdue_milestones,
                days,
            ]
            for p, days in zip(dated, late, strict=True)
        ],
        labels,
        [project_url(p.id) for p in dated],
    )


def indicators(lines: list[ProjectIndicator], labels: Labels) -> Panel:
    """Each project's indicators against their own targets: a bar per project and indicator at actual ÷
    its target (in %), a mark at 100 % on every row (that row's own target), and the two numbers in the
    indicator's unit beside the bar and in the hover."""
    rows = [esc(f"{i.project_code} · {i.name}") for i in lines]
    urls = [project_url(i.project_id) for i in lines]
    # a bar never reaches below zero (an indicator that moved away from its target): its table says how far
    shares = [max(float(i.share * 100), 0.0) if i.share is not None else 0.0 for i in lines]
    words = [
        text(labels, "of_target_from" if i.baseline else "of_target").format(
            actual="–" if i.actual is None else labels.number(i.actual),
            target=labels.number(i.target),
            unit=esc(i.unit),
            baseline=labels.number(i.baseline),
        )
        for i in lines
    ]
    custom = [[w, labels.percent(i.share), u] for w, i, u in zip(words, lines, urls, strict=True)]
    fig = go.Figure(_indicator_traces(rows, shares, words, custom, labels))
    top = max([100.0, *shares]) * 1.45  # room for the words beside the longest bar
    _frame(
        fig,
        labels,
        {
            "title": {"text": text(labels, "share_of_target")},
            "range": [0, top],
            "ticksuffix": labels.formats.percent_suffix(),
            "tickformat": ",d",
            "automargin": True,
        },
        None,
        height=max(380, 26 * len(lines) + 140),
    )
    fig.update_yaxes(autorange="reversed", automargin=True)
    numbers = table(
        [
            (text(labels, "project"), TEXT),
            (labels["indicator"], TEXT),
            (labels["unit"], TEXT),
            (labels["target"], NUMBER),
            (labels["actual"], NUMBER),
            (text(labels, "share_of_target"), PERCENT),
            (text(labels, "baseline"), NUMBER),
        ],
        [[i.project_code, i.name, i.unit, i.target, i.actual, i.share, i.baseline] for i in lines],
        labels,
        urls,
    )
    return Panel("indicators", text(labels, "indicators"), fig, numbers, text(labels, "indicators_note"))


def _indicator_traces(
    rows: list[str], shares: list[float], words: list[str], custom: list[list[str]], labels: Labels
) -> list[go.Bar | go.Scatter]:
    """The bars at actual ÷ target, a mark at each row's own target, and the numbers in words beside them."""
    return [
        go.Bar(
            y=rows,
            x=shares,
            orientation="h",
            name=labels["actual"],
            marker_color=COLOURS["received"],
            customdata=custom,
            hovertemplate=f"%{{y}}<br>{esc(labels['actual'])}: %{{customdata[0]}} (%{{customdata[1]}})"
            "<extra></extra>",
        ),
        go.Scatter(
            y=rows,
            x=[100.0] * len(rows),
            mode="markers",
            name=text(labels, "own_target"),
            marker={"symbol": "line-ns", "size": 16, "line": {"width": 3, "color": "#333"}},
            customdata=custom,
            hovertemplate=f"%{{y}}<br>{esc(text(labels, 'own_target'))}: %{{customdata[0]}}<extra></extra>",
        ),
        # the numbers in the indicator's unit, right of the bar or of its target mark, whichever is
        # further, so that neither covers them
        go.Scatter(
            y=rows,
            x=[max(100.0, share) + 2 for share in shares],
            mode="text",
            text=words,
            textposition="middle right",
            hoverinfo="skip",
            showlegend=False,
            cliponaxis=False,
        ),
    ]


def maturity_matrix(cells: list[ProcessCell], names: dict[str, str], labels: Labels) -> Panel:
    states = sorted({c.state for c in cells}, key=lambda s: names.get(s, s))
    processes = sorted({c.name for c in cells})
    z: list[list[float | None]] = [[None] * len(processes) for _ in states]
    hover: list[list[str]] = [[""] * len(processes) for _ in states]
    for c in cells:
        i, j = states.index(c.state), processes.index(c.name)
        z[i][j] = float(STAGES.index(c.stage)) if c.stage in STAGES else None
        hover[i][j] = labels.word(c.stage)
    scale = []
    for k, colour in enumerate(STAGE_COLOURS):
        scale += [[k / 4, colour], [(k + 1) / 4, colour]]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[esc(p) for p in processes],
            y=[esc(names.get(s, s)) for s in states],
            customdata=hover,
            zmin=-0.5,
            zmax=3.5,
            colorscale=scale,
            xgap=2,
            ygap=2,
            colorbar={
                "tickvals": [0, 1, 2, 3],
                "ticktext": [labels.word(s) for s in STAGES],
                "title": {"text": labels["stage"]},
            },
            hovertemplate="%{y}<br>%{x}<br>%{customdata}<extra></extra>",
        )
    )
    _frame(fig, labels, labels["process"], labels["state_col"], height=max(380, 34 * len(states) + 200))
    fig.update_xaxes(tickangle=-30, automargin=True)
    numbers = table(
        [
            (labels["state_col"], TEXT),
            (labels["process"], TEXT),
            (labels["kind"], TEXT),
            (labels["stage"], TEXT),
            (labels["established_on"], DATE),
        ],
        [
            [names.get(c.state, c.state), c.name, labels.word(c.kind), labels.word(c.stage), c.established_on]
            for c in cells
        ],
        labels,
        [state_url(c.state) for c in cells],
    )
    return Panel("matrix", labels["matrix"], fig, numbers)


def stage_changes(counts: list[StageCount], labels: Labels) -> Panel:
    years = sorted({c.year for c in counts})
    per: dict[str, dict[int, int]] = defaultdict(dict)
    for c in counts:
        per[c.stage][c.year] = c.changes
    fig = go.Figure(
        [
            go.Bar(
                x=[str(y) for y in years],
                y=[per[s].get(y, 0) for y in years],
                name=labels.word(s),
                marker_color=STAGE_COLOURS[k],
                hovertemplate=f"%{{x}}<br>{esc(labels.word(s))}: %{{y:,d}}<extra></extra>",
            )
            for k, s in enumerate(STAGES)
        ]
    )
    fig.update_layout(barmode="stack")
    largest = max((sum(per[s].get(y, 0) for s in STAGES) for y in years), default=0)
    _frame(
        fig,
        labels,
        {"title": {"text": labels["year"]}, "type": "category", "automargin": True},
        count_axis(labels["changes"], largest),
    )
    numbers = table(
        [(labels["year"], INTEGER), (labels["stage"], TEXT), (labels["changes"], INTEGER)],
        [[c.year, labels.word(c.stage), c.changes] for c in counts],
        labels,
    )
    return Panel("stage-changes", labels["stage_changes"], fig, numbers)


def donor_pledges(pledges: list[DonorPledge], labels: Labels) -> Panel:
    projects = sorted({p.project_code for p in pledges})
    totals: dict[tuple[str, str], Decimal] = defaultdict(lambda: Decimal("0.00"))
    for p in pledges:  # one pass: a large donor has tens of thousands of pledges
        totals[p.project_code, p.status] += p.amount_eur
    fig = go.Figure()
    for status in ("pledged", "committed", "paid", "withdrawn"):
        amounts = [totals.get((code, status), Decimal("0.00")) for code in projects]
        if any(amounts):
            fig.add_trace(
                _money_bar(
                    labels.word(status),
                    {"pledged": "#9ecae1", "committed": "#1f5f99", "paid": "#4aa35a", "withdrawn": "#bbbbbb"}[
                        status
                    ],
                    [esc(c) for c in projects],
                    amounts,
                    labels,
                )
            )
    fig.update_layout(barmode="stack")
    _layout(fig, labels["code"], f"{labels['amount']} (EUR)")
    numbers = table(
        [
            (labels["code"], TEXT),
            (labels["title"], TEXT),
            (labels["status"], TEXT),
            (labels["kind"], TEXT),
            (labels["amount"], NUMBER),
            (labels["currency"], TEXT),
            (labels["pledged"], MONEY),
            (labels["received"], MONEY),
        ],
        [
            [
                p.project_code,
                p.project_title,
                labels.word(p.status),
                labels.word(p.kind),
                p.amount,
                p.currency,
                p.amount_eur,
                p.received_eur,
            ]
            for p in pledges
        ],
        labels,
    )
    return Panel("donor-pledges", labels["donor_pledges"], fig, numbers)


def donor_received(pledges: list[DonorPledge], labels: Labels) -> Panel:
    active = [p for p in pledges if p.status != "withdrawn"]
    received = sum((p.received_eur for p in active), Decimal("0.00"))
    pledged = sum((p.amount_eur for p in active), Decimal("0.00"))
    # Owed pledge by pledge: a pledge that arrived worth more in euros does not offset another still owed.
    outstanding = sum((max(p.amount_eur - p.received_eur, Decimal("0.00")) for p in active), Decimal("0.00"))
    names = [labels["received"], labels["outstanding"]]
    fig = go.Figure(
        go.Bar(
            x=names,
            y=[float(received), float(outstanding)],
            customdata=[str(received), str(outstanding)],
            marker_color=[COLOURS["received"], COLOURS["gap"]],
            hovertemplate="%{x}: € %{customdata}<extra></extra>",
            name=labels["donor_received"],
        )
    )
    _layout(fig, None, f"{labels['amount']} (EUR)")
    numbers = table(
        [(labels["pledged"], MONEY), (labels["received"], MONEY), (labels["outstanding"], MONEY)],
        [[pledged, received, outstanding]],
        labels,
    )
    return Panel("donor-received", labels["donor_received"], fig, numbers)


def process_list(
    panel_id: str, title: str, cells: list[ProcessCell], names: dict[str, str], labels: Labels
) -> Panel:
    counts = [sum(1 for c in cells if c.stage == s) for s in STAGES]
    fig = go.Figure(
        go.Bar(
            x=[labels.word(s) for s in STAGES],
            y=counts,
            marker_color=STAGE_COLOURS,
            hovertemplate="%{x}: %{y}<extra></extra>",
            name=title,
        )
    )
    _layout(fig, labels["stage"], labels["process"])
    numbers = table(
        [
            (labels["state_col"], TEXT),
            (labels["process"], TEXT),
            (labels["kind"], TEXT),
            (labels["stage"], TEXT),
        ],
        [[names.get(c.state, c.state), c.name, labels.word(c.kind), labels.word(c.stage)] for c in cells],
        labels,
    )
    return Panel(panel_id, title, fig, numbers)


def attention(
    panel_id: str,
    items: list[Attention],
    labels: Labels,
    note: str = "",
    names: dict[str, str] | None = None,
) -> Panel:
    """A list of records to look at. The page writes a pledge's amount as its language writes money in
    that currency, its donor by name and a project's status in words; the CSV keeps the plain detail
    (``DEU: 382000.00 DKK``)."""
    names = names or {}
    numbers = table(
        [(labels["record"], TEXT), (labels["detail"], TEXT), (labels["since"], DATE)],
        [[a.record, a.detail, a.since] for a in items],
        labels,
        [project_url(a.project_id) if a.project_id is not None else "" for a in items],
    )
    for row, a in zip(numbers.rows, items, strict=True):
        if a.amount is not None:
            who = names.get(a.donor, a.donor) if a.donor else labels["budget"]
            row[1] = labels["who_amount"] % {"who": who, "amount": labels.formats.money(a.amount, a.currency)}
        elif a.phrase:
            row[1] = labels[a.phrase] % {
                name: _figure(labels, value, kind) for name, value, kind in a.figures
            }
        elif a.status:
            row[1] = a.detail.removesuffix(f" ({a.status})") + f" ({labels.word(a.status)})"
    return Panel(panel_id, labels[panel_id], None, numbers, note)


def _figure(labels: Labels, value: Decimal | int, kind: str) -> str:
    """A figure of a sentence, as the page's language writes it."""
    if kind == "money":
        return labels.money(Decimal(value))
    if kind == "share":
        return labels.percent(Decimal(value))
    return labels.formats.number(int(value))


def donors_index(donors: list[Split], labels: Labels, query: str = "") -> Panel:
    """Every donor State's pledged and received totals, each row linking to its donor view."""
    numbers = table(
        [(labels["donor_col"], TEXT), (labels["pledged"], MONEY), (labels["received"], MONEY)],
        [[s.label, s.pledged_eur, s.received_eur] for s in donors],
        labels,
        [donor_url(s.key, query) for s in donors],
    )
    return Panel("donors", text(labels, "donors_table"), None, numbers, text(labels, "donors_note"))

"""Pure figure builders: typed rows in, a Panel (a Plotly figure and the same numbers as a table) out.

No database here. Every amount a trace carries is also in its ``customdata`` as the exact decimal
string the SQL computed, which the hover text shows; the bar heights are floats for drawing only.
Text typed by users (titles, names) is HTML-escaped before Plotly sees it, so it shows as text.
"""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import plotly.graph_objects as go

from dashboards.labels import Labels
from dashboards.queries import (
    Attention,
    DonorPledge,
    IndicatorLine,
    ProcessCell,
    ProjectLine,
    Quarter,
    Split,
    StageCount,
    StatusLine,
)
from portfolio.money import plain, ratio

COLOURS = {"pledged": "#1f5f99", "received": "#4aa35a", "budget": "#b9c4cf", "gap": "#d0623b"}
STAGE_COLOURS = ["#d9d9d9", "#9ecae1", "#4292c6", "#08519c"]
STAGES = ["planned", "established", "operational", "sustained"]


@dataclass
class Table:
    """A chart's numbers: ``rows`` as the page shows them (in its language: € 1,234.50, 45.0%), and
    ``values`` as its CSV download holds them (plain numbers such as 1234.50, percentages as 45.0,
    ISO dates), under ``csv_columns`` that name the unit (EUR, %)."""

    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    values: list[list[str]] | None = None
    csv_columns: list[str] | None = None


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
        assert isinstance(value, Decimal | int)
        return labels.number(value)
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


def table(columns: list[tuple[str, str]], records: Sequence[Sequence[object]], labels: Labels) -> Table:
    """A table from (heading, kind) columns and rows of values (Decimal, date, int or text)."""
    kinds = [kind for _, kind in columns]
    units = {MONEY: " (EUR)", PERCENT: " (%)"}
    return Table(
        [name for name, _ in columns],
        [[_shown(k, v, labels) for k, v in zip(kinds, r, strict=True)] for r in records],
        [[_plain(k, v) for k, v in zip(kinds, r, strict=True)] for r in records],
        [name + units.get(kind, "") for name, kind in columns],
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


def _layout(
    fig: go.Figure, title: str, x: str | None = None, y: str | None = None, height: int = 420
) -> go.Figure:
    fig.update_layout(
        title={"text": esc(title)},
        xaxis_title=x,
        yaxis_title=y,
        height=height,
        margin={"l": 60, "r": 20, "t": 60, "b": 60},
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


def _split_table(
    first: str, splits: list[Split], labels: Labels, with_budget: bool = False, with_fx: bool = False
) -> Table:
    columns = (
        [(first, TEXT)]
        + ([(labels["budget"], MONEY)] if with_budget else [])
        + [(labels["pledged"], MONEY), (labels["received"], MONEY)]
        + ([(labels["fx_difference"], MONEY)] if with_fx else [])
    )
    records: list[list[Any]] = [
        [s.label]
        + ([s.budget_eur] if with_budget else [])
        + [s.pledged_eur, s.received_eur]
        + ([s.fx_difference_eur] if with_fx else [])
        for s in splits
    ]
    return table(columns, records, labels)


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
) -> Panel:
    names = [esc(s.label) for s in splits]
    fig = go.Figure(
        [
            _money_bar(
                labels["pledged"],
                COLOURS["pledged"],
                names,
                [s.pledged_eur for s in splits],
                labels,
                horizontal,
            ),
            _money_bar(
                labels["received"],
                COLOURS["received"],
                names,
                [s.received_eur for s in splits],
                labels,
                horizontal,
            ),
        ]
    )
    fig.update_layout(barmode="group")
    money_axis = f"{labels['amount']} (EUR)"
    if horizontal:
        _layout(fig, title, money_axis, axis, height=max(360, 40 * len(splits) + 140))
        fig.update_yaxes(autorange="reversed")
    else:
        _layout(fig, title, axis, money_axis)
    return Panel(panel_id, title, fig, _split_table(axis, splits, labels, with_fx=with_fx), note)


def by_beneficiary(splits: list[Split], labels: Labels) -> Panel:
    names = [esc(s.label) for s in splits]
    fig = go.Figure(
        [
            _money_bar(labels["budget"], COLOURS["budget"], names, [s.budget_eur for s in splits], labels),
            _money_bar(labels["pledged"], COLOURS["pledged"], names, [s.pledged_eur for s in splits], labels),
            _money_bar(
                labels["received"], COLOURS["received"], names, [s.received_eur for s in splits], labels
            ),
        ]
    )
    fig.update_layout(barmode="group")
    _layout(fig, labels["by_beneficiary"], labels["state_col"], f"{labels['amount']} (EUR)")
    return Panel(
        "by-beneficiary",
        labels["by_beneficiary"],
        fig,
        _split_table(labels["state_col"], splits, labels, with_budget=True),
        labels["multi_count"],
    )


def beneficiary_map(splits: list[Split], labels: Labels) -> Panel:
    fig = go.Figure(
        go.Choropleth(
            locations=[s.key for s in splits],
            z=[float(s.pledged_eur) for s in splits],
            text=[esc(s.label) for s in splits],
            customdata=[str(s.pledged_eur) for s in splits],
            hovertemplate=f"%{{text}}<br>{labels['pledged']}: € %{{customdata}}<extra></extra>",
            colorscale="Blues",
            colorbar={"title": {"text": "EUR"}},
            marker_line_color="#777",
        )
    )
    fig.update_geos(
        projection_type="natural earth",
        lonaxis_range=[-130, 150],
        lataxis_range=[20, 80],
        showcountries=True,
        countrycolor="#bbb",
        showland=True,
        landcolor="#f2f2f2",
    )
    _layout(fig, labels["map"], height=460)
    numbers = table(
        [(labels["state_col"], TEXT), (labels["pledged"], MONEY)],
        [[s.label, s.pledged_eur] for s in splits],
        labels,
    )
    return Panel("map", labels["map"], fig, numbers, labels["multi_count"])


def over_time(quarters: list[Quarter], labels: Labels) -> Panel:
    xs = [q.label for q in quarters]
    fig = go.Figure()
    for key, values in (
        ("pledged", [q.pledged_cumulative for q in quarters]),
        ("received", [q.received_cumulative for q in quarters]),
    ):
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=[float(v) for v in values],
                customdata=[str(v) for v in values],
                mode="lines+markers",
                name=labels[key],
                line={"color": COLOURS[key]},
                hovertemplate=f"%{{x}}<br>{labels[key]}: € %{{customdata}}<extra></extra>",
            )
        )
    _layout(fig, labels["over_time"], labels["quarter"], f"{labels['amount']} (EUR)")
    numbers = table(
        [
            (labels["quarter"], TEXT),
            (labels["pledged"], MONEY),
            (labels["received"], MONEY),
            (f"{labels['pledged']} Σ", MONEY),
            (f"{labels['received']} Σ", MONEY),
        ],
        [
            [q.label, q.pledged_eur, q.received_eur, q.pledged_cumulative, q.received_cumulative]
            for q in quarters
        ],
        labels,
    )
    return Panel("over-time", labels["over_time"], fig, numbers)


def gaps(lines: list[ProjectLine], labels: Labels) -> Panel:
    names = [esc(f"{p.code} — {p.title}") for p in lines]
    fig = go.Figure(
        [
            _money_bar(
                labels["gap"], COLOURS["gap"], names, [p.gap_eur for p in lines], labels, horizontal=True
            ),
            _money_bar(
                labels["pledged"],
                COLOURS["pledged"],
                names,
                [p.pledged_eur for p in lines],
                labels,
                horizontal=True,
            ),
        ]
    )
    fig.update_layout(barmode="stack")
    _layout(
        fig, labels["gaps_chart"], f"{labels['amount']} (EUR)", None, height=max(380, 36 * len(lines) + 160)
    )
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
    )
    return Panel("gaps", labels["gaps_chart"], fig, numbers, labels["gaps_note"])


def by_status(lines: list[StatusLine], labels: Labels) -> Panel:
    order = [
        "requested",
        "assessment",
        "planning",
        "seeking_funding",
        "implementation",
        "on_hold",
        "completed",
        "cancelled",
    ]
    lines = sorted(lines, key=lambda s: order.index(s.status) if s.status in order else 99)
    names = [labels.word(s.status) for s in lines]
    fig = go.Figure(
        [
            go.Bar(
                x=names,
                y=[float(s.budget_eur) for s in lines],
                customdata=[str(s.budget_eur) for s in lines],
                text=[str(s.projects) for s in lines],
                textposition="outside",
                name=labels["budget"],
                marker_color=COLOURS["budget"],
                hovertemplate=f"%{{x}}<br>{labels['projects']}: %{{text}}"
                f"<br>{labels['budget']}: € %{{customdata}}<extra></extra>",
            ),
        ]
    )
    _layout(fig, labels["by_status"], labels["status"], f"{labels['budget']} (EUR)")
    numbers = table(
        [(labels["status"], TEXT), (labels["projects"], INTEGER), (labels["budget"], MONEY)],
        [[labels.word(s.status), s.projects, s.budget_eur] for s in lines],
        labels,
    )
    return Panel("by-status", labels["by_status"], fig, numbers)


def timeline(lines: list[ProjectLine], labels: Labels) -> Panel:
    dated = [p for p in lines if p.start_date and p.end_date]
    dated.sort(key=lambda p: p.start_date or date.min)
    names = [esc(p.code) for p in dated]
    fig = go.Figure(
        go.Bar(
            y=names,
            base=[p.start_date.isoformat() for p in dated if p.start_date],
            x=[
                ((p.end_date - p.start_date) / timedelta(milliseconds=1))
                if p.start_date and p.end_date
                else 0
                for p in dated
            ],
            orientation="h",
            marker_color=["#d0623b" if p.overdue_milestones else "#1f5f99" for p in dated],
            text=[
                f"{labels.percent(p.percent / 100) if p.percent is not None else '–'}"
                + (f" ⚠ {p.overdue_milestones}" if p.overdue_milestones else "")
                for p in dated
            ],
            textposition="inside",
            customdata=[
                [
                    esc(p.title),
                    p.start_date.isoformat() if p.start_date else "",
                    p.end_date.isoformat() if p.end_date else "",
                    p.overdue_milestones,
                ]
                for p in dated
            ],
            hovertemplate="%{y} — %{customdata[0]}<br>%{customdata[1]} → %{customdata[2]}<br>"
            f"{labels['percent_complete']}: %{{text}}<br>"
            f"{labels['overdue']}: %{{customdata[3]}}<extra></extra>",
            name=labels["timeline"],
        )
    )
    _layout(fig, labels["timeline"], labels["year"], None, height=max(380, 26 * len(dated) + 140))
    fig.update_xaxes(type="date")
    fig.update_yaxes(autorange="reversed")
    numbers = table(
        [
            (labels["code"], TEXT),
            (labels["title"], TEXT),
            (labels["status"], TEXT),
            (labels["start"], DATE),
            (labels["end"], DATE),
            (labels["percent_complete"], PERCENT),
            (labels["overdue"], INTEGER),
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
            ]
            for p in dated
        ],
        labels,
    )
    return Panel("timeline", labels["timeline"], fig, numbers)


def indicators(lines: list[IndicatorLine], labels: Labels) -> Panel:
    names = [esc(f"{i.name} ({i.unit})") for i in lines]
    fig = go.Figure(
        [
            go.Bar(
                x=names,
                y=[100.0] * len(lines),
                name=labels["target"],
                marker_color=COLOURS["budget"],
                customdata=[f"{labels.number(i.target)} {esc(i.unit)}" for i in lines],
                hovertemplate=f"%{{x}}<br>{labels['target']}: %{{customdata}}<extra></extra>",
            ),
            go.Bar(
                x=names,
                y=[float(i.actual / i.target * 100) if i.target else 0.0 for i in lines],
                name=labels["actual"],
                marker_color=COLOURS["received"],
                customdata=[f"{labels.number(i.actual)} {esc(i.unit)}" for i in lines],
                hovertemplate=f"%{{x}}<br>{labels['actual']}: %{{customdata}} (%{{y:.1f}}%)<extra></extra>",
            ),
        ]
    )
    fig.update_layout(barmode="group")
    _layout(fig, labels["indicators"], labels["indicator"], f"% {labels['target']}")
    numbers = table(
        [
            (labels["indicator"], TEXT),
            (labels["unit"], TEXT),
            (labels["projects"], INTEGER),
            (labels["target"], NUMBER),
            (labels["actual"], NUMBER),
        ],
        [[i.name, i.unit, i.projects, i.target, i.actual] for i in lines],
        labels,
    )
    return Panel("indicators", labels["indicators"], fig, numbers)


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
    _layout(
        fig, labels["matrix"], labels["process"], labels["state_col"], height=max(380, 34 * len(states) + 200)
    )
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
                hovertemplate=f"%{{x}}<br>{labels.word(s)}: %{{y}}<extra></extra>",
            )
            for k, s in enumerate(STAGES)
        ]
    )
    fig.update_layout(barmode="stack")
    _layout(fig, labels["stage_changes"], labels["year"], labels["changes"])
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
    _layout(fig, labels["donor_pledges"], labels["code"], f"{labels['amount']} (EUR)")
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
    _layout(fig, labels["donor_received"], None, f"{labels['amount']} (EUR)")
    numbers = table(
        [(labels["pledged"], MONEY), (labels["received"], MONEY), (labels["outstanding"], MONEY)],
        [[pledged, received, outstanding]],
        labels,
    )
    return Panel("donor-received", labels["donor_received"], fig, numbers)


def donor_share(own: Decimal, everyone: Decimal, labels: Labels) -> Panel:
    others = max(everyone - own, Decimal("0.00"))
    fig = go.Figure(
        go.Pie(
            labels=[labels["this_donor"], labels["other_donors"]],
            values=[float(own), float(others)],
            customdata=[str(own), str(others)],
            hole=0.45,
            sort=False,
            marker={"colors": [COLOURS["pledged"], COLOURS["budget"]]},
            hovertemplate="%{label}: € %{customdata} (%{percent})<extra></extra>",
        )
    )
    _layout(fig, labels["donor_share"])
    share = ratio(own, everyone)
    numbers = table(
        [(labels["this_donor"], MONEY), (labels["other_donors"], MONEY), (labels["donor_share"], PERCENT)],
        [[own, others, share]],
        labels,
    )
    return Panel("donor-share", labels["donor_share"], fig, numbers)


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
    _layout(fig, title, labels["stage"], labels["process"])
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


def attention(panel_id: str, items: list[Attention], labels: Labels, note: str = "") -> Panel:
    numbers = table(
        [(labels["record"], TEXT), (labels["detail"], TEXT), (labels["since"], DATE)],
        [[a.record, a.detail, a.since] for a in items],
        labels,
    )
    return Panel(panel_id, labels[panel_id], None, numbers, note)

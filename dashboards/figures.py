"""Pure figure builders: typed rows in, a Panel (a Plotly figure and the same numbers as a table) out.

No database here. Every amount a trace carries is also in its ``customdata`` as the exact decimal
string the SQL computed, which the hover text shows; the bar heights are floats for drawing only.
Text typed by users (titles, names) is HTML-escaped before Plotly sees it, so it shows as text.
"""

from __future__ import annotations

import html
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

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
from portfolio.money import ratio

COLOURS = {"pledged": "#1f5f99", "received": "#4aa35a", "budget": "#b9c4cf", "gap": "#d0623b"}
STAGE_COLOURS = ["#d9d9d9", "#9ecae1", "#4292c6", "#08519c"]
STAGES = ["planned", "established", "operational", "sustained"]


@dataclass
class Table:
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)


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


def _split_table(first: str, splits: list[Split], labels: Labels, with_budget: bool = False) -> Table:
    columns = [first] + ([labels["budget"]] if with_budget else []) + [labels["pledged"], labels["received"]]
    rows = [
        [s.label]
        + ([labels.money(s.budget_eur)] if with_budget else [])
        + [labels.money(s.pledged_eur), labels.money(s.received_eur)]
        for s in splits
    ]
    return Table(columns, rows)


def top_with_others(splits: list[Split], labels: Labels, top: int) -> list[Split]:
    if len(splits) <= top:
        return splits
    rest = splits[top:]
    others = Split(
        "_others",
        f"{labels['others']} ({len(rest)})",
        sum((s.pledged_eur for s in rest), Decimal("0.00")),
        sum((s.received_eur for s in rest), Decimal("0.00")),
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
    return Panel(panel_id, title, fig, _split_table(axis, splits, labels), note)


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
    table = Table(
        [labels["state_col"], labels["pledged"]], [[s.label, labels.money(s.pledged_eur)] for s in splits]
    )
    return Panel("map", labels["map"], fig, table, labels["multi_count"])


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
    table = Table(
        [
            labels["quarter"],
            labels["pledged"],
            labels["received"],
            f"{labels['pledged']} Σ",
            f"{labels['received']} Σ",
        ],
        [
            [
                q.label,
                labels.money(q.pledged_eur),
                labels.money(q.received_eur),
                labels.money(q.pledged_cumulative),
                labels.money(q.received_cumulative),
            ]
            for q in quarters
        ],
    )
    return Panel("over-time", labels["over_time"], fig, table)


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
    table = Table(
        [
            labels["code"],
            labels["title"],
            labels["area"],
            labels["beneficiary"],
            labels["budget"],
            labels["pledged"],
            labels["gap"],
            labels["coverage"],
        ],
        [
            [
                p.code,
                p.title,
                p.areas,
                p.beneficiaries,
                labels.money(p.budget_eur),
                labels.money(p.pledged_eur),
                labels.money(p.gap_eur),
                labels.percent(p.coverage),
            ]
            for p in lines
        ],
    )
    return Panel("gaps", labels["gaps_chart"], fig, table)


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
    table = Table(
        [labels["status"], labels["projects"], labels["budget"]],
        [[labels.word(s.status), str(s.projects), labels.money(s.budget_eur)] for s in lines],
    )
    return Panel("by-status", labels["by_status"], fig, table)


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
    table = Table(
        [
            labels["code"],
            labels["title"],
            labels["status"],
            labels["start"],
            labels["end"],
            labels["percent_complete"],
            labels["overdue"],
        ],
        [
            [
                p.code,
                p.title,
                labels.word(p.status),
                str(p.start_date or ""),
                str(p.end_date or ""),
                labels.percent(p.percent / 100) if p.percent is not None else "–",
                str(p.overdue_milestones),
            ]
            for p in dated
        ],
    )
    return Panel("timeline", labels["timeline"], fig, table)


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
    table = Table(
        [labels["indicator"], labels["unit"], labels["projects"], labels["target"], labels["actual"]],
        [[i.name, i.unit, str(i.projects), labels.number(i.target), labels.number(i.actual)] for i in lines],
    )
    return Panel("indicators", labels["indicators"], fig, table)


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
    table = Table(
        [labels["state_col"], labels["process"], labels["kind"], labels["stage"], labels["established_on"]],
        [
            [
                names.get(c.state, c.state),
                c.name,
                labels.word(c.kind),
                labels.word(c.stage),
                str(c.established_on or ""),
            ]
            for c in cells
        ],
    )
    return Panel("matrix", labels["matrix"], fig, table)


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
    table = Table(
        [labels["year"], labels["stage"], labels["changes"]],
        [[str(c.year), labels.word(c.stage), str(c.changes)] for c in counts],
    )
    return Panel("stage-changes", labels["stage_changes"], fig, table)


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
    table = Table(
        [
            labels["code"],
            labels["title"],
            labels["status"],
            labels["kind"],
            labels["amount"],
            labels["currency"],
            labels["pledged"],
            labels["received"],
        ],
        [
            [
                p.project_code,
                p.project_title,
                labels.word(p.status),
                labels.word(p.kind),
                labels.number(p.amount),
                p.currency,
                labels.money(p.amount_eur),
                labels.money(p.received_eur),
            ]
            for p in pledges
        ],
    )
    return Panel("donor-pledges", labels["donor_pledges"], fig, table)


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
    table = Table(
        [labels["pledged"], labels["received"], labels["outstanding"]],
        [[labels.money(pledged), labels.money(received), labels.money(outstanding)]],
    )
    return Panel("donor-received", labels["donor_received"], fig, table)


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
    table = Table(
        [labels["this_donor"], labels["other_donors"], labels["donor_share"]],
        [[labels.money(own), labels.money(others), labels.percent(share)]],
    )
    return Panel("donor-share", labels["donor_share"], fig, table)


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
    table = Table(
        [labels["state_col"], labels["process"], labels["kind"], labels["stage"]],
        [[names.get(c.state, c.state), c.name, labels.word(c.kind), labels.word(c.stage)] for c in cells],
    )
    return Panel(panel_id, title, fig, table)


def attention(panel_id: str, items: list[Attention], labels: Labels, note: str = "") -> Panel:
    table = Table(
        [labels["record"], labels["detail"], labels["since"]],
        [[a.record, a.detail, str(a.since or "")] for a in items],
    )
    return Panel(panel_id, labels[panel_id], None, table, note)

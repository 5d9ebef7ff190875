"""The dashboard pages: HTML under /dashboards inside the staff pages' layout (the same login, header and
language), each chart followed by its table and a CSV download. Logged in by the site's session cookie (a
browser cannot send bearer headers when it follows a link).

Managers, staff and admins see every page; a donor account lands on its own State's view and can open
no other page. Pages send a Content-Security-Policy that lets only the app's own scripts run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import plotly
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlmodel import Session

from dashboards import figures, queries, results_queries, statement
from dashboards import results_figures as results
from dashboards.filters import Filters, parse
from dashboards.kit import Kpi, write_csv
from dashboards.labels import Labels
from portfolio.db import SessionDep
from portfolio.errors import Forbidden, NotFound
from portfolio.money import ratio as money_ratio
from portfolio.projects.schemas import ActivityType, Area, ProjectStatus
from portfolio.security import Actor
from portfolio.users.models import User
from portfolio.web.i18n import LANGUAGES, request_lang
from portfolio.web.render import HERE as WEB
from portfolio.web.render import SECURITY_HEADERS, Templates
from portfolio.web.session import page_user

HERE = Path(__file__).parent
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
APP_CSS = WEB / "static" / "app.css"  # the shared layout's stylesheet, inlined in an exported page
PAGES = ["funding", "gaps", "progress", "national-processes", "data-quality", "results"]
INDEXES = ["donors"]  # pages of the site only, never exported (they link to pages a file cannot hold)

templates = Templates(HERE / "templates")  # the dashboards' templates first, then the shared layout's
router = APIRouter(prefix="/dashboards", include_in_schema=False)


class OwnViewOnly(Exception):
    def __init__(self, state: str) -> None:
        self.state = state


def viewer(request: Request, session: SessionDep) -> User:
    """The logged-in account, from the site's session cookie (or a bearer token, for scripts); without
    one, off to the login form and back here after it."""
    return page_user(request, session)


Viewer = Annotated[User, Depends(viewer)]


def page_filters(request: Request, session: SessionDep) -> Filters:
    """The page's filters from its query string: blank means "any"; a bad value is named, not applied.
    Without a known ``?lang=``, the language the person chose before (or the browser's, else English)."""
    raw = {**request.query_params, "lang": request_lang(request)}
    return parse(raw, lambda: queries.participating_states(session))


PageFilters = Annotated[Filters, Depends(page_filters)]


def portfolio_wide(user: Viewer) -> User:
    """The pages that show every donor's money: not for donor accounts, which go to their own view."""
    if user.role == "donor":
        raise OwnViewOnly(user.state or "")
    return user


# -- what a page holds ----------------------------------------------------------------------------


@dataclass
class Page:
    name: str
    title: str
    panels: list[figures.Panel]
    kpis: list[Kpi] = field(default_factory=list)
    note: str = ""
    project_filters: bool = True  # False where only the State and area filters apply

    def kpi(self, key: str) -> Kpi:
        return next(k for k in self.kpis if k.key == key)


@dataclass(frozen=True)
class PageArgs:
    """What a page builder is given: the database, the page's filters, its words and the States' names in
    its language, the donor a donor's view is of, and who asks (None: the system, as an export does)."""

    session: Session
    filters: Filters
    labels: Labels
    names: dict[str, str]
    code: str | None = None
    viewer: Actor | None = None

    @property
    def own_donor(self) -> str | None:
        """The one donor whose money line by line this viewer may read (its own State for a donor's
        account, :meth:`Actor.own_donor_filter`); None: every donor's."""
        return None if self.viewer is None else self.viewer.own_donor_filter(None)


def _money_kpi(key: str, label: str, value: Decimal, definition: str, labels: Labels) -> Kpi:
    return Kpi(key, labels[label], value, labels.money(value), labels[definition])


def build(
    name: str, session: Session, filters: Filters, code: str | None = None, viewer: Actor | None = None
) -> Page:
    """The page ``name`` (one of ``BUILDERS``); ``code``: the donor of the donor's view; ``viewer``: who
    asks, whose donor rule decides which donors' money is read line by line."""
    builder = BUILDERS[name]  # a KeyError for a page there is not
    names = queries.state_names(session, filters.lang)
    return builder(PageArgs(session, filters, Labels(filters.lang), names, code, viewer))


def actor(user: User) -> Actor:
    return Actor(user.id, user.role, user.state)


def _funding(a: PageArgs) -> Page:
    """Budget, pledges and receipts over the projects selected, by donor, State, quarter, area, activity
    and kind, and the open interests apart from them."""
    session, filters, labels, names = a.session, a.filters, a.labels, a.names
    kpis = _funding_kpis(queries.totals(session, filters), queries.money_out(session, filters), labels)
    splits = queries.by_beneficiary(session, filters, names)
    donors = queries.by_donor(session, filters, names)
    top = figures.top_with_others(donors, labels, 10)
    areas = queries.by_area(session, filters)
    activities = queries.by_activity(session, filters, labels.words([t.value for t in ActivityType]))
    panels = [
        figures.pledged_received(
            "by-donor",
            labels["by_donor"],
            labels["donor_col"],
            top,
            labels,
            horizontal=True,
            note=figures.rate_effect_note(donors, labels),
            with_fx=True,
            urls=[figures.donor_url(s.key, filters.query()) for s in top],
        ),
        figures.beneficiary_map(splits, labels),
        figures.by_beneficiary(splits, labels),
        figures.over_time(queries.over_time(session, filters), labels),
        figures.pledged_received(
            "by-area",
            labels["by_area"],
            labels["area"],
            [replace(s, label=labels.word(s.key)) for s in areas],
            labels,
            note=labels["multi_count"],
            urls=[f"/projects?area={quote(s.key)}" for s in areas],
            with_budget=True,
        ),
        figures.pledged_received(
            "by-activity",
            labels["by_activity"],
            labels["activity"],
            activities,
            labels,
            horizontal=True,
            note=labels["multi_count"],
            urls=[f"/projects?activity_type={quote(s.key)}" for s in activities],
            with_budget=True,
        ),
        figures.pledged_received(
            "by-kind",
            labels["by_kind"],
            labels["kind"],
            queries.by_kind(session, filters, labels.words(["cash", "in_kind"])),
            labels,
        ),
    ]
    panels.extend(_delivery(a, areas, splits, donors))
    _open_interests(session, filters, names, labels, kpis, panels)
    return Page("funding", labels["funding"], panels, kpis, labels["scope_note"])


def _funding_kpis(t: queries.Totals, out: queries.MoneyOut, labels: Labels) -> list[Kpi]:
    # Budget and coverage count the projects the open gap counts; pledged, committed, received and spent,
    # every project selected (the charts below count the same money): each figure says which.
    delivery = money_ratio(out.spent_eur, t.received_eur)
    return [
        _money_kpi("budget", "open_budget", t.open_budget_eur, "def_open_budget", labels),
        _money_kpi("pledged", "pledged_any", t.pledged_eur, "def_pledged_any", labels),
        _money_kpi("committed", "committed_any", out.committed_eur, "def_committed_any", labels),
        _money_kpi("pledged-not-committed", "pledged_only", out.pledged_only_eur, "def_pledged_only", labels),
        _money_kpi("received", "received_any", t.received_eur, "def_received_any", labels),
        _money_kpi("spent", "spent_any", out.spent_eur, "def_spent_any", labels),
        Kpi(
            "delivery-rate",
            labels["delivery_rate"],
            delivery,
            labels.percent(delivery),
            labels["def_delivery_rate"],
        ),
        _money_kpi("open-gap", "open_gap", t.open_gap_eur, "def_open_gap", labels),
        Kpi(
            "coverage",
            labels["open_coverage"],
            t.open_coverage,
            labels.percent(t.open_coverage),
            labels["def_open_coverage"],
        ),
        Kpi(
            "seeking-funding",
            labels["seeking_funding_count"],
            t.seeking_funding,
            str(t.seeking_funding),
            labels["def_seeking_funding"],
        ),
    ]


def _delivery(
    a: PageArgs, areas: list[queries.Split], states: list[queries.Split], donors: list[queries.Split]
) -> list[figures.Panel]:
    """Received, spent and delivery rate by area, by beneficiary State and by donor, from the splits the
    page's charts hold (what arrived) and what was spent under the same labels; the donors' lines are
    what each one's pledges were charged, and a donor's account reads its own line only."""
    labels, own = a.labels, a.own_donor
    spent = queries.spent_by(a.session, a.filters, own)
    by_area = queries.deliveries(areas, spent.area)
    by_state = queries.deliveries(states, spent.beneficiary, a.names)
    mine = [s for s in donors if own is None or s.key == own]
    by_donor = queries.deliveries(mine, spent.donor, a.names)
    return [
        figures.delivery(
            "delivery-by-area",
            labels["delivery_by_area"],
            labels["area"],
            [replace(d, label=labels.word(d.key)) for d in by_area],
            labels,
            labels["delivery_note"],
            [f"/projects?area={quote(d.key)}" for d in by_area],
        ),
        figures.delivery(
            "delivery-by-beneficiary",
            labels["delivery_by_beneficiary"],
            labels["state_col"],
            by_state,
            labels,
            labels["delivery_note"],
            [figures.state_url(d.key) for d in by_state],
        ),
        figures.delivery(
            "delivery-by-donor",
            labels["delivery_by_donor"],
            labels["donor_col"],
            by_donor,
            labels,
            labels["delivery_donor_note"],
        ),
    ]


def _gaps(a: PageArgs) -> Page:
    """The projects that make up the open gap, largest first."""
    labels = a.labels
    found = queries.open_gaps(a.session, a.filters, a.names)
    count = len(found.projects)
    kpis = [
        _money_kpi("open-gap", "open_gap", found.gap_eur, "def_open_gap", labels),
        Kpi(
            "open-gap-projects",
            labels["open_gap_projects"],
            count,
            str(count),
            labels["def_open_gap_projects"],
        ),
    ]
    panels = [figures.gaps(found.projects, labels)]
    return Page("gaps", labels["gaps"], panels, kpis, note=labels["scope_note"])


def _progress(a: PageArgs) -> Page:
    """Projects by status, their timeline and their indicators."""
    session, filters, labels = a.session, a.filters, a.labels
    lines = queries.project_lines(session, filters, a.names)
    panels = [
        figures.by_status(queries.by_status(session, filters), labels),
        figures.timeline(lines, labels),
        figures.indicators(queries.project_indicators(session, filters), labels),
    ]
    return Page("progress", labels["progress"], panels, note=labels["scope_note"])


def _national_processes(a: PageArgs) -> Page:
    """The maturity of each State's structures and procedures, and their stage changes."""
    session, filters, labels = a.session, a.filters, a.labels
    panels = [
        figures.maturity_matrix(queries.process_matrix(session, filters), a.names, labels),
        figures.stage_changes(queries.stage_changes(session, filters), labels),
    ]
    note = labels["process_scope_note"]
    return Page("national-processes", labels["national-processes"], panels, note=note, project_filters=False)


def _donor(a: PageArgs) -> Page:
    """One donor's view: its pledges, what arrived, what is outstanding, the processes it supports."""
    session, filters, labels, names = a.session, a.filters, a.labels, a.names
    assert a.code is not None
    code = a.code
    view = queries.donor_view(session, filters, code)
    kpis = [
        _money_kpi("pledged", "pledged", view.pledged_eur, "def_pledged", labels),
        _money_kpi("received", "received", view.received_eur, "def_received", labels),
        _money_kpi("outstanding", "outstanding", view.outstanding_eur, "def_outstanding", labels),
        _money_kpi("fx-difference", "fx_difference", view.fx_difference_eur, "def_fx_difference", labels),
    ]
    note = labels["scope_note"]
    if view.received_above_pledged:
        note += " " + figures.rate_effect_note([view.split(names.get(code, code))], labels)
    panels = [
        figures.donor_pledges(view.pledges, labels),
        figures.donor_received(view.pledges, labels),
        figures.process_list(
            "donor-processes",
            labels["donor_processes"],
            queries.donor_processes(session, filters, code),
            names,
            labels,
        ),
    ]
    return Page("donor", f"{labels['donor']}: {names.get(code, code)}", panels, kpis, note)


ATTENTION = (
    "stale_projects",
    "unusual_amounts",
    "overdue_milestones",
    "unpaid_commitments",
    "pledges_without_agreement",
    "overdue_obligations",
    "spent_over_received",
    "money_idle",
    "spending_after_end",
    "delivery_behind",
)


def _data_quality(a: PageArgs) -> Page:
    """What needs attention in the records: stale projects, unusual amounts, overdue items, missing rates."""
    labels = a.labels
    items = queries.needs_attention(a.session, a.filters)
    notes = {
        "stale_projects": labels["stale_note"],
        "unusual_amounts": labels["unusual_note"],
        "money_idle": labels["money_idle_note"],
        "delivery_behind": labels["delivery_behind_note"],
    }
    panels = [figures.attention(key, items[key], labels, notes.get(key, ""), a.names) for key in ATTENTION]
    panels.append(
        figures.attention("missing_rates", items["missing_rates"], labels, labels["missing_rates_note"])
    )
    return Page("data-quality", labels["data-quality"], panels)


def _donors(a: PageArgs) -> Page:
    """Every donor, each linked to its own view."""
    labels = a.labels
    panel = figures.donors_index(queries.by_donor(a.session, a.filters, a.names), labels, a.filters.query())
    return Page("donors", figures.text(labels, "donors"), [panel], note=labels["scope_note"])


def _open_interests(
    session: Session,
    filters: Filters,
    names: dict[str, str],
    labels: Labels,
    kpis: list[Kpi],
    panels: list[figures.Panel],
) -> None:
    """The funding page's open interests, beside the pledges and apart from them: a headline figure and a
    table by donor."""
    found = queries.open_interests(session, filters, names)
    title = labels.gettext("Open interests (not pledges)")
    definition = labels.gettext(
        "Donors' expressions of interest not yet turned into pledges or withdrawn, in euros at the latest "
        "rate recorded up to this month. An interest is not a pledge: it is in no pledged total."
    )
    kpis.append(
        Kpi("open-interests", title, found.estimate_eur, labels.money(found.estimate_eur), definition)
    )
    columns = [
        (labels["donor_col"], figures.TEXT),
        (labels.gettext("Open interests"), figures.NUMBER),
        (labels.gettext("≈ In euros at today's rate"), figures.MONEY),
    ]
    records = [(d.label, d.count, d.estimate_eur) for d in found.by_donor]
    panels.append(
        figures.Panel("open-interests", title, None, figures.table(columns, records, labels), definition)
    )


def _results(a: PageArgs) -> Page:
    """Outputs in standard measures, their cost per unit, and the projects under each norm."""
    session, filters, labels, names = a.session, a.filters, a.labels, a.names
    words = results.Words(labels)
    totals = results_queries.measure_totals(session, filters)
    costs = results_queries.unit_costs(session, filters)
    by_area = results_queries.by_area(session, filters)
    by_state = results_queries.by_beneficiary(session, filters)
    by_year = results_queries.by_year(session, filters)
    panels = [
        results.measures(totals, words),
        results.people(totals, words),
        results.split("results-by-area", words["by_area"], words["area"], by_area, words, labels.word),
        results.split(
            "results-by-beneficiary",
            words["by_beneficiary"],
            words["state"],
            by_state,
            words,
            lambda c: names.get(c, c),
            results.state_href,
        ),
        results.split(
            "results-by-year",
            words["by_year"],
            words["year"],
            by_year,
            words,
            str,
            note=words["year_def"],
        ),
        results.unit_costs(costs, words),
        results.cost_spread(results_queries.cost_spread(costs), words),
        results.norms(results_queries.by_norm(session, filters), words),
    ]
    return Page("results", labels["results"], panels, note=words["scope"])


# Each page's builder, by the page's name (the donor's view is "donor", with the donor's code).
BUILDERS: dict[str, Callable[[PageArgs], Page]] = {
    "funding": _funding,
    "gaps": _gaps,
    "progress": _progress,
    "national-processes": _national_processes,
    "donor": _donor,
    "data-quality": _data_quality,
    "results": _results,
    "donors": _donors,
}


def page_titles(labels: Labels) -> dict[str, str]:
    """The name of each page of the dashboards' own menu, in the page's language."""
    return {n: figures.text(labels, "donors") if n == "donors" else labels[n] for n in [*PAGES, *INDEXES]}


# -- rendering ------------------------------------------------------------------------------------


def figure_json(fig: Any) -> str:
    """A figure as JSON that can sit inside <script type="application/json"> without ever closing it."""
    return str(fig.to_json()).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page in the shared layout, in the filters' language."""
    filters: Filters = context.get("filters", Filters())
    context.setdefault("labels", Labels(filters.lang))
    return templates.render(request, template, status_code, lang=filters.lang, **context)


def describe(filters: Filters, labels: Labels, names: dict[str, str], project_filters: bool = True) -> str:
    """The filters a page shows, in words: "Years 2020–2024 · Area: SCA · Beneficiary State: Moldova"."""
    parts = []
    first, last = (filters.year_from, filters.year_to) if project_filters else (None, None)
    if first and last:
        parts.append(labels["years"].format(first=first, last=last))
    elif first:
        parts.append(labels["years_from"].format(first=first))
    elif last:
        parts.append(labels["years_to"].format(last=last))
    colon = LANGUAGES[filters.lang].colon
    if filters.area:
        parts.append(f"{labels['area']}{colon}{labels.word(filters.area)}")
    if filters.beneficiary:
        parts.append(f"{labels['beneficiary']}{colon}{names.get(filters.beneficiary, filters.beneficiary)}")
    if filters.status and project_filters:
        parts.append(f"{labels['status']}{colon}{labels.word(filters.status)}")
    return " · ".join(parts) or labels["all_projects"]


def page_response(
    request: Request, session: Session, name: str, filters: Filters, user: User, code: str | None = None
) -> HTMLResponse:
    """The page with the filters that could be applied; a refused filter makes it a 422 that says why
    beside the field (the form keeps what was typed)."""
    page = build(name, session, filters, code, actor(user))
    labels = Labels(filters.lang)
    names = queries.state_names(session, filters.lang)
    participating = queries.participating_states(session)
    options = {
        "areas": [(a.value, labels.word(a.value)) for a in Area],
        "statuses": [(s.value, labels.word(s.value)) for s in ProjectStatus],
        "states": sorted(((c, n) for c, n in names.items() if c in participating), key=lambda kv: kv[1]),
    }
    csv_base = f"/dashboards/donors/{code}.csv" if code else f"/dashboards/{name}.csv"
    return render(
        request,
        "page.html",
        status_code=422 if filters.errors else 200,
        page=page,
        filters=filters,
        typed=request.query_params,
        stamp=describe(filters, labels, names, page.project_filters),
        user=user,
        options=options,
        figures={p.id: figure_json(p.figure) for p in page.panels if p.figure is not None},
        csv_base=csv_base,
        path=request.url.path,
        pages=[*PAGES, *INDEXES],
        titles=page_titles(labels),
        hint=figures.text(labels, "click_hint"),
    )


def _plain_text(text: str, status_code: int) -> Response:
    return Response(
        text, status_code=status_code, media_type="text/plain; charset=utf-8", headers=SECURITY_HEADERS
    )


def csv_response(
    session: Session,
    name: str,
    filters: Filters,
    table_id: str,
    code: str | None = None,
    viewer: Actor | None = None,
) -> Response:
    """One table of a page as CSV: amounts as plain numbers (250000.00), percentages as numbers, dates ISO."""
    if filters.errors:
        return _plain_text("\n".join(message for _, message in filters.errors), 422)
    page = build(name, session, filters, code, viewer)
    panel = next((p for p in page.panels if p.id == table_id), None)
    if panel is None:
        return _plain_text(Labels(filters.lang)["no_table"].format(table=table_id), 404)
    table = panel.table
    text = write_csv(
        table.csv_columns or table.columns, table.values if table.values is not None else table.rows
    )
    filename = f"{code or name}-{table_id}.csv"
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', **SECURITY_HEADERS},
    )


# -- routes ---------------------------------------------------------------------------------------


@router.get("")
@router.get("/")
def home(user: Viewer, filters: PageFilters) -> RedirectResponse:
    if user.role == "donor":
        return RedirectResponse(f"/dashboards/donors/{user.state}{filters.query()}", status_code=303)
    return RedirectResponse(f"/dashboards/funding{filters.query()}", status_code=303)


@router.get("/login")
def login_form(next: str = "/dashboards") -> RedirectResponse:
    """The one login form is the site's; old links to this one still arrive there."""
    return RedirectResponse(f"/login?next={quote(_safe_next(next))}", status_code=303)


def _safe_next(target: str) -> str:
    """Only a path inside the dashboards: a login link must never send anyone to another site."""
    return target if target.startswith("/dashboards") and "//" not in target else "/dashboards"


@router.get("/static/plotly.min.js")
def plotly_js() -> FileResponse:
    return FileResponse(PLOTLY_JS, media_type="text/javascript", headers={"Cache-Control": "max-age=86400"})


@router.get("/donors/{code}.csv")
def donor_csv(request: Request, session: SessionDep, user: Viewer, code: str, table: str = "") -> Response:
    """One table of the donor's statement as CSV, for the period asked (``?from=&to=``)."""
    code = _check_donor_view(session, user, code)
    lang = request_lang(request)
    asked = statement.parse_period(request.query_params, lang)
    if asked.errors:
        return _plain_text("\n".join(asked.errors.values()), 422)
    text = statement.csv_text(statement.build(session, code, asked.period, lang), table)
    if text is None:
        return _plain_text(Labels(lang)["no_table"].format(table=table), 404)
    built_name = f"statement-{code}-{asked.period.start}-{asked.period.end}-{table}.csv"
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{built_name}"', **SECURITY_HEADERS},
    )


@router.get("/donors/{code}.pdf")
def donor_pdf(request: Request, session: SessionDep, user: Viewer, code: str) -> Response:
    """The donor's statement for the period asked, as an A4 PDF in the language asked."""
    code = _check_donor_view(session, user, code)
    lang = request_lang(request)
    asked = statement.parse_period(request.query_params, lang)
    if asked.errors:
        return _plain_text("\n".join(asked.errors.values()), 422)
    built = statement.build(session, code, asked.period, lang)
    return Response(
        statement.pdf(built),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{statement.filename(built, "pdf")}"',
            **SECURITY_HEADERS,
        },
    )


@router.get("/donors/{code}")
def donor_page(request: Request, session: SessionDep, user: Viewer, code: str) -> HTMLResponse:
    """The donor's statement for a period (``?from=YYYY-MM-DD&to=YYYY-MM-DD``; by default from 1 January of
    last year to today): a refused date makes it a 422 that says why beside the field."""
    code = _check_donor_view(session, user, code)
    lang = request_lang(request)
    asked = statement.parse_period(request.query_params, lang)
    built = statement.build(session, code, asked.period, lang)
    query = urlencode({"from": asked.period.start.isoformat(), "to": asked.period.end.isoformat()})
    return templates.render(
        request,
        "statement.html",
        422 if asked.errors else 200,
        lang=lang,
        user=user,
        asked=asked,
        query=query,
        pdf_name=statement.filename(built, "pdf"),
        pages=PAGES,
        **statement.context(built),
    )


def _check_donor_view(session: Session, user: User, code: str) -> str:
    """The State's code, upper case: a donor account may read its own State's statement only (403 for
    any other), and a code no State has is a 404."""
    code = code.upper()
    if user.role == "donor" and user.state != code:
        raise Forbidden(f"This account reads the statement of {user.state} only.")
    if code not in queries.state_names(session, "en"):
        raise NotFound(Labels("en")["no_state"].format(code=code))
    return code


def _page_route(name: str) -> None:
    def page(
        request: Request,
        session: SessionDep,
        user: Annotated[User, Depends(portfolio_wide)],
        filters: PageFilters,
    ) -> HTMLResponse:
        return page_response(request, session, name, filters, user)

    def table(
        session: SessionDep,
        user: Annotated[User, Depends(portfolio_wide)],
        filters: PageFilters,
        table: str = "",
    ) -> Response:
        return csv_response(session, name, filters, table, viewer=actor(user))

    router.add_api_route(f"/{name}", page, methods=["GET"], name=f"dashboard-{name}")
    router.add_api_route(f"/{name}.csv", table, methods=["GET"], name=f"dashboard-{name}-csv")


for _name in [*PAGES, *INDEXES]:
    _page_route(_name)


def export(session: Session, filters: Filters, outdir: Path, donors: list[str] | None = None) -> list[Path]:
    """Write each page as one self-contained HTML file (styles, plotly.js, map and data inlined).

    With ``donors``, only those donors' views: a file meant for one delegation never holds the portfolio
    pages, which show every donor's money."""
    from datetime import UTC, datetime

    labels = Labels(filters.lang)
    names = queries.state_names(session, filters.lang)
    outdir.mkdir(parents=True, exist_ok=True)
    topojson = (HERE / "static" / "topojson" / "world_110m.json").read_text(encoding="utf-8")
    locale_js = HERE / "static" / "plotly-locales" / f"{filters.lang}.js"
    standalone = {
        "css": APP_CSS.read_text(encoding="utf-8")
        + (HERE / "static" / "dashboards.css").read_text(encoding="utf-8"),
        "plotly": PLOTLY_JS.read_text(encoding="utf-8").replace("</script", "<\\/script"),
        "js": (HERE / "static" / "dashboards.js").read_text(encoding="utf-8"),
        "locale": locale_js.read_text(encoding="utf-8").replace("</script", "<\\/script")
        if locale_js.exists()
        else "",
        "topojson": topojson.replace("<", "\\u003c"),
        "written": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
    }
    written = []
    targets = [("donor", d) for d in donors] if donors else [(n, None) for n in PAGES]
    links = [(f"donor-{d}.html", f"{labels['donor']}: {names.get(d, d)}") for d in donors or []] or [
        (f"{n}.html", labels[n]) for n in PAGES
    ]
    for name, code in targets:
        page = build(name, session, filters, code)
        for panel in page.panels:
            _unlink(panel)
        html = (
            templates.env(filters.lang)
            .get_template("page.html")
            .render(
                request=None,
                nav=[],
                csrf="",
                page=page,
                filters=filters,
                labels=labels,
                user=None,
                pages=PAGES,
                titles=page_titles(labels),
                hint="",
                links=links,
                stamp=describe(filters, labels, names, page.project_filters),
                current=f"donor-{code}.html" if code else f"{name}.html",
                standalone=standalone,
                figures={p.id: figure_json(p.figure) for p in page.panels if p.figure is not None},
                path="",
                options={},
                csv_base="",
            )
        )
        target = outdir / (f"donor-{code}.html" if code else f"{name}.html")
        target.write_text(html, encoding="utf-8")
        written.append(target)
    return written


def _unlink(panel: figures.Panel) -> None:
    """An exported page's charts and tables without links: a file on a stick cannot open the site's pages."""
    panel.table.links = None
    for trace in panel.figure.data if panel.figure is not None else ():
        data = getattr(trace, "customdata", None)
        if data is not None and all(isinstance(c, list | tuple) and c for c in data):
            trace.customdata = [[*c[:-1], ""] if str(c[-1]).startswith("/") else list(c) for c in data]


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/dashboards/static", StaticFiles(directory=str(HERE / "static")), name="dashboards-static")
    # Login, the error pages (HTML in the person's language) and the layout are the staff pages' own.

    @app.exception_handler(OwnViewOnly)
    async def own_view_only(_request: Request, exc: OwnViewOnly) -> RedirectResponse:
        return RedirectResponse(f"/dashboards/donors/{exc.state}", status_code=303)


__all__ = ["install"]

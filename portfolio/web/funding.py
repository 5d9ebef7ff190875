"""Pledges, receipts and exchange rates on the staff pages: the forms that record what States announce and
pay, on the funding service's own rules, and the monthly rates that give every amount its euro value."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from babel.numbers import get_currency_name
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from portfolio.db import SessionDep
from portfolio.errors import AppError, ValidationFailed
from portfolio.flows import agreements as agreements_flow
from portfolio.funding import service as funding_service
from portfolio.funding.schemas import (
    ExchangeRateCreate,
    PledgeCreate,
    PledgeKind,
    PledgeStatus,
    PledgeUpdate,
    ReceiptCreate,
)
from portfolio.money import EUR, currency_codes, month_of, rate_of, to_eur
from portfolio.preconditions import Precondition
from portfolio.projects import service as projects_service
from portfolio.projects.schemas import ProjectStatus
from portfolio.states import service as states_service
from portfolio.states.names import name_in, sort_key
from portfolio.users.models import User
from portfolio.web import unusual
from portfolio.web.conflict import changed_meanwhile, loaded_now
from portfolio.web.forms import Form, build, first_message, typed
from portfolio.web.i18n import Formats, options, request_lang, translations
from portfolio.web.pager import numbered
from portfolio.web.render import templates
from portfolio.web.session import PageUser, actor_of, csrf_protect, writer_of
from portfolio.web.submit import Attempt

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
PledgeWriter = Annotated[User, Depends(writer_of("pledges"))]
RateWriter = Annotated[User, Depends(writer_of("rates"))]
PLEDGE_FIELDS = ("donor", "kind", "amount", "currency", "pledged_on", "status", "note")
RECEIPT_FIELDS = ("received_on", "amount")
MONTHS_PER_PAGE = 12


def _gettext(request: Request) -> Any:
    return translations(request_lang(request)).gettext


# -- pick-lists ---------------------------------------------------------------------------------


def donor_groups(session: Session, lang: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The States that may pledge, by name in the page's language: participating States, then Partners."""
    _ = translations(lang).gettext
    states = states_service.list_states(session)
    groups: dict[str, list[tuple[str, str]]] = {"participating": [], "partner": []}
    for state in states:
        groups.setdefault(state.kind, []).append((state.code, name_in(state, lang)))
    for pairs in groups.values():
        pairs.sort(key=lambda o: sort_key(o[1]))
    return [
        (_("Participating States"), groups["participating"]),
        (_("Partners for Co-operation"), groups["partner"]),
    ]


def currency_options(session: Session, lang: str) -> list[tuple[str, str]]:
    """ISO 4217 currencies as "code — name": the euro first, then those already in use, then the rest
    (money only: no gold, test code or unit of account)."""
    in_use = funding_service.currencies_in_use(session)
    codes = currency_codes()
    order = [EUR, *(c for c in in_use if c != EUR), *(c for c in codes if c != EUR and c not in in_use)]
    return [(code, f"{code} — {get_currency_name(code, locale=lang)}") for code in order]


def status_options(lang: str, current: str | None) -> list[tuple[str, str]]:
    """Pledged or committed for a new pledge; on an edit, withdrawn too (and paid while it is paid)."""
    names = ["pledged", "committed"]
    if current is not None:
        names.append("withdrawn")
        if current == "paid":
            names.insert(0, "paid")
    return options(PledgeStatus, lang, names)


# -- the euro preview ---------------------------------------------------------------------------


def euro_preview(session: Session, values: dict[str, Any], lang: str) -> dict[str, Any]:
    """What the pledge is worth in euros at its month's recorded rate, found by the rules' own lookup."""
    _ = translations(lang).gettext
    currency = str(values.get("currency", "")).strip().upper()
    try:
        amount = Decimal(str(values.get("amount", "")).strip())
        day = date.fromisoformat(str(values.get("pledged_on", "")).strip())
    except (InvalidOperation, ValueError):
        return {"missing": _("Enter an amount and the date of the pledge to see its value in euros.")}
    if not currency or not amount.is_finite():
        return {"missing": _("Enter an amount and the date of the pledge to see its value in euros.")}
    month = month_of(day)
    try:
        rate = rate_of(funding_service.recorded_rate(session), currency, day, ("currency",))
    except ValidationFailed:
        return {"currency": currency, "month": month, "rate": None}
    return {"currency": currency, "month": month, "rate": rate.normalize(), "eur": to_eur(amount, rate)}


# -- pledges ------------------------------------------------------------------------------------


def _pledge_page(
    request: Request,
    session: Session,
    form: Form,
    project: Any,
    status_code: int = 200,
    **context: Any,
) -> Response:
    lang = request_lang(request)
    pledge = context.get("pledge")
    donors = donor_groups(session, lang)
    return templates.render(
        request,
        "funding/pledge_form.html",
        status_code,
        form=form,
        project=project,
        donors=donors,
        donor_names={code: name for _group, options in donors for code, name in options},
        currencies=currency_options(session, lang),
        kinds=options(PledgeKind, lang),
        statuses=status_options(lang, pledge.status if pledge is not None else None),
        **context,
    )


@router.get("/projects/{project_id}/pledges/new")
def new_pledge(request: Request, session: SessionDep, user: PledgeWriter, project_id: int) -> Response:
    project = projects_service.get_project(session, project_id)
    if project.status == ProjectStatus.cancelled:  # no form to fill in only to be refused
        return RedirectResponse(f"/projects/{project_id}#no-new-pledge", status_code=303)
    values = {"kind": "cash", "currency": EUR, "status": "pledged", "pledged_on": date.today().isoformat()}
    return _pledge_page(request, session, Form(values), project)


@router.post("/projects/{project_id}/pledges/new")
async def create_pledge(
    request: Request, session: SessionDep, user: PledgeWriter, project_id: int
) -> Response:
    project = projects_service.get_project(session, project_id)
    values = typed(await request.form())
    form = Form(values)
    lang = request_lang(request)
    if values.get("action") == "preview":
        return _pledge_page(request, session, form, project, preview=euro_preview(session, values, lang))
    attempt = Attempt(session)
    with attempt:
        body = build(PledgeCreate, {**values, "project_id": project_id}, lang=lang)
        pledge = funding_service.create_pledge(
            session, actor_of(user), body, request.app.state.facts(session)
        )
        unusual.check_pledge(session, pledge, values, _gettext(request), Formats(lang))
    if attempt.refused:
        refused = attempt.shown_on(form, PLEDGE_FIELDS)
        return _pledge_page(request, session, refused, project, attempt.status)
    return RedirectResponse(f"/projects/{project_id}?done=pledge-added", status_code=303)


def _pledge_values(row: funding_service.PledgeWithReceipts) -> dict[str, str]:
    pledge = row.pledge
    return {
        "donor": pledge.donor,
        "kind": pledge.kind,
        "amount": str(pledge.amount),
        "currency": pledge.currency,
        "pledged_on": pledge.pledged_on.isoformat(),
        "status": pledge.status,
        "note": pledge.note,
    }


def _edit_context(session: Session, row: funding_service.PledgeWithReceipts) -> dict[str, Any]:
    return {
        "pledge": row.pledge,
        "row": row,
        "outstanding": funding_service.outstanding(row),
        "version": row.pledge.version,
    }


@router.get("/pledges/{pledge_id}/edit")
def edit_pledge(request: Request, session: SessionDep, user: PageUser, pledge_id: int) -> Response:
    row = funding_service.get_pledge_row(session, actor_of(user), pledge_id)
    project = projects_service.get_project(session, row.pledge.project_id)
    form = Form(_pledge_values(row))
    return _pledge_page(
        request, session, form, project, loaded_at=loaded_now(), **_edit_context(session, row)
    )


def _update_body(values: dict[str, Any], current_status: str, lang: str) -> PledgeUpdate:
    """The API's patch from the edit form: every field shown, the status only when it was changed (a paid
    pledge stays paid by the rules, not by the form)."""
    fields = {k: v for k, v in values.items() if k in PLEDGE_FIELDS and k != "note"}
    if fields.get("status") == current_status:
        del fields["status"]
    body = build(PledgeUpdate, fields, lang=lang, blank_is_none=True)
    if "note" in values:
        body = PledgeUpdate.model_validate({**body.model_dump(exclude_unset=True), "note": values["note"]})
    return body


@router.post("/pledges/{pledge_id}/edit")
async def update_pledge(
    request: Request, session: SessionDep, user: PledgeWriter, pledge_id: int
) -> Response:
    actor = actor_of(user)
    row = funding_service.get_pledge_row(session, actor, pledge_id)
    project = projects_service.get_project(session, row.pledge.project_id)
    values = typed(await request.form())
    form = Form(values)
    loaded_at = str(values.get("loaded_at", ""))
    context = _edit_context(session, row)
    lang = request_lang(request)
    if values.get("action") == "preview":
        context["version"] = values.get("version", row.pledge.version)
        preview = euro_preview(session, values, lang)
        return _pledge_page(request, session, form, project, loaded_at=loaded_at, preview=preview, **context)
    attempt = Attempt(session)
    with attempt:
        body = _update_body(values, row.pledge.status, lang)
        precondition = Precondition(frozenset({str(values.get("version", ""))}))
        pledge, saved = funding_service.update_pledge(
            session, actor, pledge_id, body, request.app.state.facts(session), precondition
        )
        if "amount_eur" in saved:
            unusual.check_pledge(session, pledge, values, _gettext(request), Formats(lang))
    if attempt.conflict:
        fresh = funding_service.get_pledge_row(session, actor, pledge_id)
        changes = changed_meanwhile(session, "pledge", pledge_id, loaded_at)
        context = _edit_context(session, fresh)
        return _pledge_page(
            request, session, form, project, 412, loaded_at=loaded_now(), changes=changes, **context
        )
    if attempt.refused:
        context["version"] = values.get("version", row.pledge.version)
        refused = attempt.shown_on(form, PLEDGE_FIELDS)
        return _pledge_page(
            request, session, refused, project, attempt.status, loaded_at=loaded_at, **context
        )
    return RedirectResponse(f"/projects/{row.pledge.project_id}?done=pledge-saved", status_code=303)


@router.post("/pledges/{pledge_id}/delete")
async def delete_pledge(
    request: Request, session: SessionDep, user: PledgeWriter, pledge_id: int
) -> Response:
    """Delete a pledge recorded in error (one without receipts), once the person has confirmed it."""
    actor = actor_of(user)
    row = funding_service.get_pledge_row(session, actor, pledge_id)
    project = projects_service.get_project(session, row.pledge.project_id)
    values = typed(await request.form())
    loaded_at = str(values.get("loaded_at", ""))
    context = _edit_context(session, row)
    form = Form(_pledge_values(row))
    _ = _gettext(request)
    if values.get("confirm") != "yes":
        delete_error = _("Tick the box to confirm that this pledge was recorded in error.")
        return _pledge_page(
            request, session, form, project, 422, loaded_at=loaded_at, delete_error=delete_error, **context
        )
    attempt = Attempt(session)
    with attempt:
        precondition = Precondition(frozenset({str(values.get("version", ""))}))
        agreements_flow.delete_pledge(session, actor, pledge_id, precondition)
    if attempt.conflict:
        changes = changed_meanwhile(session, "pledge", pledge_id, loaded_at)
        context = _edit_context(session, funding_service.get_pledge_row(session, actor, pledge_id))
        return _pledge_page(
            request, session, form, project, 412, loaded_at=loaded_now(), changes=changes, **context
        )
    if attempt.refused:
        return _pledge_page(
            request,
            session,
            form,
            project,
            attempt.status,
            loaded_at=loaded_at,
            delete_error=attempt.detail,
            **context,
        )
    return RedirectResponse(f"/projects/{row.pledge.project_id}?done=pledge-deleted", status_code=303)


# -- receipts -----------------------------------------------------------------------------------


def _receipt_page(
    request: Request,
    session: Session,
    form: Form,
    row: funding_service.PledgeWithReceipts,
    status_code: int = 200,
) -> Response:
    lang = request_lang(request)
    project = projects_service.get_project(session, row.pledge.project_id)
    donor = states_service.get_state(session, row.pledge.donor)
    return templates.render(
        request,
        "funding/receipt_form.html",
        status_code,
        form=form,
        pledge=row.pledge,
        row=row,
        project=project,
        donor_name=name_in(donor, lang),
        outstanding=funding_service.outstanding(row),
    )


@router.get("/pledges/{pledge_id}/receipts/new")
def new_receipt(request: Request, session: SessionDep, user: PledgeWriter, pledge_id: int) -> Response:
    row = funding_service.get_pledge_row(session, actor_of(user), pledge_id)
    return _receipt_page(request, session, Form({"received_on": date.today().isoformat()}), row)


@router.post("/pledges/{pledge_id}/receipts/new")
async def add_receipt(request: Request, session: SessionDep, user: PledgeWriter, pledge_id: int) -> Response:
    actor = actor_of(user)
    row = funding_service.get_pledge_row(session, actor, pledge_id)
    values = typed(await request.form())
    form = Form(values)
    attempt = Attempt(session)
    with attempt:
        body = build(ReceiptCreate, values, lang=request_lang(request))
        funding_service.add_receipt(session, actor, pledge_id, body)
    if attempt.refused:  # each message beside the field it is about
        return _receipt_page(request, session, attempt.shown_on(form, RECEIPT_FIELDS), row, attempt.status)
    return RedirectResponse(f"/projects/{row.pledge.project_id}?done=receipt-added", status_code=303)


# -- exchange rates -----------------------------------------------------------------------------


@router.get("/exchange-rates")
def rates(request: Request, session: SessionDep, user: PageUser, page: int = 1) -> Response:
    page = max(1, min(page, 10_000))
    months, table, total = funding_service.rate_table(session, MONTHS_PER_PAGE, (page - 1) * MONTHS_PER_PAGE)
    currencies = funding_service.currencies_in_use(session)
    pages = max(1, -(-total // MONTHS_PER_PAGE))
    return templates.render(
        request,
        "funding/rates.html",
        months=months,
        table=table,
        currencies=currencies,
        page=page,
        pages=pages,
        page_url=numbered("/exchange-rates"),
        total=total,
        this_month=month_of(date.today()),
    )


def _month(request: Request, value: str) -> str:
    """The month asked for, YYYY-MM (this month when none is given); a 422 page for anything else."""
    if not value:
        return month_of(date.today())
    try:
        return build(
            ExchangeRateCreate, {"currency": EUR, "month": value, "eur_per_unit": "1"}, lang="en"
        ).month
    except ValidationError:
        _ = _gettext(request)
        raise ValidationFailed.field(
            ("query", "month"), _("Give the month as YYYY-MM, e.g. 2026-11.")
        ) from None


def _rates_page(
    request: Request, session: Session, month: str, form: Form, status_code: int = 200, notice: str = ""
) -> Response:
    lang = request_lang(request)
    recorded = funding_service.month_rates(session, month)
    currencies = sorted(set(funding_service.currencies_in_use(session)) | set(recorded))
    others = [(c, t) for c, t in currency_options(session, lang) if c != EUR and c not in currencies]
    return templates.render(
        request,
        "funding/rates_month.html",
        status_code,
        month=month,
        form=form,
        currencies=currencies,
        recorded=recorded,
        others=others,
        notice=notice,
    )


@router.get("/exchange-rates/month")
def month_form(
    request: Request, session: SessionDep, user: PageUser, month: str = "", done: str = ""
) -> Response:
    month = _month(request, month)
    recorded = funding_service.month_rates(session, month)
    values = {f"rate_{c}": _plain(r.eur_per_unit) for c, r in recorded.items()}
    _ = _gettext(request)
    notice = _("The month's rates have been saved.") if done == "saved" else ""
    return _rates_page(request, session, month, Form(values), notice=notice)


def _plain(rate: Decimal) -> str:
    """A rate as typed: no exponent, no trailing zeros."""
    return format(rate.normalize(), "f")


@router.post("/exchange-rates/month")
async def save_month(request: Request, session: SessionDep, user: RateWriter, month: str = "") -> Response:
    """Every rate typed on the month's form, new ones recorded and changed ones corrected, all or none."""
    values = typed(await request.form())
    month = _month(request, month or str(values.get("month", "")))
    actor = actor_of(user)
    recorded = funding_service.month_rates(session, month)
    _ = _gettext(request)
    wanted: list[tuple[str, str, ExchangeRateCreate]] = []  # field, currency, rate
    errors: dict[str, str] = {}
    typed_rates = [
        (name, name.removeprefix("rate_"), str(value).strip())
        for name, value in values.items()
        if name.startswith("rate_") and isinstance(value, str)
    ]
    new_currency = str(values.get("new_currency", "")).strip().upper()
    new_rate = str(values.get("new_rate", "")).strip()
    if new_currency or new_rate:
        if not new_currency:
            errors["new_currency"] = _("Choose the currency of this rate.")
        elif not new_rate:
            errors["new_rate"] = _("Enter the rate of this currency.")
        else:
            typed_rates.append(("new_rate", new_currency, new_rate))
    for name, currency, text in typed_rates:
        if not text:
            continue
        try:
            rate = build(
                ExchangeRateCreate,
                {"currency": currency, "month": month, "eur_per_unit": text},
                lang=request_lang(request),
            )
        except ValidationError as exc:
            errors[name] = first_message(exc)
            continue
        existing = recorded.get(rate.currency)
        if existing is None or existing.eur_per_unit != rate.eur_per_unit:
            wanted.append((name, rate.currency, rate))
    if not errors:
        for name, currency, rate in wanted:
            try:
                existing = recorded.get(currency)
                if existing is None:
                    funding_service.create_rate(session, actor, rate)
                else:
                    funding_service.correct_rate(session, actor, existing, rate.eur_per_unit)
            except AppError as exc:
                errors[name] = first_message(exc)
                break
    if errors:
        session.rollback()
        return _rates_page(request, session, month, Form(values, errors), 422)
    return RedirectResponse(f"/exchange-rates/month?month={month}&done=saved", status_code=303)

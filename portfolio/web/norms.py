"""The norms catalogue, for the administrator: the list (titles in the page's language), a new norm, and
retitling one. Every write goes through :mod:`portfolio.norms.service`, as ``/api/v1/norms`` does: the
same rules (a code is unique; a shipped norm keeps its kind) and the same audit entry.

The forms have a title field per language of the registry (:mod:`portfolio.languages`): English,
``title``, then ``title_<code>`` for each other language, labelled with the language's name in the page's
language; they are sent to the service as the norm's ``titles``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from portfolio.db import SessionDep
from portfolio.norms import service as norms_service
from portfolio.norms.models import Norm
from portfolio.norms.schemas import NormCreate, NormKind, NormUpdate
from portfolio.norms.titles import language_name, shipped, title_in, translated_languages
from portfolio.users.models import User
from portfolio.web.forms import Form, build, typed
from portfolio.web.i18n import options, request_lang, translations
from portfolio.web.render import templates
from portfolio.web.session import actor_of, csrf_protect, writer_of
from portfolio.web.submit import Attempt

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
Admin = Annotated[User, Depends(writer_of("norms"))]
COLUMNS = ("code", "title", "kind", "adopted")


def title_field(lang: str) -> str:
    """The form's field of a norm's title in ``lang`` (a language other than English)."""
    return f"title_{lang}"


def fields() -> tuple[str, ...]:
    return (*COLUMNS, *(title_field(code) for code in translated_languages()))


def title_languages(lang: str) -> list[tuple[str, str, str]]:
    """(field, language code, the language's name in the page's language ``lang``) of each title field
    besides the English one, in the registry's order."""
    return [(title_field(code), code, language_name(code, lang)) for code in translated_languages()]


def titles_of(values: dict[str, str | list[str]]) -> dict[str, str]:
    """The titles a form sent, by language code (blank: none)."""
    return {code: str(values.get(title_field(code), "")) for code in translated_languages()}


def norm_title(norm: Norm, lang: str) -> str:
    """A norm's title in the page's language (:func:`portfolio.norms.titles.title_in`)."""
    return title_in(norm, lang)


def _list_page(request: Request, session: Session, form: Form, status_code: int = 200) -> Response:
    lang = request_lang(request)
    _ = translations(lang).gettext
    done = request.query_params.get("done", "")
    notices = {"created": _("The norm was added."), "saved": _("The norm was saved.")}
    return templates.render(
        request,
        "norms/norms.html",
        status_code,
        norms=norms_service.list_norms(session),
        title_of=lambda n: norm_title(n, lang),
        kinds=options(NormKind, lang),
        title_languages=title_languages(lang),
        form=form,
        notice=notices.get(done, "") if status_code == 200 else "",
    )


def _refused(attempt: Attempt, form: Form) -> Form:
    if isinstance(attempt.error, norms_service.DuplicateNorm):
        return Form(form.values, {"code": attempt.detail})
    # a title's refusal names it in ``titles`` by its language: ("titles", "ru") is the field title_ru
    languages = translated_languages()
    shown = attempt.shown_on(form, [*COLUMNS, *languages])
    errors = {title_field(k) if k in languages else k: msg for k, msg in shown.errors.items()}
    return Form(shown.values, errors, shown.message)


@router.get("/norms")
def norm_list(request: Request, session: SessionDep, admin: Admin) -> Response:
    return _list_page(request, session, Form({"kind": NormKind.guide.value}))


@router.post("/norms")
async def add_norm(request: Request, session: SessionDep, admin: Admin) -> Response:
    values = {k: v for k, v in typed(await request.form()).items() if k in fields()}
    form = Form(values)
    attempt = Attempt(session)
    with attempt:
        columns = {k: v for k, v in values.items() if k in COLUMNS}
        body = build(NormCreate, {**columns, "titles": titles_of(values)}, lang=request_lang(request))
        norms_service.create_norm(session, actor_of(admin), body)
    if attempt.refused:
        return _list_page(request, session, _refused(attempt, form), attempt.status)
    return RedirectResponse("/norms?done=created", status_code=303)


def _edit_page(request: Request, norm: Norm, form: Form, status_code: int = 200) -> Response:
    lang = request_lang(request)
    published = shipped()
    return templates.render(
        request,
        "norms/norm_form.html",
        status_code,
        norm=norm,
        form=form,
        kinds=options(NormKind, lang),
        title_languages=title_languages(lang),
        # what each language shows while its field is empty: the OSCE's published title, else the English
        shown_when_empty={
            code: published.get((norm.code, code), norm.title) for code in translated_languages()
        },
    )


@router.get("/norms/{code}/edit")
def edit_norm_form(request: Request, session: SessionDep, admin: Admin, code: str) -> Response:
    norm = norms_service.get_norm(session, code)
    titles = norm.titles
    values = {
        "title": norm.title,
        **{title_field(lang): titles.get(lang, "") for lang in translated_languages()},
        "kind": norm.kind,
        "adopted": str(norm.adopted or ""),
    }
    return _edit_page(request, norm, Form(values))


@router.post("/norms/{code}/edit")
async def save_norm(request: Request, session: SessionDep, admin: Admin, code: str) -> Response:
    norm = norms_service.get_norm(session, code)
    values = {k: v for k, v in typed(await request.form()).items() if k in fields() and k != "code"}
    if norm.builtin:
        values.pop("kind", None)  # a shipped norm keeps its kind: the form does not offer it
    form = Form(values)
    attempt = Attempt(session)
    with attempt:
        columns = {k: v for k, v in values.items() if k in COLUMNS and (k != "adopted" or v != "")}
        sent = {lang: title for lang, title in titles_of(values).items() if title_field(lang) in values}
        body = build(NormUpdate, {**columns, "titles": sent}, lang=request_lang(request))
        if values.get("adopted") == "":
            body = NormUpdate.model_validate({**body.model_dump(exclude_unset=True), "adopted": None})
        norms_service.update_norm(session, actor_of(admin), norm.code, body)
    if attempt.refused:
        norm = norms_service.get_norm(session, code)
        return _edit_page(request, norm, _refused(attempt, form), attempt.status)
    return RedirectResponse("/norms?done=saved", status_code=303)

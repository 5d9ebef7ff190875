"""The norms catalogue, for the administrator: the list (titles in the page's language), a new norm, and
retitling one. Every write goes through :mod:`portfolio.norms.service`, as ``/api/v1/norms`` does: the
same rules (a code is unique; a shipped norm keeps its kind) and the same audit entry."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from portfolio.db import SessionDep
from portfolio.norms import service as norms_service
from portfolio.norms.models import Norm
from portfolio.norms.schemas import NormCreate, NormKind, NormUpdate
from portfolio.norms.titles import title_in
from portfolio.users.models import User
from portfolio.web.forms import Form, build, typed
from portfolio.web.i18n import options, request_lang, translations
from portfolio.web.render import templates
from portfolio.web.session import actor_of, csrf_protect, writer_of
from portfolio.web.submit import Attempt

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
Admin = Annotated[User, Depends(writer_of("norms"))]
FIELDS = ("code", "title", "title_fr", "kind", "adopted")


def norm_title(norm: Norm, lang: str) -> str:
    """A norm's title in the page's language (the English one where no French is recorded)."""
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
        form=form,
        notice=notices.get(done, "") if status_code == 200 else "",
    )


def _refused(attempt: Attempt, form: Form) -> Form:
    if isinstance(attempt.error, norms_service.DuplicateNorm):
        return Form(form.values, {"code": attempt.detail})
    return attempt.shown_on(form, FIELDS)


@router.get("/norms")
def norm_list(request: Request, session: SessionDep, admin: Admin) -> Response:
    return _list_page(request, session, Form({"kind": NormKind.guide.value}))


@router.post("/norms")
async def add_norm(request: Request, session: SessionDep, admin: Admin) -> Response:
    values = typed(await request.form())
    form = Form(values)
    attempt = Attempt(session)
    with attempt:
        norms_service.create_norm(
            session, actor_of(admin), build(NormCreate, values, lang=request_lang(request))
        )
    if attempt.refused:
        return _list_page(request, session, _refused(attempt, form), attempt.status)
    return RedirectResponse("/norms?done=created", status_code=303)


def _edit_page(request: Request, norm: Norm, form: Form, status_code: int = 200) -> Response:
    kinds = options(NormKind, request_lang(request))
    return templates.render(request, "norms/norm_form.html", status_code, norm=norm, form=form, kinds=kinds)


@router.get("/norms/{code}/edit")
def edit_norm_form(request: Request, session: SessionDep, admin: Admin, code: str) -> Response:
    norm = norms_service.get_norm(session, code)
    values = {
        "title": norm.title,
        "title_fr": norm.title_fr,
        "kind": norm.kind,
        "adopted": str(norm.adopted or ""),
    }
    return _edit_page(request, norm, Form(values))


@router.post("/norms/{code}/edit")
async def save_norm(request: Request, session: SessionDep, admin: Admin, code: str) -> Response:
    norm = norms_service.get_norm(session, code)
    values = {k: v for k, v in typed(await request.form()).items() if k in FIELDS and k != "code"}
    if norm.builtin:
        values.pop("kind", None)  # a shipped norm keeps its kind: the form does not offer it
    form = Form(values)
    attempt = Attempt(session)
    with attempt:
        body = build(
            NormUpdate,
            {k: v for k, v in values.items() if k != "adopted" or v != ""},
            lang=request_lang(request),
        )
        if values.get("adopted") == "":
            body = NormUpdate.model_validate({**body.model_dump(exclude_unset=True), "adopted": None})
        norms_service.update_norm(session, actor_of(admin), norm.code, body)
    if attempt.refused:
        norm = norms_service.get_norm(session, code)
        return _edit_page(request, norm, _refused(attempt, form), attempt.status)
    return RedirectResponse("/norms?done=saved", status_code=303)

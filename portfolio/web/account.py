"""The account's own page: changing one's password (every role)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from portfolio.db import SessionDep
from portfolio.errors import AppError, FieldError, ValidationFailed
from portfolio.users import service as users_service
from portfolio.web.forms import Form, typed
from portfolio.web.i18n import request_lang, translations
from portfolio.web.render import templates
from portfolio.web.session import COOKIE, PageUser, actor_of, csrf_protect

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
FIELDS = ("current_password", "new_password", "repeat_password")


def _page(request: Request, form: Form, status_code: int = 200, notice: str = "") -> Response:
    return templates.render(request, "account_password.html", status_code, form=form, notice=notice)


@router.get("/account/password")
def password_form(request: Request, user: PageUser, done: str = "") -> Response:
    _ = translations(request_lang(request)).gettext
    notice = _("Your password has been changed.") if done else ""
    return _page(request, Form(), notice=notice)


@router.post("/account/password")
async def change_password(request: Request, session: SessionDep, user: PageUser) -> Response:
    values = typed(await request.form())
    form = Form(dict.fromkeys(FIELDS, ""))  # passwords are never sent back to the browser
    _ = translations(request_lang(request)).gettext
    try:
        if values.get("new_password") != values.get("repeat_password"):
            raise ValidationFailed(
                "repeat_password: does not match",
                errors=[FieldError(("repeat_password",), _("The two new passwords differ."))],
            )
        changed = users_service.change_own_password(
            session,
            actor_of(user),
            str(values.get("current_password", "")),
            str(values.get("new_password", "")),
            request.app.state.hasher,
        )
    except (AppError, ValidationError) as exc:
        session.rollback()
        if isinstance(exc, ValidationError):  # the API's password rule, reported on this form's field
            exc = ValidationFailed(
                "password", errors=[FieldError(("new_password",), str(e["msg"])) for e in exc.errors()]
            )
        return _page(request, form.refused(exc, FIELDS), 422)
    # A new password revokes every earlier token, this session's cookie too: log in again with it.
    response = RedirectResponse("/login?next=/account/password%3Fdone%3D1", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    del changed
    return response

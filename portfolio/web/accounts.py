"""Accounts, for the administrator: the list, a new account, and one account's page (its name, e-mail,
role and State; deactivating and reactivating it; setting a new password for it).

Every write goes through :func:`portfolio.users.service.create_user` and
:func:`portfolio.flows.accounts.update_account`, as the API's ``/api/v1/users`` does: the same rules (a donor
names its State, an e-mail has one account), the same audit entry, and deactivating or resetting the
password revokes every token the account holds, on every host. No page ever shows a password or its
hash: a refused form comes back with its password field empty."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from portfolio.db import SessionDep
from portfolio.flows import accounts as accounts_flow
from portfolio.languages import language_names
from portfolio.pagination import PageParams
from portfolio.preconditions import Precondition
from portfolio.states import service as states_service
from portfolio.users import service as users_service
from portfolio.users.models import User
from portfolio.users.schemas import Role, UserCreate, UserUpdate
from portfolio.web.conflict import changed_meanwhile, loaded_now
from portfolio.web.forms import Form, build, typed
from portfolio.web.i18n import options, request_lang, translations
from portfolio.web.pager import numbered
from portfolio.web.render import templates
from portfolio.web.session import actor_of, csrf_protect, writer_of
from portfolio.web.submit import Attempt

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
Admin = Annotated[User, Depends(writer_of("users"))]
FIELDS = ("email", "full_name", "role", "state", "language", "password")
PAGE_SIZE = 200


def state_names(session: Session, lang: str) -> dict[str, str]:
    """Every State's name in the page's language, by code, in alphabetical order of the names."""
    return states_service.names(session, lang)


def notices(lang: str) -> dict[str, str]:
    _ = translations(lang).gettext
    return {
        "created": _("The account was created."),
        "saved": _("The account was saved."),
        "deactivated": _(
            "The account was deactivated: it can no longer log in, and its sessions and tokens have "
            "stopped working."
        ),
        "reactivated": _("The account was reactivated: it can log in again."),
        "password": _(
            "The new password was set; the account's earlier sessions and tokens have stopped working."
        ),
    }


@router.get("/accounts")
def account_list(request: Request, session: SessionDep, admin: Admin, page: int = 1) -> Response:
    """Every account: e-mail, name, role, the State of a donor, whether it is active, its last change."""
    page = max(page, 1)
    users, total = users_service.list_users(session, PageParams(PAGE_SIZE, (page - 1) * PAGE_SIZE))
    lang = request_lang(request)
    return templates.render(
        request,
        "accounts/accounts.html",
        users=users,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        page_url=numbered("/accounts"),
        states=state_names(session, lang),
    )


def _form_page(
    request: Request,
    session: Session,
    form: Form,
    status_code: int = 200,
    *,
    account: User | None = None,
    changes: list[Any] | None = None,
    notice: str = "",
) -> Response:
    lang = request_lang(request)
    return templates.render(
        request,
        "accounts/account_form.html",
        status_code,
        form=form,
        account=account,
        roles=options(Role, lang),
        language_options=language_names(),
        states=list(state_names(session, lang).items()),
        changes=changes,
        notice=notice,
    )


def _without_passwords(values: dict[str, Any]) -> dict[str, Any]:
    return {**values, "password": ""}


def _refused(attempt: Attempt, form: Form, lang: str) -> Form:
    """The form with the service's or the schema's messages beside the fields."""
    exc = attempt.error
    if isinstance(exc, users_service.DuplicateEmail):
        return Form(form.values, {"email": exc.detail})
    if isinstance(exc, users_service.WeakPassword):
        _ = translations(lang).gettext
        message = _(
            "This password is too easy to guess: it is a common or breached password, a pattern such as "
            "aaaa or 1234, or made of the account's e-mail or name. Choose a passphrase of several unrelated "
            "words."
        )
        return Form(form.values, {"password": message})
    if isinstance(exc, users_service.LastAdmin):
        _ = translations(lang).gettext
        message = _(
            "This is the only active administrator account: it may not stop being an administrator or be "
            "deactivated until another account is an active administrator."
        )
        return Form(form.values, {}, message)
    return attempt.shown_on(form, FIELDS)


@router.get("/accounts/sign-in-failures")
def sign_in_failures(request: Request, session: SessionDep, admin: Admin, page: int = 1) -> Response:
    """The security view: the latest failed sign-ins (who was typed, the account, the address, when, why)."""
    page = max(page, 1)
    failures, total = users_service.sign_in_failures(session, PageParams(PAGE_SIZE, (page - 1) * PAGE_SIZE))
    _ = translations(request_lang(request)).gettext
    reasons = {
        "wrong-password": _("Wrong password"),
        "unknown-email": _("No such account"),
        "inactive": _("Account deactivated"),
    }
    return templates.render(
        request,
        "accounts/sign_in_failures.html",
        failures=failures,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        page_url=numbered("/accounts/sign-in-failures"),
        reasons=reasons,
    )


@router.get("/accounts/new")
def new_account_form(request: Request, session: SessionDep, admin: Admin) -> Response:
    # a new account writes its e-mails in the language of the administrator's page unless told otherwise
    return _form_page(request, session, Form({"role": Role.staff.value, "language": request_lang(request)}))


@router.post("/accounts/new")
async def create_account(request: Request, session: SessionDep, admin: Admin) -> Response:
    values = typed(await request.form())
    form = Form(_without_passwords(values))
    attempt = Attempt(session)
    with attempt:
        body = build(UserCreate, values, lang=request_lang(request))
        user = users_service.create_user(session, actor_of(admin), body, request.app.state.hasher)
    if attempt.refused:
        refused = _refused(attempt, form, request_lang(request))
        return _form_page(request, session, refused, attempt.status)
    return RedirectResponse(f"/accounts/{user.id}?done=created", status_code=303)


def _edit_values(user: User) -> dict[str, Any]:
    return {
        "email": user.email,
        "full_name": user.full_name,
        "role": user.role,
        "state": user.state or "",
        "language": user.language,
        "version": str(user.version),
        "loaded_at": loaded_now(),
    }


@router.get("/accounts/{uid}")
def account_page(request: Request, session: SessionDep, admin: Admin, uid: int, done: str = "") -> Response:
    """One account: its details to edit, deactivation or reactivation, and a new password."""
    user = users_service.get_user(session, uid)
    notice = notices(request_lang(request)).get(done, "")
    return _form_page(request, session, Form(_edit_values(user)), account=user, notice=notice)


ACTIONS = {"save", "deactivate", "reactivate", "password"}


def _update(values: dict[str, Any], action: str) -> UserUpdate:
    """The API's change of an account for one of the page's buttons."""
    if action == "deactivate":
        return UserUpdate(active=False)
    if action == "reactivate":
        return UserUpdate(active=True)
    if action == "password":
        return UserUpdate.model_validate({"password": values.get("password", "")})
    data = {name: values.get(name, "") for name in ("email", "full_name", "role")}
    if values.get("language"):
        data["language"] = values["language"]
    data["state"] = values.get("state") or None  # no State chosen: the account speaks for none
    return UserUpdate.model_validate(data)


@router.post("/accounts/{uid}")
async def update_account(request: Request, session: SessionDep, admin: Admin, uid: int) -> Response:
    user = users_service.get_user(session, uid)
    values = typed(await request.form())
    action = str(values.pop("action", "save"))
    if action not in ACTIONS:
        action = "save"
    version = str(values.get("version", ""))
    loaded_at = str(values.get("loaded_at", ""))
    if action != "save":  # the details form's fields stay as stored
        values = {**_edit_values(user), **{k: v for k, v in values.items() if k in ("password",)}}
        values["version"], values["loaded_at"] = version, loaded_at
    form = Form(_without_passwords(values))
    attempt = Attempt(session)
    with attempt:
        body = _update(values, action)
        accounts_flow.update_account(
            session,
            actor_of(admin),
            uid,
            body,
            request.app.state.hasher,
            Precondition(frozenset({version})),
        )
    if attempt.conflict:
        current = users_service.get_user(session, uid)
        changes = changed_meanwhile(session, "user", uid, loaded_at)
        kept = Form({**form.values, "version": str(current.version), "loaded_at": loaded_now()})
        return _form_page(request, session, kept, 412, account=current, changes=changes)
    if attempt.refused:
        refused = _refused(attempt, form, request_lang(request))
        current = users_service.get_user(session, uid)
        return _form_page(request, session, refused, attempt.status, account=current)
    done = {"save": "saved", "deactivate": "deactivated", "reactivate": "reactivated", "password": "password"}
    return RedirectResponse(f"/accounts/{uid}?done={done[action]}", status_code=303)

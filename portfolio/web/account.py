"""The account's own page, ``/account`` ("Your account", every role): who one is, one's calendar feed, and
changing one's password. ``/account/password``, its former address, leads there."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from portfolio.db import SessionDep
from portfolio.errors import FieldError, ValidationFailed
from portfolio.languages import language_names
from portfolio.reminders import service as reminders_service
from portfolio.users import service as users_service
from portfolio.web.forms import Form, first_message, typed
from portfolio.web.i18n import request_lang, translations
from portfolio.web.render import templates
from portfolio.web.session import COOKIE, PageUser, actor_of, csrf_protect
from portfolio.web.submit import Attempt

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
FIELDS = ("current_password", "new_password", "repeat_password")


def _page(
    request: Request,
    form: Form,
    status_code: int = 200,
    notice: str = "",
    *,
    feed: reminders_service.FeedStatus | None = None,
    feed_url: str = "",
) -> Response:
    user = request.state.user
    return templates.render(
        request,
        "accounts/account.html",
        status_code,
        form=form,
        notice=notice,
        feed=feed,
        feed_url=feed_url,
        language_form=Form({"language": user.language}),
        language_options=language_names(),
    )


@router.get("/account/password")
def former_address(request: Request, user: PageUser) -> Response:
    """The page's former address (bookmarks, older e-mails): the account page, with what it was to say."""
    query = request.url.query
    return RedirectResponse(f"/account?{query}" if query else "/account", status_code=303)


@router.get("/account")
def account_page(
    request: Request, session: SessionDep, user: PageUser, done: str = "", feed: str = ""
) -> Response:
    _ = translations(request_lang(request)).gettext
    notice = _("Your password has been changed.") if done else ""
    if done == "language":
        notice = _("Your e-mails and your calendar feed will be written in the language you chose.")
    if feed == "revoked":
        notice = _("Your calendar feed URL was revoked: calendars subscribed to it no longer update.")
    status = reminders_service.feed_status(session, actor_of(user))
    return _page(request, Form(), notice=notice, feed=status)


@router.post("/account/language")
async def choose_language(request: Request, session: SessionDep, user: PageUser) -> Response:
    """The language of this account's e-mails and calendar feed."""
    values = typed(await request.form())
    users_service.set_own_language(session, actor_of(user), str(values.get("language", "")))
    return RedirectResponse("/account?done=language#language", status_code=303)


@router.post("/account/calendar-feed")
def create_calendar_feed(request: Request, session: SessionDep, user: PageUser) -> Response:
    """A new calendar feed URL for this account (revoking the one before), shown this once."""
    token = reminders_service.issue_feed(session, actor_of(user))
    url = str(request.url_for("calendar_feed").include_query_params(token=token))
    _ = translations(request_lang(request)).gettext
    notice = _("Your calendar feed URL is below. Copy it now: it is shown only this once.")
    feed = reminders_service.feed_status(session, actor_of(user))
    return _page(request, Form(), notice=notice, feed=feed, feed_url=url)


@router.post("/account/calendar-feed/revoke")
def revoke_calendar_feed(request: Request, session: SessionDep, user: PageUser) -> Response:
    reminders_service.revoke_feeds(session, actor_of(user))
    return RedirectResponse("/account?feed=revoked#calendar-feed", status_code=303)


@router.post("/account/password")
async def change_password(request: Request, session: SessionDep, user: PageUser) -> Response:
    values = typed(await request.form())
    form = Form(dict.fromkeys(FIELDS, ""))  # passwords are never sent back to the browser
    _ = translations(request_lang(request)).gettext
    attempt = Attempt(session)
    with attempt:
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
    if attempt.error is not None:
        exc: Exception = attempt.error
        if isinstance(exc, users_service.WeakPassword):
            exc = ValidationFailed(
                "password",
                errors=[
                    FieldError(
                        ("new_password",),
                        _(
                            "This password is too easy to guess: it is a common or breached password, a "
                            "pattern such as aaaa or 1234, or made of the account's e-mail or name. Choose a "
                            "passphrase of several unrelated words."
                        ),
                    )
                ],
            )
        if isinstance(exc, ValidationError):  # the API's password rule, reported on this form's field
            exc = ValidationFailed("password", errors=[FieldError(("new_password",), first_message(exc))])
        feed = reminders_service.feed_status(session, actor_of(user))
        return _page(request, form.refused(exc, FIELDS), 422, feed=feed)
    # A new password revokes every earlier token, this session's cookie too: log in again with it.
    response = RedirectResponse("/login?next=/account%3Fdone%3D1", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    del changed
    return response

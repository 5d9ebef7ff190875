"""How every page's form refuses, written once: a save is tried inside an :class:`Attempt`.

    attempt = Attempt(session)
    with attempt:
        body = build(PledgeCreate, values, lang=lang)
        funding_service.create_pledge(session, actor, body, facts)
    if attempt.conflict:
        return <the form again, with what changed meanwhile>        # 412
    if attempt.refused:
        return <the form again: attempt.shown_on(form, FIELDS)>, attempt.status
    return RedirectResponse(..., status_code=303)                   # post/redirect/get

Whatever the save raised, the session is rolled back first, so nothing is half-written. What the person
can mend on the form is kept for the page to show beside its field, with one status chosen one way:

- a refusal of a value (:class:`portfolio.errors.AppError` — a rule's 422, a conflict of state's 409, a
  file's 413 or 415) keeps its own status; pydantic's refusal of a value is a 422;
- a save against a version someone else has moved on (412) is a *conflict*: the page shows what changed;
- anything the form cannot mend — not signed in (401), not allowed (403), gone (404), unless it names a
  field of the form (a project number typed that does not exist), or a fault — is not kept: it goes on to
  the error pages, as it would from a read."""

from __future__ import annotations

from collections.abc import Iterable
from types import TracebackType

from pydantic import ValidationError
from sqlmodel import Session

from portfolio.errors import AppError, Forbidden, NotFound, PreconditionFailed, Unauthorized
from portfolio.web.forms import Form

NOT_THE_FORMS = (Unauthorized, Forbidden, NotFound)


class Attempt:
    """One save from a page; see the module's description."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.error: AppError | ValidationError | None = None
        self.stale: PreconditionFailed | None = None

    @property
    def conflict(self) -> bool:
        """The save met a version someone else has moved on (412)."""
        return self.stale is not None

    @property
    def refused(self) -> bool:
        return self.error is not None

    @property
    def status(self) -> int:
        """The status of the page that shows the refusal (412 for a conflict)."""
        if self.stale is not None:
            return self.stale.status
        return self.error.status if isinstance(self.error, AppError) else 422

    def shown_on(self, form: Form, fields: Iterable[str] | None = None) -> Form:
        """``form`` as the person sent it, each message of the refusal beside its field (of ``fields``),
        the others above the form."""
        if self.error is None:
            raise ValueError("nothing was refused")
        return form.refused(self.error, fields)

    @property
    def detail(self) -> str:
        """The refusal in one sentence, for a form whose refusal belongs to no one field (a confirmation);
        a rule's :class:`portfolio.errors.Said` stays one, to be said in the page's language."""
        if isinstance(self.error, AppError):
            return self.error.detail
        if self.stale is not None:
            return self.stale.detail
        return "" if self.error is None else str(self.error)

    def __enter__(self) -> Attempt:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> bool:
        if exc is None:
            return False
        self.session.rollback()
        if isinstance(exc, PreconditionFailed):
            self.stale = exc
            return True
        if isinstance(exc, NOT_THE_FORMS) and not exc.errors:
            return False
        if isinstance(exc, AppError | ValidationError):
            self.error = exc
            return True
        return False

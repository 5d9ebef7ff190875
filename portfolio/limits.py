"""The front door: what every request meets before any route, any form parser, any CSRF check runs.

**Body size.** A request body may be at most ``PORTFOLIO_MAX_BODY_BYTES`` (1 MB), JSON and forms alike,
signed in or not; the routes that take a file say more (:data:`UPLOADS`: the imports take
``PORTFOLIO_IMPORT_MAX_BYTES``, the document uploads ``PORTFOLIO_DOCUMENT_MAX_BYTES``, each with room for
the multipart envelope around the file). A declared ``Content-Length`` over the limit is answered 413 at
once, without reading a byte of the body; a chunked body is counted as it arrives and cut off at the
limit, the app's own answer replaced by the 413. The API gets a problem document, the pages a page in the
person's language. Nothing is buffered here: the limit holds per request, in each worker on each host.

**Caching.** Every answer to a request that carries the session cookie or a bearer token — pages,
CSV/XLSX/PDF files, API documents, errors — is ``Cache-Control: no-store``, so that after logging out
the browser's Back button shows nothing of what the account saw. The public static assets under
``/static/`` (and the dashboards' script) keep their own caching."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from http.cookies import CookieError, SimpleCookie

from fastapi import Request
from fastapi.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portfolio.config import Settings
from portfolio.errors import problem
from portfolio.web.errors import error_page, is_page
from portfolio.web.i18n import request_lang, translations
from portfolio.web.session import COOKIE

ENVELOPE = 64 * 1024  # the multipart envelope around an uploaded file: its boundaries, headers, CSRF field

# The routes that take a file, and the setting that bounds it (anything else: max_body_bytes).
UPLOADS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), setting)
    for pattern, setting in (
        (r"/api/v1/imports/[^/]+", "import_max_bytes"),
        (r"/imports(/confirm)?", "import_max_bytes"),
        (r"/api/v1/documents", "document_max_bytes"),
        (r"/documents/new", "document_max_bytes"),
        (r"/obligations/\d+", "document_max_bytes"),
        (r"/processes/\d+/follow-ups", "document_max_bytes"),
    )
)
PUBLIC = ("/static/", "/dashboards/static/")  # assets that cache as they say, whoever asks
NO_STORE = (b"cache-control", b"no-store")


def body_limit(settings: Settings, path: str) -> int:
    """The most bytes a request body to ``path`` may hold."""
    for pattern, setting in UPLOADS:
        if pattern.fullmatch(path):
            return int(getattr(settings, setting)) + ENVELOPE
    return settings.max_body_bytes


def size_text(limit: int, lang: str = "en") -> str:
    """A size as a person reads it (1.0 MB, 64 KB; Mo and ko in French)."""
    _ = translations(lang).gettext
    if limit >= 1024 * 1024:
        return _("%(size)s MB") % {"size": f"{limit / 1024 / 1024:.1f}"}
    return _("%(size)s KB") % {"size": limit // 1024}


def too_large(scope: Scope, limit: int) -> Response:
    """The 413: a problem document for the API, a page for the pages."""
    request = Request(scope)
    if is_page(request):
        lang = request_lang(request)
        _ = translations(lang).gettext
        detail = _("The form sent more than %(size)s, the most this page accepts.") % {
            "size": size_text(limit, lang)
        }
        return error_page(request, 413, detail)
    return problem(
        413,
        "Request too large",
        f"The request body is larger than {size_text(limit)}, the most this endpoint accepts.",
        "payload-too-large",
    )


def signed_in(scope: Scope) -> bool:
    """Whether the request carries the session cookie or a bearer token (valid or not)."""
    for name, value in scope.get("headers", ()):
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            return True
        if name == b"cookie" and COOKIE.encode() in value:
            try:
                cookies = SimpleCookie(value.decode("latin-1"))
            except CookieError:
                return True  # unreadable, but it named the session: treat it as one
            if COOKIE in cookies:
                return True
    return False


class _TooLarge(Exception):
    pass


class BodyLimit:
    """The body limit (see the module), as a pure ASGI middleware. The import and document uploads'
    own limits (:class:`portfolio.transfer.router.UploadLimit`) sit in front of it and answer first, in
    their own words; this one holds for every other route and stands behind them."""

    def __init__(self, app: ASGIApp, settings: Callable[[], Settings]) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        limit = body_limit(self.settings(), path)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _send(too_large(scope, _shown(limit, path)), send)
            return
        seen = 0
        over = False  # the body passed the limit: the answer is the 413, whatever the app makes of it
        started = False  # the app began its answer before that (it did not read the whole body)
        refused = False

        async def counted() -> Message:
            nonlocal seen, over
            if over:
                raise _TooLarge
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                over = True
                raise _TooLarge
            return message

        async def guarded(message: Message) -> None:
            nonlocal started, refused
            if over and not started:
                if not refused:
                    refused = True
                    await _send(too_large(scope, _shown(limit, path)), send)
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        with contextlib.suppress(_TooLarge):  # the app let the cut-off read fall through
            await self.app(scope, counted, guarded)
        if over and not started and not refused:
            await _send(too_large(scope, _shown(limit, path)), send)


class NoStore:
    """``Cache-Control: no-store`` on every answer to a signed-in request (see the module), as a pure ASGI
    middleware in front of all others, so that their own answers (a 413) carry it too."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and signed_in(scope) and not scope["path"].startswith(PUBLIC):
            send = _no_store(send)
        await self.app(scope, receive, send)


def _shown(limit: int, path: str) -> int:
    """The limit as the person should read it: an upload's without the envelope."""
    return limit - ENVELOPE if any(p.fullmatch(path) for p, _ in UPLOADS) else limit


def _no_store(send: Send) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() != b"cache-control"]
            kept = [v for k, v in message.get("headers", ()) if k.lower() == b"cache-control"]
            if kept and all(b"no-store" in v.lower() for v in kept):
                headers += [(b"cache-control", v) for v in kept]  # e.g. "private, no-store"
            else:
                headers.append(NO_STORE)
            message = {**message, "headers": headers}
        await send(message)

    return sending


async def _send(response: Response, send: Send) -> None:
    response.headers["Connection"] = "close"  # the rest of the body is never read
    await response({"type": "http"}, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.disconnect"}

"""The ``Idempotency-Key`` header on every POST of the API, in one place.

A client whose POST was cut off (a timeout, a dropped connection, a balancer that gave up) cannot tell
whether it was written. Sent again with the same key and the same body, within :data:`TTL`, it gets the
first answer again — status, the headers that matter, body — and nothing is written twice, whichever host
or worker it reaches: the keys are kept in the database, per account. The same key with another body or
another path is refused (422); while the first request with a key is still running, the same key gets 409.
An answer of 5xx (nothing was written) is not kept: the request may be sent again with the same key.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import anyio.to_thread
from anyio import CancelScope
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portfolio.db import Database, utcnow
from portfolio.errors import problem
from portfolio.idempotency import repository
from portfolio.idempotency.models import KEY_MAX, REQUEST_MAX
from portfolio.security import InvalidToken, read_token

HEADER = "Idempotency-Key"
TTL = timedelta(hours=24)
# A first request still "in progress" after this long lost its worker (killed, or its host gone) before it
# could answer: the key is taken again. Longer than any request runs (imports included).
ABANDONED = timedelta(minutes=10)
API_PREFIX = "/api/"
# The answer's headers given again with it; the rest (dates, caching, lengths) are the replay's own.
KEPT_HEADERS = ("content-type", "location", "etag", "content-disposition")
REPLAYED = "Idempotent-Replayed"
# A key is visible ASCII (an sf-string's characters, as the draft has it), optionally in double quotes.
_KEY = re.compile(r'^"?([\x20-\x21\x23-\x5b\x5d-\x7e]+)"?$')
_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)


@dataclass(frozen=True)
class _State:
    db: Database
    secret_key: str
    leeway_s: float


def key_of(value: str) -> str | None:
    """The key a header value names, or None when it is malformed (empty, too long, not visible ASCII)."""
    match = _KEY.match(value.strip())
    if match is None or len(match.group(1)) > KEY_MAX:
        return None
    return match.group(1)


def body_digest(body: bytes, content_type: str) -> str:
    """SHA-256 of a body; a multipart body's boundary (a random string each time it is sent) left out."""
    boundary = _BOUNDARY.search(content_type) if content_type.lower().startswith("multipart/") else None
    if boundary is not None:
        body = body.replace(boundary.group(1).encode("latin-1"), b"")
    return hashlib.sha256(body).hexdigest()


class IdempotencyKeys:
    """ASGI middleware: :mod:`portfolio.idempotency` for every POST under ``/api/`` that carries the header
    and a valid bearer token (without one the route answers 401 anyway)."""

    def __init__(self, app: ASGIApp, state: Callable[[], Any]) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        value = headers.get(HEADER)
        if value is None:
            await self.app(scope, receive, send)
            return
        key = key_of(value)
        if key is None:
            detail = f"{HEADER} must be 1 to {KEY_MAX} visible ASCII characters (e.g. a UUID)."
            await problem(400, "Malformed Idempotency-Key", detail, "bad-request")(scope, receive, send)
            return
        app_state = self.state()
        state = _State(app_state.db, app_state.secret_key, app_state.settings.token_leeway_s)
        user_id = _account(state, headers.get("authorization", ""))
        if user_id is None:
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        query = scope.get("query_string", b"").decode("latin-1")
        request = f"POST {scope['path']}{'?' + query if query else ''}"[:REQUEST_MAX]
        digest = body_digest(body, headers.get("content-type", ""))
        now = utcnow()

        def claim() -> repository.Stored | None:
            with state.db.session(write=True) as session:
                return repository.claim(
                    session, user_id, key, request, digest, now, now - TTL, now - ABANDONED
                )

        stored = await anyio.to_thread.run_sync(claim)
        if stored is not None:
            await _answer_again(stored, request, digest, scope, receive, send)
            return
        await _first_time(self.app, state, user_id, key, body, scope, receive, send)


def _account(state: _State, authorization: str) -> int | None:
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        return read_token(state.secret_key, token.strip(), state.leeway_s).user_id
    except InvalidToken:
        return None


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _answer_again(
    stored: repository.Stored, request: str, digest: str, scope: Scope, receive: Receive, send: Send
) -> None:
    if stored.request != request or stored.body_sha256 != digest:
        detail = (
            f"This {HEADER} was used for another request (another body or address) within the last "
            f"{TTL.total_seconds() / 3600:.0f} hours; use a new key for a new request."
        )
        response = problem(422, "Idempotency-Key reused", detail, "idempotency-key-reused")
    elif stored.status is None:
        detail = f"The first request with this {HEADER} is still in progress; retry shortly."
        response = problem(409, "Request in progress", detail, "conflict", headers={"Retry-After": "1"})
    else:
        body = (stored.body or "").encode("utf-8")
        kept: list[list[str]] = json.loads(stored.headers or "[]")
        raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in kept]
        raw += [(b"content-length", str(len(body)).encode()), (REPLAYED.lower().encode(), b"true")]
        await send({"type": "http.response.start", "status": stored.status, "headers": raw})
        await send({"type": "http.response.body", "body": body, "more_body": False})
        return
    await response(scope, receive, send)


async def _first_time(
    app: ASGIApp,
    state: _State,
    user_id: int,
    key: str,
    body: bytes,
    scope: Scope,
    receive: Receive,
    send: Send,
) -> None:
    given = False

    async def replay() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    status: int | None = None
    kept: list[list[str]] = []
    chunks: list[bytes] = []

    async def capture(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
            for name, value in message.get("headers", []):
                if name.decode("latin-1").lower() in KEPT_HEADERS:
                    kept.append([name.decode("latin-1").lower(), value.decode("latin-1")])
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
        await send(message)

    try:
        await app(scope, replay, capture)
    finally:
        with CancelScope(shield=True):
            await anyio.to_thread.run_sync(_settle, state, user_id, key, status, kept, b"".join(chunks))


def _settle(
    state: _State, user_id: int, key: str, status: int | None, kept: list[list[str]], body: bytes
) -> None:
    """Keep the answer; or, when the request failed (nothing was written), let the key go."""
    text: str | None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    with state.db.session(write=True) as session:
        if status is None or status >= 500 or text is None:
            repository.release(session, user_id, key)
        else:
            repository.complete(session, user_id, key, status, json.dumps(kept), text)


def document(schema: dict[str, Any]) -> dict[str, Any]:
    """Declare the optional header, and the answers it may bring, on every POST operation of the API."""
    parameter = {
        "name": HEADER,
        "in": "header",
        "required": False,
        "description": "Any string of up to 255 visible ASCII characters, new for each new request (a "
        "UUID). Sent again with the same body within 24 hours, the request gets the first answer again "
        "(with `Idempotent-Replayed: true`) and writes nothing new; the same key with another body is a "
        "422, and while the first request is still in progress a 409.",
        "schema": {"type": "string", "minLength": 1, "maxLength": KEY_MAX, "pattern": r"^[\x21-\x7e]+$"},
    }
    for path, item in schema.get("paths", {}).items():
        operation = item.get("post")
        if operation is None or not path.startswith(API_PREFIX):
            continue
        parameters = operation.setdefault("parameters", [])
        if not any(p.get("name") == HEADER for p in parameters):
            parameters.append(parameter)
        responses = operation.setdefault("responses", {})
        responses.setdefault("400", {"description": f"Bad request (e.g. a malformed {HEADER})"})
        responses.setdefault("409", {"description": f"The first request with this {HEADER} is in progress"})
        responses.setdefault("422", {"description": f"Invalid input, or an {HEADER} used for another body"})
    return schema

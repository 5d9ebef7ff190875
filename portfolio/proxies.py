"""The proxies in front of the app (PORTFOLIO_TRUSTED_PROXIES): what they say of the original request is
believed, what anyone else says is not.

A balancer that ends HTTPS talks plain HTTP to the app and says ``X-Forwarded-Proto: https`` and
``X-Forwarded-For: <client>``. From a trusted proxy's address the app takes the request as the HTTPS
request it was (its session cookies ``Secure``, the links it gives ``https://``) and the client's address
as the one forwarded; from any other address both headers are ignored. ``portfolio serve`` hands the same
list to Uvicorn; the app applies it itself too, however it is run (the second pass changes nothing).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware


def uvicorn_value(proxies: Sequence[str]) -> str:
    """The list as Uvicorn's ``forwarded_allow_ips`` takes it (an empty string trusts nobody)."""
    return ",".join(proxies)


class TrustedProxies:
    """Uvicorn's proxy-headers handling, with the trusted addresses read from the app's settings."""

    def __init__(self, app: ASGIApp, proxies: Callable[[], Sequence[str]]) -> None:
        self.app = app
        self.proxies = proxies
        self._handlers: dict[tuple[str, ...], ProxyHeadersMiddleware] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        trusted = tuple(self.proxies())
        handler = self._handlers.get(trusted)
        if handler is None:
            handler = ProxyHeadersMiddleware(self.app, trusted_hosts=list(trusted))  # type: ignore[arg-type]
            self._handlers = {trusted: handler}
        await handler(scope, receive, send)  # type: ignore[arg-type]

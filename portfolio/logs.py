"""What reaches a log line: no secret carried in an address.

A calendar feed is read by calendar programs that cannot send a header, so its token travels in the URL
(``/calendar.ics?token=…``) — and Uvicorn's access log writes every request's path with its query string.
:class:`RedactSecrets` replaces the value of every ``token`` parameter with ``[redacted]`` in the access
log's records before any handler formats them, in every worker, however the app is served.
"""

from __future__ import annotations

import logging
import re

ACCESS_LOGGER = "uvicorn.access"
REDACTED = "[redacted]"
_SECRET = re.compile(r"(?i)([?&](?:token|access_token)=)[^&#\s\"]+")


def redact(text: str) -> str:
    """``text`` with the value of every ``token`` (and ``access_token``) query parameter hidden."""
    return _SECRET.sub(rf"\g<1>{REDACTED}", text)


class RedactSecrets(logging.Filter):
    """A filter on a logger: its records' message and arguments, with the tokens of addresses redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()}
        return True


def redact_access_log() -> None:
    """Put :class:`RedactSecrets` on Uvicorn's access log (once, however often the app is created)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, RedactSecrets) for f in logger.filters):
        logger.addFilter(RedactSecrets())

"""The calendar as a test sees it when it runs, not when pytest collected it.

The whole suite takes half an hour; a day computed at import or in a ``parametrize`` list is yesterday's for a
test that runs after midnight, while the app under test already counts the new day. So a test asks for today
when it needs it, and a parameter that means "tomorrow" is the function ``tomorrow``, called by ``resolved``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any


def today() -> date:
    return date.today()


def tomorrow() -> str:
    return (date.today() + timedelta(days=1)).isoformat()


def this_month() -> str:
    return f"{date.today():%Y-%m}"


def resolved(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields, each value that is a day still to compute (a function such as ``tomorrow``) computed."""
    return {key: value() if callable(value) else value for key, value in fields.items()}

"""The filters every dashboard page takes in its query string, and keeps in its links."""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urlencode

from fastapi import Query

from portfolio.projects.schemas import Area, ProjectStatus
from portfolio.schemas import StateCode

LANGUAGES = ("en", "fr")


@dataclass(frozen=True)
class Filters:
    """Which projects a page counts: requested within the years, in the area, for the State, in the status."""

    year_from: int | None = None
    year_to: int | None = None
    area: str | None = None
    beneficiary: str | None = None
    status: str | None = None
    lang: str = "en"

    def query(self, **changes: object) -> str:
        values = replace(self, **changes)  # type: ignore[arg-type]
        pairs = {
            k: v for k, v in vars(values).items() if v not in (None, "") and not (k == "lang" and v == "en")
        }
        return ("?" + urlencode(pairs)) if pairs else ""


def page_filters(
    year_from: int | None = Query(None, ge=1990, le=2100, description="First year of request."),
    year_to: int | None = Query(None, ge=1990, le=2100, description="Last year of request."),
    area: Area | None = None,
    beneficiary: StateCode | None = None,
    status: ProjectStatus | None = None,
    lang: str = Query("en", pattern="^(en|fr)$"),
) -> Filters:
    return Filters(
        year_from, year_to, area.value if area else None, beneficiary, status.value if status else None, lang
    )

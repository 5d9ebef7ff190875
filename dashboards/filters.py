"""The filters every dashboard page takes in its query string, and keeps in its links.

A form submitted with a field left at "any" sends it empty (``?area=&status=``): empty means "any". A value
that is really wrong (``year_from=abc``, a year outside 1990–2100, ``area=XYZ``, a beneficiary that is not a
participating State) is not applied; the page says why beside the field, in its own language."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from urllib.parse import urlencode

from portfolio.marking import mark as _
from portfolio.projects.repository import ProjectFilters
from portfolio.projects.schemas import Area, ProjectStatus
from portfolio.web.i18n import DEFAULT, LOCALES, translations

LANGUAGES = LOCALES
FIELDS = ("year_from", "year_to", "area", "beneficiary", "status", "lang")
YEARS = (1990, 2100)


@dataclass(frozen=True)
class Filters:
    """Which projects a page counts: requested within the years, in the area, for the State, in the status."""

    year_from: int | None = None
    year_to: int | None = None
    area: str | None = None
    beneficiary: str | None = None
    status: str | None = None
    lang: str = "en"
    # (field, message) for each value that was refused; the page shows it beside its field
    errors: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    def query(self, **changes: object) -> str:
        values = replace(self, **changes)  # type: ignore[arg-type]
        pairs = {
            k: getattr(values, k)
            for k in FIELDS
            if getattr(values, k) not in (None, "") and not (k == "lang" and getattr(values, k) == DEFAULT)
        }
        return ("?" + urlencode(pairs)) if pairs else ""

    def projects(self) -> ProjectFilters:
        """The same selection as the API's project filters: requested within the years (1 January of the
        first to 31 December of the last), in the area, for the State, in the status."""
        return ProjectFilters(
            status=self.status,
            area=self.area,
            beneficiary=self.beneficiary,
            requested_from=date(self.year_from, 1, 1) if self.year_from else None,
            requested_to=date(self.year_to, 12, 31) if self.year_to else None,
        )

    def error(self, name: str) -> str:
        return next((message for key, message in self.errors if key == name), "")


MESSAGES: dict[str, str] = {
    "year": _("“{value}” is not a year between 1990 and 2100."),
    "year_order": _("The last year ({value}) comes before the first."),
    "area": _("“{value}” is not an area: choose SALW or SCA."),
    "beneficiary": _("“{value}” is not an OSCE participating State."),
    "status": _("“{value}” is not a project status."),
}


def parse(raw: Mapping[str, str], participating: Collection[str] | Callable[[], Collection[str]]) -> Filters:
    """Filters from query-string values (or command-line options). Blank means "any"; a bad value is left
    out and named in ``errors``. ``participating`` is the set of codes a beneficiary may take (or a function
    giving it, called only when a beneficiary is given)."""
    lang = (raw.get("lang") or "en").strip().lower()
    lang = lang if lang in LANGUAGES else DEFAULT
    gettext = translations(lang).gettext
    errors: list[tuple[str, str]] = []

    def refuse(name: str, key: str, value: object) -> None:
        errors.append((name, gettext(MESSAGES[key]).format(value=value)))

    def text(name: str) -> str:
        return (raw.get(name) or "").strip()

    years: dict[str, int | None] = {}
    for name in ("year_from", "year_to"):
        value = text(name)
        years[name] = None
        if value:
            if value.isascii() and value.isdigit() and YEARS[0] <= int(value) <= YEARS[1]:
                years[name] = int(value)
            else:
                refuse(name, "year", value)
    year_from, year_to = years["year_from"], years["year_to"]
    if year_from is not None and year_to is not None and year_to < year_from:
        refuse("year_to", "year_order", year_to)
        year_to = None

    area: str | None = text("area").upper() or None
    if area is not None and area not in {a.value for a in Area}:
        refuse("area", "area", text("area"))
        area = None

    beneficiary: str | None = text("beneficiary").upper() or None
    if beneficiary is not None:
        codes = participating() if callable(participating) else participating
        if beneficiary not in codes:
            refuse("beneficiary", "beneficiary", text("beneficiary"))
            beneficiary = None

    status: str | None = text("status").lower() or None
    if status is not None and status not in {s.value for s in ProjectStatus}:
        refuse("status", "status", text("status"))
        status = None

    return Filters(year_from, year_to, area, beneficiary, status, lang, tuple(errors))

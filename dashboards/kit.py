"""The report kit: what the dashboards, the donor's statement and the period report share.

- the **period** a report covers (:class:`Period`, both days included), the default one
  (:func:`default_period`) and how a form's ``from`` and ``to`` become one (:func:`parse_period`, with its
  refusals in the page's language, beside the field they concern);
- the **headline figure** (:class:`Kpi`): shown in the page's language, its exact value in ``data-value``,
  its definition beneath it and, where a list counts it, that list's id;
- the **list** a report holds (:class:`Table` of :class:`Cell`): its rows written only when asked for —
  the first ones for a page or a PDF, all of them for the CSV (:func:`table_csv`);
- the coercion of the database's sums into exact Decimals (:func:`as_money`, :func:`as_quantity`).

Nothing here reads the database or knows a report's words: the query modules and the three report builders
(``pages.py``, ``statement.py``, ``period.py``) sit above it."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from portfolio.marking import mark as _
from portfolio.transfer.sheets import formula_guard
from portfolio.web.i18n import translations

ZERO = Decimal("0.00")


# -- the database's sums ------------------------------------------------------------------------------


def as_money(value: Any) -> Decimal:
    """An amount as the database returns it (a Decimal, an integer 0 for an empty sum, or NULL) as euros
    to the cent."""
    return value if isinstance(value, Decimal) else Decimal(str(value or 0)).quantize(ZERO)


def as_quantity(value: Any) -> Decimal:
    """A quantity (an indicator's target or actual) as the database returns it, exactly; NULL is 0."""
    return value if isinstance(value, Decimal) else Decimal(str(value or 0))


# -- the period ---------------------------------------------------------------------------------------

FIELDS = ("from", "to")  # the form's two dates, in the order a person fills them in
FIRST_YEAR, LAST_YEAR = 1990, 2100  # a date outside these years is a typing slip

BAD_DATE = _("“{value}” is not a date: write it as YYYY-MM-DD.")
OUT_OF_RANGE = _("“{value}” is not a date between 1990 and 2100.")
BAD_ORDER = _("The end of the period ({value}) comes before its start.")


@dataclass(frozen=True)
class Period:
    """The days a report covers, both included. It unpacks as its two days: ``start, end = period``."""

    start: date
    end: date

    def __iter__(self) -> Iterator[date]:
        return iter((self.start, self.end))


def default_period(today: date | None = None) -> Period:
    """From 1 January of last year to today: the two years a biennial meeting, or a donor, looks back on."""
    today = today or date.today()
    return Period(date(today.year - 1, 1, 1), today)


@dataclass(frozen=True)
class PeriodForm:
    """The period a form asked for: the one applied, what was typed, and the refusals, each under the name
    of the field it concerns. A refused form applies the default period."""

    period: Period
    lang: str
    typed: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def start(self) -> date:
        return self.period.start

    @property
    def end(self) -> date:
        return self.period.end

    def value(self, name: str) -> str:
        """What the form's field ``name`` shows: what was typed when the form was refused (so that it can be
        corrected), else the day applied."""
        if self.errors and self.typed.get(name):
            return self.typed[name]
        return (self.start if name == "from" else self.end).isoformat()

    def query(self, **extra: str) -> str:
        """``?from=…&to=…`` for the period applied, with ``extra`` parameters after it."""
        return "?" + urlencode({"from": self.start.isoformat(), "to": self.end.isoformat(), **extra})


def parse_period(params: Mapping[str, str], lang: str, today: date | None = None) -> PeriodForm:
    """``from`` and ``to`` (YYYY-MM-DD, years 1990 to 2100); a blank one is the default's.

    A date that cannot be read is named in the message beside its own field; an end before the start is
    refused beside ``to``, the later field, typed last. A refused form is not applied: the period is then
    the default one."""
    said = translations(lang).gettext
    fallback = default_period(today)
    typed = {name: (params.get(name) or "").strip() for name in FIELDS}
    days = {"from": fallback.start, "to": fallback.end}
    errors: dict[str, str] = {}
    for name in FIELDS:
        if not typed[name]:
            continue
        try:
            day = date.fromisoformat(typed[name])
        except ValueError:
            errors[name] = said(BAD_DATE).format(value=typed[name])
            continue
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            errors[name] = said(OUT_OF_RANGE).format(value=typed[name])
            continue
        days[name] = day
    if not errors and days["to"] < days["from"]:
        errors["to"] = said(BAD_ORDER).format(value=typed["to"] or days["to"].isoformat())
    period = fallback if errors else Period(days["from"], days["to"])
    return PeriodForm(period, lang, typed, errors)


# -- a headline figure --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kpi:
    """A headline figure: ``text`` in the page's language, its exact value in ``data-value`` (a plain
    decimal or integer, for tests and scripts), its definition beneath it; ``table``, the id of the list
    that counts it, where the report links it to one."""

    key: str  # data-kpi="open-gap"
    label: str
    value: Decimal | int | None
    text: str
    definition: str
    table: str = ""

    @property
    def data_value(self) -> str:
        if self.value is None:
            return ""
        return str(self.value) if isinstance(self.value, int) else format(self.value, "f")


# -- a list -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One cell: ``text`` as the page writes it, ``value`` as the CSV holds it (codes, ISO dates, plain
    decimals), the address it links to, and whether it is a number (aligned right)."""

    text: str
    value: str = ""
    href: str | None = None
    num: bool = False


def cells(
    texts: Sequence[str],
    values: Sequence[str] | None = None,
    *,
    numeric: Iterable[int] = (),
    href: str | None = None,
) -> list[Cell]:
    """A row from its texts (and, where the CSV holds the same columns, its plain values): the columns in
    ``numeric`` aligned right, the first cell linked to ``href``."""
    right = set(numeric)
    plain = values if values is not None else [""] * len(texts)
    return [
        Cell(text, value, href if i == 0 else None, i in right)
        for i, (text, value) in enumerate(zip(texts, plain, strict=True))
    ]


@dataclass
class Table:
    """One list of a report. Its rows are written only when asked for: a page shows the first few hundred, a
    PDF the first hundred, and the CSV holds them all.

    ``write`` makes one record a row of cells; ``plain``, where the CSV splits a column the page joins
    (an amount and its currency), the CSV's row under ``csv_columns``."""

    id: str
    title: str
    columns: list[str]
    items: Sequence[Any]  # the records, one per row
    write: Callable[[Any], list[Cell]]
    note: str = ""  # what the list holds, beneath its title
    foot: list[str] = field(default_factory=list)  # a totals row, when the list has one
    plain: Callable[[Any], list[str]] | None = None
    csv_columns: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.items)

    def rows(self, limit: int | None = None) -> list[list[Cell]]:
        """The first ``limit`` rows (every row without one), as the page writes them."""
        items = self.items if limit is None else self.items[:limit]
        return [self.write(item) for item in items]

    @property
    def numeric(self) -> set[int]:
        """The columns whose heading (and total) is aligned right: those of the first row's numbers."""
        first = self.rows(1)
        return {i for i, cell in enumerate(first[0]) if cell.num} if first else set()

    @property
    def values(self) -> list[list[str]]:
        """Every row as the CSV holds it."""
        if self.plain is not None:
            return [self.plain(item) for item in self.items]
        return [[c.value for c in row] for row in self.rows()]

    @property
    def header(self) -> list[str]:
        """The CSV's heading row."""
        return self.csv_columns or self.columns


def write_csv(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A CSV file: amounts as plain numbers (250000.00), dates ISO. A cell that starts like a formula is
    written as text, so that no spreadsheet ever runs it."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([formula_guard(c) for c in row])
    return out.getvalue()


def table_csv(table: Table) -> str:
    """One list of a report as CSV."""
    return write_csv(table.header, table.values)

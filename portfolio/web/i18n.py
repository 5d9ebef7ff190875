"""The pages' languages: which one a request is in, and how it writes numbers, money and dates (Babel's
CLDR data). The registry of languages and their catalogues are :mod:`portfolio.languages`, re-exported
here for the pages."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache, lru_cache, partial

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import (
    NumberFormatError,
    format_currency,
    format_decimal,
    format_percent,
    get_currency_precision,
    get_group_symbol,
    parse_decimal,
)
from fastapi import Request

from portfolio.agreements.schemas import Earmarking, ObligationKind, ObligationState
from portfolio.choices import Choice
from portfolio.errors import Amount, Said
from portfolio.funding.schemas import PledgeKind, PledgeStatus
from portfolio.interests.schemas import InterestStatus

# the registry and the catalogues, for the pages
from portfolio.languages import DEFAULT as DEFAULT
from portfolio.languages import LANGUAGES as LANGUAGES
from portfolio.languages import LOCALE_DIR as LOCALE_DIR
from portfolio.languages import LOCALES as LOCALES
from portfolio.languages import Language as Language
from portfolio.languages import catalogue as catalogue
from portfolio.languages import label as label
from portfolio.languages import options as options
from portfolio.languages import say as say
from portfolio.languages import translations as translations
from portfolio.languages import word as word
from portfolio.norms.schemas import NormKind
from portfolio.processes.schemas import FollowUpOutcome, FollowUpState, ProcessKind, Stage
from portfolio.projects.schemas import ActivityType, Area, FundingFilter, ProjectSort, ProjectStatus
from portfolio.users.schemas import Role

LANG_COOKIE = "portfolio_lang"
CENT = Decimal("0.01")
EXAMPLE_NUMBER = Decimal("1250000.50")
SPACES = re.compile(r"[ \u00a0\u202f\u2009]")
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")
TENTH = Decimal("0.1")


VOCABULARIES: dict[str, type[Choice]] = {
    vocabulary.__name__: vocabulary
    for vocabulary in (
        ActivityType,
        Area,
        Earmarking,
        FollowUpOutcome,
        FollowUpState,
        FundingFilter,
        InterestStatus,
        NormKind,
        ObligationKind,
        ObligationState,
        PledgeKind,
        PledgeStatus,
        ProcessKind,
        ProjectSort,
        ProjectStatus,
        Role,
        Stage,
    )
}
"""Every vocabulary by its class name: the templates' globals, for ``{{ value|label(ProjectStatus) }}``."""


def known_lang(value: str | None) -> str | None:
    """The page language ``value`` names — any case, with or without a region ("FR", "fr-CA", "fr_BE") —
    or None for anything else ("xx", "zz-ZZ", "../", blank)."""
    if not value:
        return None
    tag = value.strip().replace("_", "-").split("-")[0].lower()
    return tag if tag in LOCALES else None


def request_lang(request: Request) -> str:
    """The one place a request's language is decided, for every page and file: ``?lang=`` when it names a
    language of the site, else the language chosen before (a cookie), else the browser's, else English. An
    unknown ``?lang=`` is ignored, never an error."""
    asked = known_lang(request.query_params.get("lang")) or known_lang(request.cookies.get(LANG_COOKIE))
    if asked:
        return asked
    for part in request.headers.get("accept-language", "").split(","):
        tag = known_lang(part.split(";")[0])
        if tag:
            return tag
    return DEFAULT


@cache
def _affixes(lang: str, currency: str | None) -> tuple[str, str, str, str, str, str]:
    """What Babel writes around a number in this locale (for money in ``currency``, else for a percent):
    the positive and negative prefix and suffix, and the locale's group and decimal symbols."""
    if currency is None:
        write = partial(format_percent, format=LANGUAGES[lang].percent_pattern, locale=lang)
        plus, minus = write(Decimal("0.01")), write(Decimal("-0.01"))
    else:
        write = partial(format_currency, currency=currency, locale=lang, currency_digits=False)
        plus, minus = write(Decimal("1.00")), write(Decimal("-1.00"))
    symbols = Locale.parse(lang).number_symbols["latn"]
    one = f"1{symbols['decimal']}0" + ("" if currency is None else "0")
    head, tail = plus.split(one)
    minus_head, minus_tail = minus.split(one)
    return head, tail, minus_head, minus_tail, symbols["group"], symbols["decimal"]


@cache
def _minor_unit(currency: str) -> int:
    """How many decimals the currency's minor unit has (2 for the euro, 0 for the yen), as Babel knows."""
    return int(get_currency_precision(currency))


@lru_cache(maxsize=8192)
def _date(lang: str, day: date) -> str:
    """A date as the locale writes it; a long list repeats the same few hundred days."""
    return format_date(day, format="medium", locale=lang)


class ExampleNumber:
    """The example number a message shows ("Type a number, e.g. …"): a page writes it as its language writes
    numbers (:meth:`Formats.example_number`); the API as it takes them."""

    def __str__(self) -> str:
        return format(EXAMPLE_NUMBER, "f")


class Formats:
    """Numbers, money and dates as the page's locale writes them (Babel's CLDR patterns and symbols).

    Money and percentages fill a page's tables, and Babel applies its pattern in about 100 µs a cell: they
    are written with the prefix, suffix and symbols Babel gives for the locale, digits grouped by Python
    (``tests/web/test_web_foundation.py`` checks the result equals Babel's)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.locale = Locale.parse(lang)  # parsed once: Babel parses a locale name on every call

    def _write(self, digits: str, negative: bool, currency: str | None) -> str:
        head, tail, minus_head, minus_tail, group, decimal = _affixes(self.lang, currency)
        text = digits.replace(",", "\x00").replace(".", decimal).replace("\x00", group)
        return f"{minus_head}{text}{minus_tail}" if negative else f"{head}{text}{tail}"

    def money(self, amount: Decimal | None, currency: str = "EUR") -> str:
        """To the cent, half up, as the API rounds: €250,000.00 (en), 250 000,00 € (fr); in a currency
        without cents, to its own minor unit (Babel's ISO 4217 data: ¥176,000,000, not ¥176,000,000.00),
        unless the amount has cents that would be lost."""
        if amount is None:
            return "–"
        cents = amount.quantize(CENT, rounding=ROUND_HALF_UP)
        places = _minor_unit(currency)
        if places < 2 and cents == cents.quantize(Decimal(1).scaleb(-places)):
            return self._write(f"{abs(cents):,.{places}f}", cents < 0, currency)
        return self._write(f"{abs(cents):,.2f}", cents < 0, currency)

    def number(self, value: Decimal | int | None) -> str:
        if value is None:
            return "–"
        return format_decimal(value, locale=self.locale, decimal_quantization=False)

    def percent(self, ratio: Decimal | None) -> str:
        """A ratio as a percentage to one decimal, half up as the API rounds: 45.0% (en), 45,0 % (fr) —
        except that a ratio short of one never shows as 100.0%: a coverage of 99.97% with a gap of €61.92
        left is written 99.9%, so "100%" always means nothing is missing."""
        if ratio is None:
            return "–"
        ratio = Decimal(ratio)
        tenths = (ratio * 100).quantize(TENTH, rounding=ROUND_HALF_UP)
        if ratio < 1 and tenths >= 100:
            tenths = Decimal("99.9")
        return self._write(f"{abs(tenths):,.1f}", tenths < 0, None)

    def date(self, day: date | None) -> str:
        return "–" if day is None else _date(self.lang, day)

    def datetime(self, moment: datetime | None) -> str:
        return (
            "–" if moment is None else format_datetime(moment, format="medium", tzinfo=None, locale=self.lang)
        )

    def said(self, message: object) -> object:
        """A :class:`portfolio.errors.Said` in this language — its template translated, each value written
        as this language writes it; anything else as it is."""
        if not isinstance(message, Said):
            return message
        text = translations(self.lang).gettext(message.template)
        if not message.params:
            return text
        return text % {name: self.value(value) for name, value in message.params.items()}

    def value(self, value: object) -> str:
        """A value put in a message: an amount as money, a number and a date as this language writes them, a
        vocabulary's value by its label as a sentence writes it mid-line."""
        if isinstance(value, Said):
            return str(self.said(value))
        if isinstance(value, Amount):
            return self.money(value.value, value.currency)
        if isinstance(value, ExampleNumber):
            return self.example_number()
        if isinstance(value, Choice):
            return word(value, type(value), self.lang)
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, Decimal | int):
            return self.number(value)
        if isinstance(value, datetime):
            return self.datetime(value)
        if isinstance(value, date):
            return self.date(value)
        return str(value)

    def label(self, value: object, vocabulary: type[Choice]) -> str:
        """:func:`label` in this language: the templates' ``label`` filter."""
        return label(value, vocabulary, self.lang)

    def example_number(self) -> str:
        """How this language writes one million two hundred and fifty thousand and a half: 1,250,000.50 (en),
        1 250 000,50 (fr)."""
        return format_decimal(EXAMPLE_NUMBER, format="#,##0.00", locale=self.locale)

    def parse_number(self, text: str) -> Decimal | None:
        """A number as a person types it on a page in this language — ``1,250,000.50`` (en), ``1 250 000,50``
        (fr, with any kind of space between the groups) — or as the API writes it (``1250000.50``); None
        when it is neither."""
        typed = text.strip()
        if not typed:
            return None
        group = get_group_symbol(self.locale)
        if group.isspace():  # a space of any kind between groups: the one the locale writes
            typed = SPACES.sub(group, typed)
        try:
            return parse_decimal(typed, locale=self.locale, strict=True)
        except NumberFormatError:
            pass
        return Decimal(typed) if PLAIN_NUMBER.fullmatch(typed) else None

    def money_affixes(self, currency: str = "EUR") -> tuple[str, str]:
        """What this language writes before and after an amount of ``currency``: ("€", "") in English,
        ("", " €") in French — for a chart's axis ticks."""
        head, tail, *_ = _affixes(self.lang, currency)
        return head, tail

    def percent_suffix(self) -> str:
        """What this language writes after a percentage: "%" in English, " %" in French."""
        return _affixes(self.lang, None)[1]

    def separators(self) -> str:
        """The decimal and the group separator, as a Plotly layout's ``separators`` takes them (a space of any
        kind between groups as a plain space)."""
        *_, group, decimal = _affixes(self.lang, None)
        return decimal + (" " if group.isspace() else group)

"""English and French: gettext catalogues read with Babel, and numbers, money and dates in the page's
locale (Babel's CLDR data).

The English text is the message id; French lives in ``portfolio/locale/fr/LC_MESSAGES/*.po``. The
catalogues are compiled in memory when first used, so there is no build step and no binary file to keep
in step with its source."""

from __future__ import annotations

import gettext
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache, lru_cache, partial
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
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

from portfolio.errors import Amount, Said


@dataclass(frozen=True)
class Language:
    """A language the site speaks. Everything else about it — how it writes numbers, money, percentages and
    dates, its plural rules, the names of countries — comes from CLDR through Babel; its words come from
    its catalogues (``portfolio/locale/<code>/LC_MESSAGES/*.po``)."""

    code: str
    name: str  # in the language itself, as the language switch offers it
    colon: str = ": "  # between a label and its value: French sets a space before the colon

    @property
    def percent_pattern(self) -> str:
        """CLDR's percentage pattern, to a tenth: #,##0.0% (en), #,##0.0 % (fr)."""
        pattern = str(Locale.parse(self.code).percent_formats[None].pattern)
        return pattern.replace("0%", "0.0%").replace("0\u00a0%", "0.0\u00a0%")


# The one registry of languages: adding one is an entry here and its catalogues.
LANGUAGES: dict[str, Language] = {
    "en": Language("en", "English"),
    "fr": Language("fr", "Français", colon="\u00a0: "),
    "ru": Language("ru", "Русский"),
}
LOCALES = tuple(LANGUAGES)
DEFAULT = "en"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
LANG_COOKIE = "portfolio_lang"
CENT = Decimal("0.01")
EXAMPLE_NUMBER = Decimal("1250000.50")
SPACES = re.compile(r"[ \u00a0\u202f\u2009]")
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")
TENTH = Decimal("0.1")
PLEDGE_STATUS = "pledge status"
"""The message context of a pledge's status ("Pledged", "Committed", "Paid", "Withdrawn"), written
``pgettext("pledge status", "Pledged")`` where it is marked (the extractor reads the literal) and
``pgettext(PLEDGE_STATUS, …)`` where it is looked up. In French a status agrees with "une annonce"
("Annoncée", "Engagée"), while the same English heading an amount is "le montant annoncé" ("Annoncé",
"Engagé"): without the context the two would be one message, and one of them would have the other's
French."""


def catalogue(lang: str) -> Catalog:
    """Every ``*.po`` file of one language, as one catalogue (fuzzy and empty entries left out).

    A message is its English and its context (``msgctxt``): "Pledged" and "Pledged" in the context "pledge
    status" are two messages, each with its own French. When two files translate the same message, the
    first file by name wins."""
    merged = Catalog(locale=lang, domain="messages")
    for path in sorted((LOCALE_DIR / lang / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as f:
            for message in read_po(f, locale=lang):
                if message.id and message.string and not message.fuzzy:
                    merged[message.id] = message
    return merged


@cache
def translations(lang: str) -> gettext.NullTranslations:
    if lang == DEFAULT or lang not in LOCALES:
        return gettext.NullTranslations()
    buffer = BytesIO()
    write_mo(buffer, catalogue(lang))
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


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
    (``tests/test_web_foundation.py`` checks the result equals Babel's)."""

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
        """A value put in a message: an amount as money, a number and a date as this language writes them."""
        if isinstance(value, Said):
            return str(self.said(value))
        if isinstance(value, Amount):
            return self.money(value.value, value.currency)
        if isinstance(value, ExampleNumber):
            return self.example_number()
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, Decimal | int):
            return self.number(value)
        if isinstance(value, datetime):
            return self.datetime(value)
        if isinstance(value, date):
            return self.date(value)
        return str(value)

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

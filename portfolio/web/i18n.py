"""English and French: gettext catalogues read with Babel, and numbers, money and dates in the page's
locale (Babel's CLDR data).

The English text is the message id; French lives in ``portfolio/locale/fr/LC_MESSAGES/*.po``. The
catalogues are compiled in memory when first used, so there is no build step and no binary file to keep
in step with its source."""

from __future__ import annotations

import gettext
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.dates import format_date, format_datetime
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent
from fastapi import Request

LOCALES = ("en", "fr")
DEFAULT = "en"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
LANG_COOKIE = "portfolio_lang"


def catalogue(lang: str) -> Catalog:
    """Every ``*.po`` file of one language, as one catalogue (fuzzy and empty entries left out)."""
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


def request_lang(request: Request) -> str:
    """``?lang=`` when given, else the language chosen before (a cookie), else the browser's, else English."""
    asked = request.query_params.get("lang")
    if asked in LOCALES:
        return asked
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LOCALES:
        return chosen
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LOCALES:
            return tag
    return DEFAULT


class Formats:
    """Numbers, money and dates as the page's locale writes them."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def money(self, amount: Decimal | None, currency: str = "EUR") -> str:
        if amount is None:
            return "–"
        return format_currency(
            amount, currency, locale=self.lang, currency_digits=False, format_type="standard"
        )

    def number(self, value: Decimal | int | None) -> str:
        if value is None:
            return "–"
        return format_decimal(value, locale=self.lang, decimal_quantization=False)

    def percent(self, ratio: Decimal | None) -> str:
        if ratio is None:
            return "–"
        return format_percent(
            ratio, format="#,##0.0\u00a0%" if self.lang == "fr" else "#,##0.0%", locale=self.lang
        )

    def date(self, day: date | None) -> str:
        return "–" if day is None else format_date(day, format="medium", locale=self.lang)

    def datetime(self, moment: datetime | None) -> str:
        return (
            "–" if moment is None else format_datetime(moment, format="medium", tzinfo=None, locale=self.lang)
        )

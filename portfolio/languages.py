"""The languages the tracker speaks, and its words in each: one registry (:data:`LANGUAGES`) and the gettext
catalogues of every language, read with Babel (``portfolio/locale/<code>/LC_MESSAGES/*.po``).

The English text is the message id. The catalogues are compiled in memory when first used, so there is
no build step and no binary file to keep in step with its source. The pages (:mod:`portfolio.web.i18n`,
which adds how each language writes numbers, money and dates), the reports, the e-mails and the calendar
feeds all say their words through here: a language is an entry in the registry and its catalogues."""

from __future__ import annotations

import gettext
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from portfolio.choices import Choice


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
LOCALE_DIR = Path(__file__).resolve().parent / "locale"


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


def say(text: str, lang: str) -> str:
    """A marked English text in ``lang``, in the message context it was marked with, if any
    (:func:`portfolio.marking.mark_in_context`)."""
    context = getattr(text, "context", None)
    if context:
        return translations(lang).pgettext(context, text)
    return translations(lang).gettext(text)


def label(value: object, vocabulary: type[Choice], lang: str) -> str:
    """What a person reads for a stored value of ``vocabulary`` (:mod:`portfolio.choices`), in ``lang``; a
    value the vocabulary does not know, as it is."""
    try:
        member = vocabulary(str(value))
    except ValueError:
        return "" if value is None else str(value)
    return say(member.label, lang)


def word(value: object, vocabulary: type[Choice], lang: str) -> str:
    """The label as a sentence, a chart or a table cell of the dashboards writes it mid-line: its first
    letter lowered ("seeking funding", "en recherche de financement"), unless it opens with an abbreviation
    ("SALW")."""
    text = label(value, vocabulary, lang)
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def options(vocabulary: type[Choice], lang: str, only: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """A pick-list's (value, label) pairs in ``lang``: every value in the vocabulary's order, or those of
    ``only`` in its order."""
    values = [member.value for member in vocabulary] if only is None else list(only)
    return [(value, label(value, vocabulary, lang)) for value in values]


def language_names() -> list[tuple[str, str]]:
    """(code, the language's own name) of every language, as the language switch and the pick-lists of an
    account's language offer them."""
    return [(code, language.name) for code, language in LANGUAGES.items()]

"""A State's name in a language, written once for every page, file and report.

The OSCE's reference list gives each State its name in English and in French (``state.name``,
``state.name_fr``): those are the names the Organization uses, and they win in those languages. In any
other language the name is CLDR's, through Babel (``Locale("ru").territories["MD"]`` is "Молдова"),
else the English one. Adding a language adds nothing here."""

from __future__ import annotations

import unicodedata
from functools import cache
from typing import Protocol

from babel import Locale, UnknownLocaleError

# The languages the reference list names the States in, and where each name is kept.
OSCE_NAMES = {"en": "name", "fr": "name_fr"}


class Named(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def iso2(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def name_fr(self) -> str: ...


@cache
def _cldr(iso2: str, lang: str) -> str | None:
    try:
        return Locale.parse(lang).territories.get(iso2.upper())
    except (UnknownLocaleError, ValueError):
        return None


def name_in(state: Named, lang: str) -> str:
    """The State's name in ``lang``: the OSCE's own in English and French, CLDR's in any other language."""
    column = OSCE_NAMES.get(lang)
    if column is not None:
        return str(getattr(state, column) or state.name)
    return _cldr(state.iso2, lang) or state.name


def sort_key(name: str) -> str:
    """Alphabetical order as a reader expects it, in any script: États-Unis among the E (accents set
    aside), Молдова among the М — never a name turned into nothing."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def names_in(states: list[Named], lang: str) -> dict[str, str]:
    """Every State's name in ``lang``, by code, in alphabetical order of the names."""
    named = {s.code: name_in(s, lang) for s in states}
    return dict(sorted(named.items(), key=lambda item: (sort_key(item[1]), item[0])))

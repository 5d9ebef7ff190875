"""A State's name in a language, written once for every page, file and report.

The OSCE's reference list (``osce_states.csv``, :mod:`portfolio.states.reference`) gives each State its
name in the languages the Organization publishes names in — English and French — read into one catalogue
(:func:`osce_names`: (code, language) → name): those names win in their languages. In any other language
the name is CLDR's, through Babel (``Locale("ru").territories["MD"]`` is "Молдова"), else the English one
(``state.name``). Adding a language adds nothing here; adding the OSCE's names in a language is a column of
the reference file."""

from __future__ import annotations

import unicodedata
from functools import cache
from typing import Protocol

from babel import Locale, UnknownLocaleError

from portfolio.languages import DEFAULT, LOCALES
from portfolio.states.reference import load_reference_states


class Named(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def iso2(self) -> str: ...
    @property
    def name(self) -> str: ...


@cache
def osce_names() -> dict[tuple[str, str], str]:
    """The OSCE's own name of each State in each language of its reference list, by (code, language)."""
    return {
        (row.code, lang): name for row in load_reference_states() for lang, name in row.names.items() if name
    }


@cache
def _cldr(iso2: str, lang: str) -> str | None:
    try:
        return Locale.parse(lang).territories.get(iso2.upper())
    except (UnknownLocaleError, ValueError):
        return None


def name_in(state: Named, lang: str) -> str:
    """The State's name in ``lang``: the OSCE's own where its list has one, CLDR's in any other language,
    else the English one."""
    return osce_names().get((state.code, lang)) or _cldr(state.iso2, lang) or state.name


def names_by_language(state: Named) -> dict[str, str]:
    """The State's name in every language of the tracker other than English (``state.name``), by code."""
    return {lang: name_in(state, lang) for lang in LOCALES if lang != DEFAULT}


def sort_key(name: str) -> str:
    """Alphabetical order as a reader expects it, in any script: États-Unis among the E (accents set
    aside), Молдова among the М — never a name turned into nothing."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def names_in(states: list[Named], lang: str) -> dict[str, str]:
    """Every State's name in ``lang``, by code, in alphabetical order of the names."""
    named = {s.code: name_in(s, lang) for s in states}
    return dict(sorted(named.items(), key=lambda item: (sort_key(item[1]), item[0])))

"""A norm's title in a language, written once.

``norm.title`` is the English title. Its titles in the other languages of the registry
(:data:`portfolio.languages.LANGUAGES`) are rows of ``norm_title`` (:attr:`Norm.titles`: language code →
title), recorded by admins. The titles the OSCE published for the norms shipped with the product are
reference data, ``portfolio/reference/norm_titles.csv`` (code, language, title): what a shipped norm shows
in a language nobody recorded a title in. Otherwise a norm shows its English title. Adding a language adds
rows to that file, nothing here."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Protocol

from babel import Locale, UnknownLocaleError

from portfolio.languages import DEFAULT, LOCALES

REFERENCE = Path(__file__).resolve().parent.parent / "reference" / "norm_titles.csv"


class Titled(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def builtin(self) -> bool: ...
    @property
    def titles(self) -> Mapping[str, str]: ...


@cache
def shipped() -> dict[tuple[str, str], str]:
    """The OSCE's published titles of the shipped norms, by (code, language)."""
    with REFERENCE.open(encoding="utf-8", newline="") as f:
        return {(row["code"], row["lang"]): row["title"] for row in csv.DictReader(f)}


def title_in(norm: Titled, lang: str) -> str:
    """The norm's title in ``lang``: the one recorded, else (a shipped norm) the OSCE's published one, else
    its English title."""
    recorded = norm.titles.get(lang)
    if recorded:
        return recorded
    return (shipped().get((norm.code, lang)) if norm.builtin else None) or norm.title


def translated_languages() -> tuple[str, ...]:
    """The languages a norm's title is recorded in besides English (``norm.title``): every other language
    of the registry, in its order."""
    return tuple(code for code in LOCALES if code != DEFAULT)


def language_name(code: str, lang: str) -> str:
    """The name of the language ``code`` as ``lang`` writes it (CLDR, through Babel): "French",
    "français", "французский"; the code itself for a language CLDR does not know."""
    try:
        return str(Locale.parse(lang).languages.get(code) or code)
    except (UnknownLocaleError, ValueError):
        return code

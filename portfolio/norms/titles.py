"""A norm's title in a language, written once.

The catalogue records each norm's English title and, where the OSCE published one, its French title
(``norm.title``, ``norm.title_fr``). The shipped norms' titles in further languages are reference data,
``portfolio/reference/norm_titles.csv`` (code, language, title: the OSCE's Russian titles). Any other
language, or a norm an admin added, shows its English title. Adding a language adds rows to that file,
nothing here."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path
from typing import Protocol

# The languages a norm's title is recorded in, and where each is kept.
RECORDED = {"en": "title", "fr": "title_fr"}
REFERENCE = Path(__file__).resolve().parent.parent / "reference" / "norm_titles.csv"


class Titled(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def title_fr(self) -> str: ...


@cache
def _reference() -> dict[tuple[str, str], str]:
    with REFERENCE.open(encoding="utf-8", newline="") as f:
        return {(row["code"], row["lang"]): row["title"] for row in csv.DictReader(f)}


def title_in(norm: Titled, lang: str) -> str:
    """The norm's title in ``lang``, else its English title."""
    column = RECORDED.get(lang)
    if column is not None:
        return str(getattr(norm, column) or norm.title)
    return _reference().get((norm.code, lang)) or norm.title

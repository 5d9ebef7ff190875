"""A norm's title in a language, written once. The catalogue records each norm's English title and, where
the OSCE published one, its French title; in any other language (or with no French recorded) the English
one is shown. Adding a language adds nothing here."""

from __future__ import annotations

from typing import Protocol

# The languages a norm's title is recorded in, and where each is kept.
RECORDED = {"en": "title", "fr": "title_fr"}


class Titled(Protocol):
    @property
    def title(self) -> str: ...
    @property
    def title_fr(self) -> str: ...


def title_in(norm: Titled, lang: str) -> str:
    """The norm's title in ``lang``, else its English title."""
    column = RECORDED.get(lang, "title")
    return str(getattr(norm, column) or norm.title)

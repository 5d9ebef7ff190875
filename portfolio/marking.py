"""Marks an English text for the catalogues where it is written, to be translated where it is shown.

A module that keeps words in a table (labels of statuses, kinds, headings) imports ``mark as _`` (and
``mark_in_context as pgettext`` for a word said in a context), so that Babel's extractor finds them by the
usual names; the table is translated when a page, file or message is written, in its language
(:mod:`portfolio.web.i18n`). One definition, for every domain, page and report."""

from __future__ import annotations


def mark(text: str) -> str:
    """``text`` as it is: marked for the catalogue, translated where it is shown."""
    return text


class InContext(str):
    """An English text that carries the message context it is to be translated in."""

    __slots__ = ("context",)
    context: str


def mark_in_context(context: str, text: str) -> str:
    """``text``, marked for the catalogue in ``context``, and carrying it: :func:`portfolio.web.i18n.say`
    translates it in that context where it is shown."""
    marked = InContext(text)
    marked.context = context
    return marked

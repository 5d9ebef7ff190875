"""The stored values a person chooses from — a project's status, an activity type, a pledge's status, a
report's kind — each with the words a person reads for it, written beside its definition (as Django's
``TextChoices`` do).

A vocabulary is a :class:`Choice` enum. A member *is* its value: stored, sent and read by the API, compared
in code. It also carries ``label``, the English a page shows, marked for the catalogues, and ``context``,
the message context of a label whose English means something else elsewhere ("Pledged" is a pledge's status
and an amount; in French "Annoncée" and "Annoncé"). Pages, files, reports and the audit trail's changes
say a label in their language with one function (:func:`portfolio.web.i18n.label`, the templates' ``label``
filter); the dashboards write it mid-sentence with one other (:func:`portfolio.web.i18n.word`). There is no
other table of these words."""

from __future__ import annotations

from enum import StrEnum
from typing import Self


class Choice(StrEnum):
    """``name = "value", mark("Label")``, or ``mark_in_context("context", "Label")`` for a label that needs
    a context. A member without a label reads as its value."""

    _value_: str
    label: str
    context: str | None

    def __new__(cls, value: str, label: str | None = None) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label or value
        member.context = getattr(label, "context", None)
        return member

    @classmethod
    def labels(cls) -> dict[str, str]:
        """value → English label, in the order of the definition (the order of every pick-list)."""
        return {member.value: member.label for member in cls}

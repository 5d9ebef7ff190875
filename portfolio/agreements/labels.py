"""What the reports an agreement asks for, their statuses and the agreements' earmarking are called, in
English, marked for the catalogue: the pages translate them where they are shown; the reminders and the
calendar feed write them as they are."""

from __future__ import annotations

from portfolio.marking import mark as _

KIND_LABELS = {
    "interim_narrative": _("Interim narrative report"),
    "final_narrative": _("Final narrative report"),
    "financial_statement": _("Financial statement"),
    "audit_certificate": _("Audit certificate"),
    "other": _("Other report"),
}
STATE_LABELS = {
    "due": _("Due"),
    "overdue": _("Overdue"),
    "submitted": _("Submitted"),
    "accepted": _("Accepted"),
}
EARMARKING_LABELS = {
    "project": _("To this project"),
    "area": _("To an area of work (SALW or SCA), not to one project"),
    "unearmarked": _("Not earmarked"),
}

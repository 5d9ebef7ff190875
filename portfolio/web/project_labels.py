"""What the project pages call a project's statuses, areas and activity types, marked for the catalogue and
translated where they are shown: the register, the project page, home, and the audit trail's changes
(:mod:`portfolio.web.changes`) say them alike."""

from portfolio.marking import mark as _

STATUS_LABELS = {
    "requested": _("Requested"),
    "assessment": _("Assessment"),
    "planning": _("Planning"),
    "seeking_funding": _("Seeking funding"),
    "implementation": _("Implementation"),
    "completed": _("Completed"),
    "cancelled": _("Cancelled"),
    "on_hold": _("On hold"),
}
ACTIVITY_LABELS = {
    "stockpile_security": _("Stockpile security"),
    "surplus_destruction_salw": _("Destruction of surplus SALW"),
    "surplus_destruction_ammunition": _("Destruction of surplus ammunition"),
    "hazardous_propellant_disposal": _("Disposal of hazardous propellant"),
    "marking_and_tracing": _("Marking and tracing"),
    "record_keeping": _("Record keeping"),
    "deactivation": _("Deactivation"),
    "border_and_export_controls": _("Border and export controls"),
    "collection_and_awareness": _("Collection and awareness-raising"),
    "training_and_capacity": _("Training and capacity building"),
    "legislation_and_policy": _("Legislation and policy"),
    "other": _("Other"),
}
AREA_LABELS = {"SALW": _("SALW"), "SCA": _("SCA")}

"""The standard measures an indicator may carry, so that outputs add up across projects.

A free indicator (no measure) counts only for its own project. An indicator with a standard measure is
counted in the measure's own unit and adds up across projects, areas, beneficiaries and years. Measures that
count people are disaggregated by sex: women and men, and the total, which may hold people whose sex was
not recorded (so women + men never exceed it).
"""

from dataclasses import dataclass

from portfolio.marking import mark as _


@dataclass(frozen=True)
class Measure:
    code: str
    label: str
    unit: str
    people: bool = False

    @property
    def disaggregated_by_sex(self) -> bool:
        return self.people


MEASURES: tuple[Measure, ...] = (
    Measure("weapons_destroyed", _("Weapons destroyed"), _("weapons")),
    Measure("weapons_marked", _("Weapons marked and registered"), _("weapons")),
    Measure("weapons_deactivated", _("Weapons deactivated"), _("weapons")),
    Measure("ammunition_destroyed", _("Ammunition destroyed"), _("tonnes")),
    Measure("propellant_disposed", _("Propellant and melange disposed"), _("tonnes")),
    Measure("depots_upgraded", _("Storage sites upgraded"), _("sites")),
    Measure("people_trained", _("People trained"), _("people"), people=True),
    Measure("people_reached", _("People reached by awareness campaigns"), _("people"), people=True),
    Measure("procedures_adopted", _("Laws, regulations and procedures adopted"), _("procedures")),
)

BY_CODE: dict[str, Measure] = {m.code: m for m in MEASURES}

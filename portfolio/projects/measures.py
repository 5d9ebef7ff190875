"""The standard measures an indicator may carry, so that outputs add up across projects.

A free indicator (no measure) counts only for its own project. An indicator with a standard measure is
counted in the measure's own unit and adds up across projects, areas, beneficiaries and years. Measures that
count people are disaggregated by sex: women and men, and the total, which may hold people whose sex was
not recorded (so women + men never exceed it).
"""

from dataclasses import dataclass


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
    Measure("weapons_destroyed", "Weapons destroyed", "weapons"),
    Measure("weapons_marked", "Weapons marked and registered", "weapons"),
    Measure("weapons_deactivated", "Weapons deactivated", "weapons"),
    Measure("ammunition_destroyed", "Ammunition destroyed", "tonnes"),
    Measure("propellant_disposed", "Propellant and melange disposed", "tonnes"),
    Measure("depots_upgraded", "Storage sites upgraded", "sites"),
    Measure("people_trained", "People trained", "people", people=True),
    Measure("people_reached", "People reached by awareness campaigns", "people", people=True),
    Measure("procedures_adopted", "Laws, regulations and procedures adopted", "procedures"),
)

BY_CODE: dict[str, Measure] = {m.code: m for m in MEASURES}

"""The OSCE's 57 participating States and 11 Partners for Co-operation, shipped with the package."""

import csv
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class StateRow:
    code: str
    iso2: str
    name: str
    name_fr: str
    kind: str
    partner_group: str | None


def load_reference_states() -> list[StateRow]:
    text = resources.files("portfolio.states").joinpath("osce_states.csv").read_text(encoding="utf-8")
    return [
        StateRow(
            code=row["iso3"],
            iso2=row["iso2"],
            name=row["name_en"],
            name_fr=row["name_fr"],
            kind=row["kind"],
            partner_group=row["group"] or None,
        )
        for row in csv.DictReader(text.splitlines())
    ]

"""The OSCE's 57 participating States and 11 Partners for Co-operation, shipped with the package
(``osce_states.csv``: ISO codes, the Organization's own name of each State in each language it publishes
names in — a ``name_<code>`` column per language, English and French — its kind and its group)."""

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

from portfolio.languages import DEFAULT

NAME = "name_"  # the columns of the file's names: name_en, name_fr


@dataclass(frozen=True)
class StateRow:
    code: str
    iso2: str
    names: Mapping[str, str]  # the OSCE's name, by language code
    kind: str
    partner_group: str | None

    @property
    def name(self) -> str:
        """The name in the registry's default language, English (``state.name``)."""
        return self.names[DEFAULT]

    def __getattr__(self, attribute: str) -> str:
        """``row.name_<code>``, the name in one language as the file's column is named: how the first
        migration read the French names into the ``state.name_fr`` column migration 0014 replaced by
        this catalogue."""
        names = self.__dict__.get("names", {})
        if attribute.startswith(NAME) and attribute.removeprefix(NAME) in names:
            return str(names[attribute.removeprefix(NAME)])
        raise AttributeError(attribute)


def load_reference_states() -> list[StateRow]:
    text = resources.files("portfolio.states").joinpath("osce_states.csv").read_text(encoding="utf-8")
    return [
        StateRow(
            code=row["iso3"],
            iso2=row["iso2"],
            names={
                column.removeprefix(NAME): value for column, value in row.items() if column.startswith(NAME)
            },
            kind=row["kind"],
            partner_group=row["group"] or None,
        )
        for row in csv.DictReader(text.splitlines())
    ]

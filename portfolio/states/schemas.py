from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from portfolio.states.names import names_by_language

# The language of ``name_fr``, the one name in another language the API gave before ``names``.
LEGACY_LANGUAGE = "fr"


class StateKind(StrEnum):
    participating = "participating"
    partner = "partner"


class StateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str = Field(description="ISO 3166-1 alpha-3 code.", examples=["BIH"])
    name: str = Field(description="The English name.", examples=["Bosnia and Herzegovina"])
    names: dict[str, str] = Field(
        default_factory=dict,
        description="The name in each language of the tracker other than English, by language code: the "
        "OSCE's own where its reference list has one (French), else CLDR's.",
        examples=[{"fr": "Bosnie-Herzégovine", "ru": "Босния и Герцеговина"}],
    )
    name_fr: str = Field(
        default="",
        description="Deprecated: `names['fr']`, under the name it had before `names`.",
        examples=["Bosnie-Herzégovine"],
        json_schema_extra={"deprecated": True},
    )
    kind: StateKind
    group: str | None = Field(
        validation_alias="partner_group",
        description="For Partners for Co-operation: mediterranean or asian.",
    )

    @model_validator(mode="before")
    @classmethod
    def _named(cls, data: Any) -> Any:
        """A State read from the database: its names in the other languages, from the catalogue."""
        if isinstance(data, dict):
            return data
        names = names_by_language(data)
        return {
            "code": data.code,
            "name": data.name,
            "names": names,
            "name_fr": names.get(LEGACY_LANGUAGE, data.name),
            "kind": data.kind,
            "partner_group": data.partner_group,
        }

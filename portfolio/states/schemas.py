from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class StateKind(StrEnum):
    participating = "participating"
    partner = "partner"


class StateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str = Field(description="ISO 3166-1 alpha-3 code.", examples=["BIH"])
    name: str = Field(examples=["Bosnia and Herzegovina"])
    name_fr: str = Field(examples=["Bosnie-Herzégovine"])
    kind: StateKind
    group: str | None = Field(
        validation_alias="partner_group",
        description="For Partners for Co-operation: mediterranean or asian.",
    )

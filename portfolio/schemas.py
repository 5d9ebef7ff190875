"""Building blocks shared by the domains' request and response schemas."""

import re
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator

from portfolio.errors import Said
from portfolio.reference import sdg_targets

# What no text field may hold: the C0 control characters other than tab, LF and CR, DEL, the C1
# controls, lone surrogates and the two non-characters U+FFFE/U+FFFF. None of them is typed by a person;
# XML 1.0 (XLSX, IATI) cannot carry most of them, and PostgreSQL refuses NUL.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def control_character_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text, or None when it can."""
    found = CONTROL_CHARACTERS.search(value)
    if found is None:
        return None
    char = found.group()
    if char == "\x00":
        return Said("may not contain a NUL character")
    return Said(
        "may not contain the control character U+%(code)s (position %(position)s)",
        code=f"{ord(char):04X}",
        position=found.start() + 1,
    )


def _check_text(value: Any) -> None:
    if isinstance(value, str):
        problem = control_character_problem(value)
        if problem is not None:
            raise ValueError(problem)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_text(item)


class Input(BaseModel):
    """A request body: unknown fields are refused, so a misspelt field never passes silently; no text
    holds a control character other than tab, LF and CR."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        _check_text(value)
        return value


class Patch(Input):
    """A partial update: fields left out stay as they are; ``null`` only where a field may be empty."""

    not_null: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="after")
    @classmethod
    def _refuse_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name in cls.not_null:
            raise ValueError(Said("may not be null; leave the field out to keep its value"))
        return value

    def changes(self) -> dict[str, Any]:
        """The fields the client sent, with their new values."""
        return {name: getattr(self, name) for name in self.model_fields_set}


def example(**fields: Any) -> ConfigDict:
    """A request body's example, as the docs page's "Try it out" fills it in: realistic and valid against
    the sample data (``portfolio demo-data``), so that sending it as it stands succeeds."""
    return ConfigDict(json_schema_extra={"examples": [fields]})


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


StateCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, min_length=3, max_length=3),
    Field(description="ISO 3166-1 alpha-3 code of an OSCE participating State or Partner.", examples=["DEU"]),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Note = Annotated[str, StringConstraints(max_length=4000)]


def _sdg_target(value: str) -> str:
    if value not in sdg_targets():
        raise ValueError(Said("'%(target)s' is not a UN SDG target (e.g. '16.4')", target=value))
    return value


SdgTarget = Annotated[str, Field(examples=["16.4"]), StringConstraints(strip_whitespace=True)]


def check_sdg_targets(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    return list(dict.fromkeys(_sdg_target(v) for v in values))
